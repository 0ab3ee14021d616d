import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../config/config.js';
import type { ConfigFile } from '../config/config-file.js';
import type { Logger } from '../log.js';
import type { Project } from '../pipeline/project.js';
import { intake } from '../pipeline/intake.js';
import { DEFAULT_PIPELINE } from '../pipeline/stages.js';
import type { Task } from '../pipeline/task.js';
import { createRuntime, type Runtime } from '../runtime.js';
import { createSampleRepo, SAMPLE_TEST_COMMAND } from './sample-repo.js';
import { TaskWatcher } from './task-watcher.js';

export interface DemoOptions {
  dbUrl?: string | undefined;
  configFile: ConfigFile;
  keep: boolean;
  /** Print progress lines (false with --json). */
  progress: (line: string) => void;
  log: Logger;
  timeoutMs: number;
  env: Record<string, string | undefined>;
  /** Keep the runtime running after the item finishes (`--serve`); the caller stops it. */
  serve?: boolean;
  /** Scripted-agent scenarios by role (`{ developer: 'crash' }`), on top of the demo's own. */
  scenario?: Record<string, string> | undefined;
  /** Called once the runtime has started, before the item runs (e.g. to serve the dashboard). */
  onStarted?: (runtime: Runtime) => Promise<void>;
}

export interface DemoSummary {
  workItem: string;
  title: string;
  stage: string;
  state: string;
  /** Why the item is Blocked (or cancelled); null when it is not. */
  blocked_reason: string | null;
  /** The demo gave up waiting (`--timeout`) before the item finished. */
  timed_out: boolean;
  jobs: { id: number; kind: string; status: string; attempts: number }[];
  rollbacks: number;
  gates: { stage: string; gate: string; passed: boolean; reason: string }[];
  durationMs: number;
  workspace: string | null;
}

export const DEMO_APPROVER = 'demo-approver';

/**
 * `orch demo`: a temp workspace with a sample repo (its own tests), a local work item, and the
 * whole pipeline run by the scripted agents as real processes — including one REQUEST_CHANGES
 * rollback and an analysis approval given by a comment, exactly as a human would.
 */
export async function runDemo(
  o: DemoOptions,
): Promise<{ summary: DemoSummary; runtime: Runtime; cleanup: () => Promise<void> }> {
  const started = Date.now();
  const workspace = mkdtempSync(join(tmpdir(), 'orch-demo-'));
  const dataDir = join(workspace, '.orch');
  mkdirSync(dataDir, { recursive: true });
  const config = loadConfig(
    {
      ...o.env,
      ORCH_DATA_DIR: dataDir,
      ORCH_QUEUE_POLL_INTERVAL_MS: o.env.ORCH_QUEUE_POLL_INTERVAL_MS ?? '250',
    },
    { dbUrl: o.dbUrl ?? `sqlite:${join(dataDir, 'orch.db')}` },
  );
  const runtime = await createRuntime({
    config,
    configFile: o.configFile,
    log: o.log,
    projects: ({ forge, tracker }): Project[] => [
      {
        key: 'TRL',
        prefix: 'TRL',
        repo: 'trails',
        baseBranch: 'main',
        tracker,
        trackerProjectId: 'TRL',
        forge,
        pipeline: DEFAULT_PIPELINE,
        testCommand: SAMPLE_TEST_COMMAND,
        testTimeoutMs: 120_000,
        approvers: [DEMO_APPROVER],
        maxDeveloperRetries: 3,
        scenario: { reviewer: 'request_changes_once', ...o.scenario },
      },
    ],
  });
  const cleanup = async () => {
    await runtime.stop({ drainMs: 0 });
    if (!o.keep) rmSync(workspace, { recursive: true, force: true });
  };
  try {
    const task = await fileWorkItem(runtime, workspace, o);
    await runtime.start();
    await o.onStarted?.(runtime);
    const watcher = new TaskWatcher(runtime, task.id, o.progress, started);
    const final = await watcher.until(async (t) => {
      if (t.state === 'awaiting_approval') await approveByComment(runtime, t, o.progress);
      return t.state === 'done' || t.state === 'blocked' || t.state === 'cancelled';
    }, o.timeoutMs);
    if (final.timedOut) o.progress(`gave up after ${o.timeoutMs / 1000}s (--timeout)`);
    // The run that finished the item completes its job right after the pipeline hook returns.
    else await runtime.worker.whenIdle();
    const summary = await summarize(runtime, final, started, o.keep ? workspace : null);
    if (!o.serve) await cleanup();
    return { summary, runtime, cleanup };
  } catch (err) {
    await cleanup().catch(() => undefined);
    throw err;
  }
}

async function fileWorkItem(runtime: Runtime, workspace: string, o: DemoOptions): Promise<Task> {
  const project = runtime.projects.get('TRL');
  const seed = join(workspace, 'seed');
  mkdirSync(seed, { recursive: true });
  await createSampleRepo(seed);
  mkdirSync(join(runtime.config.dataDir, 'forge'), { recursive: true });
  await runtime.forge.importRepo('trails', seed);
  const title = 'Show total trail distance in miles';
  const description =
    'Hikers abroad want the total distance of a trail in miles as well as kilometres.';
  const item = await runtime.tracker.createItem('TRL', { title, description });
  o.progress(`filed work item "${title}" in the local tracker`);
  const { task } = await intake(
    runtime.core,
    runtime.workspace,
    project,
    { trackerItemId: item.ref.itemId, title, description },
    runtime.log,
  );
  return task;
}

/** The demo's human: approves the analysis with a tracker comment, the same path a person uses. */
async function approveByComment(
  runtime: Runtime,
  task: Task,
  progress: (l: string) => void,
): Promise<void> {
  const ref = { projectId: task.trackerProjectId, itemId: task.trackerItemId };
  const body = 'Looks good :approved:';
  await runtime.tracker.addHumanComment(ref, DEMO_APPROVER, body);
  progress(`${DEMO_APPROVER} commented "${body}"`);
  await runtime.pipeline.onComment(task.id, { body, authorIds: [DEMO_APPROVER] });
}

async function summarize(
  runtime: Runtime,
  final: { task: Task; timedOut: boolean },
  started: number,
  workspace: string | null,
): Promise<DemoSummary> {
  const task = await runtime.tasks.mustGet(final.task.id);
  const jobs = await runtime.admin.list({ taskId: task.id, limit: 100 });
  const events = await runtime.tasks.events(task.id);
  const gates = await runtime.tasks.gateResults(task.id);
  return {
    workItem: task.workItemId,
    title: task.title,
    stage: task.stage,
    state: task.state,
    blocked_reason:
      task.state === 'blocked' || task.state === 'cancelled' ? (task.lastError ?? null) : null,
    timed_out: final.timedOut,
    jobs: jobs
      .reverse()
      .map((j) => ({ id: j.id, kind: j.kind, status: j.status, attempts: j.attempts })),
    rollbacks: events.filter((e) => e.type === 'rollback').length,
    gates: gates.map((g) => ({ stage: g.stage, gate: g.gate, passed: g.passed, reason: g.reason })),
    durationMs: Date.now() - started,
    workspace,
  };
}
