import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/config.js';
import { parseConfigFile } from '../../src/config/config-file.js';
import { createSampleRepo, SAMPLE_TEST_COMMAND } from '../../src/demo/sample-repo.js';
import { RecordingNotifier } from '../../src/integrations/notify/notifier.js';
import { silentLogger } from '../../src/log.js';
import { intake } from '../../src/pipeline/intake.js';
import type { LabelRules } from '../../src/pipeline/auto-labels.js';
import type { PostDeployConfig } from '../../src/pipeline/post-deploy.js';
import type { ProjectDeploy } from '../../src/gates/deploy-step.js';
import type { Project, ProjectCoverage } from '../../src/pipeline/project.js';
import { pipelineFor } from '../../src/pipeline/build-projects.js';
import { DEFAULT_PIPELINE, type StageDef } from '../../src/pipeline/stages.js';
import type { Task } from '../../src/pipeline/task.js';
import { createRuntime, type Runtime } from '../../src/runtime.js';

/** One row of the failure matrix: a project whose scripted agents misbehave in one way. */
export interface Scenario {
  key: string;
  scenario: Record<string, string>;
  maxDeveloperRetries?: number;
  /** Label auto-mode rules of the project (default: DEFAULT_LABEL_RULES). */
  labels?: LabelRules;
  /** Extra tracks of the project's pipeline, beside `full` and `bug` (or replacing them). */
  tracks?: Record<string, string[]>;
  /** Extra (or replaced) stage definitions of the project's pipeline. */
  stages?: StageDef[];
  /** Serial gate limit of the project's repository (absent = not serial). */
  serial?: number;
  /** The project's test command (default: the sample repo's `node --test`). */
  testCommand?: string[];
  /** Coverage gate settings of the project (absent = none). */
  coverage?: ProjectCoverage;
  /** Deploy commands and health checks of the project (absent = none). */
  deploy?: ProjectDeploy;
  /** The project's repository is Orch itself (self-deploy, no auto-rollback). */
  selfHosted?: boolean;
  /** Post-deploy monitor of the project (absent = none). */
  postDeploy?: PostDeployConfig;
  /** The project's concurrency cap on the local worker (absent = none). */
  maxConcurrent?: number;
}

export const APPROVER = 'alice';

/**
 * A runtime with one project per scenario (each with its own repository in the local forge and
 * the local tracker), scripted agents as real processes with short watchdog limits, and a
 * recording notifier. The reconciler and reaper are not started: tests call `runOnce()`.
 * `dataDir` = the data directory of an earlier runtime on the same database (Orch restarted):
 * reused as it is, its forge repositories already seeded.
 */
export async function matrixRuntime(
  dbUrl: string,
  scenarios: readonly Scenario[],
  o: { env?: Record<string, string>; agents?: Record<string, unknown>; dataDir?: string } = {},
) {
  const dataDir = o.dataDir ?? mkdtempSync(join(tmpdir(), 'orch-matrix-'));
  const notifier = new RecordingNotifier();
  const rt = await createRuntime({
    config: loadConfig(
      {
        ORCH_DATA_DIR: dataDir,
        ORCH_QUEUE_POLL_INTERVAL_MS: '100',
        ORCH_MAX_CONCURRENCY: '6',
        ORCH_RECONCILE_GRACE_S: '0',
        ORCH_PREFLIGHT_CACHE_TTL: '0',
        ...o.env,
      },
      { dbUrl },
    ),
    configFile: parseConfigFile({
      agents: o.agents ?? {
        defaults: { adapter: 'scripted', timeoutS: 20, idleTimeoutS: 12, killGraceS: 1 },
      },
    }),
    log: silentLogger,
    notifier,
    projects: ({ forge, tracker }) =>
      scenarios.map((s): Project => ({
        key: s.key,
        prefix: s.key,
        repo: s.key.toLowerCase(),
        baseBranch: 'main',
        tracker,
        trackerProjectId: s.key,
        forge,
        pipeline:
          s.tracks || s.stages
            ? pipelineFor(s.key, { stages: s.stages, tracks: s.tracks })
            : DEFAULT_PIPELINE,
        ...(s.labels && { labels: s.labels }),
        ...(s.serial !== undefined && { serial: s.serial }),
        testCommand: s.testCommand ?? SAMPLE_TEST_COMMAND,
        ...(s.coverage && { coverage: s.coverage }),
        ...(s.deploy && { deploy: s.deploy }),
        ...(s.postDeploy && { postDeploy: s.postDeploy }),
        ...(s.selfHosted && { selfHosted: true }),
        testTimeoutMs: 60_000,
        approvers: [APPROVER],
        maxDeveloperRetries: s.maxDeveloperRetries ?? 3,
        ...(s.maxConcurrent !== undefined && { maxConcurrent: s.maxConcurrent }),
        scenario: s.scenario,
      })),
  });
  if (o.dataDir !== undefined) return { rt, notifier, dataDir };
  mkdirSync(join(dataDir, 'forge'), { recursive: true });
  const seed = join(dataDir, 'seed');
  mkdirSync(seed);
  await createSampleRepo(seed);
  for (const s of scenarios) await rt.forge.importRepo(s.key.toLowerCase(), seed);
  return { rt, notifier, dataDir };
}

/** Files a work item in project `key` through intake, as `orch task create` does. */
export async function fileItem(rt: Runtime, key: string, labels: string[] = []): Promise<Task> {
  const project = rt.projects.get(key);
  const title = `Item of ${key}`;
  const item = await rt.tracker.createItem(key, { title, description: 'matrix item', labels });
  const { task } = await intake(
    rt.core,
    rt.workspace,
    project,
    { trackerItemId: item.ref.itemId, title, description: 'matrix item', labels },
    silentLogger,
  );
  return task;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls one task until `until` holds; throws with its stage and state after `timeoutMs`. */
export async function waitForTask(
  rt: Runtime,
  id: number,
  until: (t: Task) => boolean,
  timeoutMs = 120_000,
): Promise<Task> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const t = (await rt.tasks.get(id))!;
    if (until(t)) return t;
    if (Date.now() > deadline) throw new Error(`timed out: ${t.workItemId} ${t.stage}/${t.state}`);
    await sleep(150);
  }
}

/**
 * Waits until every task satisfies `until`, approving analyses by comment on the way (as the
 * approver would). Returns the tasks as they are then; throws with their states on timeout.
 */
export async function drive(
  rt: Runtime,
  ids: readonly number[],
  until: (t: Task) => boolean,
  timeoutMs: number,
): Promise<Map<number, Task>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const tasks = new Map<number, Task>();
    for (const id of ids) tasks.set(id, (await rt.tasks.get(id))!);
    for (const t of tasks.values()) {
      if (t.state === 'awaiting_approval')
        await rt.pipeline.onComment(t.id, { body: ':approved:', authorIds: [APPROVER] });
    }
    if ([...tasks.values()].every(until)) return tasks;
    if (Date.now() > deadline) {
      const states = [...tasks.values()].map((t) => `${t.workItemId} ${t.stage}/${t.state}`);
      throw new Error(`timed out waiting; tasks: ${states.join(', ')}`);
    }
    await sleep(200);
  }
}

/** The head commit of a branch in the local forge's bare repository (null when absent). */
export function remoteHead(rt: Runtime, repo: string, branch: string): string | null {
  try {
    return execFileSync('git', ['rev-parse', '--verify', '--quiet', `refs/heads/${branch}`], {
      cwd: rt.forge.cloneUrl(repo),
      encoding: 'utf8',
    }).trim();
  } catch {
    return null;
  }
}

/** A person's commit on the base branch of a forge repository (clone, write, commit, push). */
export function commitOnMain(rt: Runtime, repo: string, files: Record<string, string | null>) {
  const dir = mkdtempSync(join(tmpdir(), 'orch-person-'));
  const g = (...args: string[]) => execFileSync('git', args, { cwd: dir, stdio: 'pipe' });
  g('clone', '--quiet', rt.forge.cloneUrl(repo), '.');
  for (const [path, text] of Object.entries(files)) {
    if (text === null) g('rm', '--quiet', path);
    else {
      mkdirSync(join(dir, path, '..'), { recursive: true });
      writeFileSync(join(dir, path), text);
      g('add', path);
    }
  }
  g(
    '-c',
    'user.name=person',
    '-c',
    'user.email=p@example.invalid',
    'commit',
    '--quiet',
    '-m',
    'by a person',
  );
  g('push', '--quiet', 'origin', 'HEAD:main');
}

/**
 * Delivers the side effects committed so far. The runtime's own outbox loop may hold rows it
 * claimed while the test's `runOnce()` finds none to claim, so this waits until nothing is
 * pending (at most `timeoutMs`; agents still running may keep adding rows).
 */
export async function deliverOutbox(rt: Runtime, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    await rt.outbox.runOnce();
    if ((await rt.outbox.status()).pending === 0 || Date.now() > deadline) return;
    await sleep(100);
  }
}
