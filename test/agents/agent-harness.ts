import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ManualClock } from '../../src/clock.js';
import { parseEnv } from '../../src/config/env.js';
import { agentBaseEnv, childBaseEnv } from '../../src/config/child-env.js';
import { hooksSchema } from '../../src/config/workspace-hooks-config.js';
import { createWorkspaceHooks, type HooksConfig } from '../../src/agents/workspace-hooks.js';
import { silentLogger } from '../../src/log.js';
import { AgentRunStore } from '../../src/store/agent-runs/agent-run-store.js';
import {
  AgentRunner,
  type AgentRunnerOptions,
  type OnFinished,
} from '../../src/agents/agent-runner.js';
import { AgentProfiles, agentsSectionSchema } from '../../src/agents/agents-config.js';
import { Preflight } from '../../src/agents/preflight.js';
import { WorktreeManager } from '../../src/agents/worktrees.js';
import { RecordingNotifier } from '../../src/integrations/notify/notifier.js';
import { BreakerStore } from '../../src/queue/breaker-store.js';
import type { ConcurrencyCaps } from '../../src/queue/concurrency-caps.js';
import { Worker } from '../../src/queue/worker.js';
import { TaskStore } from '../../src/store/tasks/task-store.js';
import type { Db } from '../../src/store/db.js';
import { makeQueue } from '../helpers/queue.js';

export const FAKE_CLAUDE = fileURLToPath(
  new URL('../fixtures/agents/fake-claude.mjs', import.meta.url),
);

/** A real git repository with one commit on main, standing in for a product repo. */
export function makeSampleRepo(dir: string): string {
  const repo = join(dir, 'sample-app');
  const git = (...args: string[]) => execFileSync('git', args, { cwd: repo, stdio: 'pipe' });
  execFileSync('git', ['init', '-q', '-b', 'main', repo]);
  git('config', 'user.email', 'test@example.com');
  git('config', 'user.name', 'Test');
  writeFileSync(join(repo, 'README.md'), '# sample\n');
  writeFileSync(
    join(repo, 'package.json'),
    '{"name":"sample-app","type":"module","scripts":{"test":"node --test"}}\n',
  );
  git('add', '.');
  git('commit', '-q', '-m', 'initial');
  return repo;
}

/**
 * PATH without `node_modules/.bin` (npx/vitest prepend it): roles a test leaves on the default
 * `claude` must not find the real Claude Code installed as a devDependency (its preflight probe
 * takes seconds); the conformance suite runs the real CLIs by absolute path.
 */
function pathWithoutNodeModulesBin(path: string | undefined): string {
  return (path ?? '')
    .split(delimiter)
    .filter((d) => !d.endsWith(`${sep}node_modules${sep}.bin`))
    .join(delimiter);
}

export interface HarnessOptions {
  /** The `agents:` config section. Default: every role runs the fake Claude CLI. */
  agents?: unknown;
  env?: Record<string, string>;
  /** Variables added to Orch's own environment (default: two secrets the agent must not see). */
  parentEnv?: Record<string, string>;
  maxConcurrency?: number;
  /** Per-role and per-project caps of the worker; projects are read from the tasks table. */
  caps?: ConcurrencyCaps;
  leaseMs?: number;
  onFinished?: OnFinished;
  /** Awaited before every worktree preparation (a slow clone). */
  ensureGate?: () => Promise<void>;
  /** Awaited when a run's process was spawned, before the runner stamps the job (attach). */
  afterSpawn?: (runId: number) => Promise<void>;
  allowRepo?: (repo: string) => boolean;
  /** Work in this (empty) directory instead of a fresh temp dir. */
  dir?: string;
  /** The sample repo's `hooks:` (as in orch.config.yaml); default none. */
  hooks?: unknown;
  /** The hooks lookup by repository, as runtime.ts builds it (replaces `hooks`). */
  hooksFor?: (repo: string) => HooksConfig | undefined;
  /** The worker's caps as a function, asked at every tick (replaces `caps`). */
  capsOf?: () => ConcurrencyCaps;
  /** The runner's `profileOf` (the agent profile a job runs with). */
  profileOf?: AgentRunnerOptions['profileOf'];
}

/** A WorktreeManager whose preparation waits for a gate, standing in for a slow clone. */
class GatedWorktrees extends WorktreeManager {
  readonly #gate: () => Promise<void>;

  constructor(o: ConstructorParameters<typeof WorktreeManager>[0], gate: () => Promise<void>) {
    super(o);
    this.#gate = gate;
  }

  override async ensure(
    repo: string,
    branch: string,
    o?: Parameters<WorktreeManager['ensure']>[2],
  ) {
    await this.#gate();
    return super.ensure(repo, branch, o);
  }
}

/** An AgentRunStore that lets a test act between spawn and attach. */
class HookedRuns extends AgentRunStore {
  readonly #hook: (runId: number) => Promise<void>;

  constructor(db: Db, hook: (runId: number) => Promise<void>) {
    super(db);
    this.#hook = hook;
  }

  override async markStarted(id: number, fields: Parameters<AgentRunStore['markStarted']>[1]) {
    await super.markStarted(id, fields);
    await this.#hook(id);
  }
}

/** Everything the runner and worker need, on a real DB, real git repo and real processes. */
export function makeHarness(db: Db, options: HarnessOptions = {}) {
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'orch-agents-'));
  const clock = new ManualClock(Date.UTC(2026, 5, 1));
  const { queue, admin } = makeQueue(db, clock);
  const env = parseEnv(options.env ?? {});
  const section = agentsSectionSchema.parse(
    options.agents ?? {
      defaults: {
        adapter: 'claude-code',
        command: [process.execPath, FAKE_CLAUDE],
        killGraceS: 0.3,
        exitGraceS: 0.5,
        idleTimeoutS: 5,
        timeoutS: 20,
      },
    },
  );
  const profiles = new AgentProfiles(section, env);
  const notifier = new RecordingNotifier();
  const breakers = new BreakerStore(db, clock, { threshold: 3, pauseMs: 300_000 });
  const runs = options.afterSpawn ? new HookedRuns(db, options.afterSpawn) : new AgentRunStore(db);
  const parentEnv = {
    ...process.env,
    PATH: pathWithoutNodeModulesBin(process.env.PATH),
    ...(options.parentEnv ?? {
      ORCH_ADMIN_TOKEN: 'super-secret',
      ORCH_DB_URL: 'postgres://u:pw@h/db',
    }),
  };
  const hooksConfig = options.hooks === undefined ? undefined : hooksSchema.parse(options.hooks);
  const hooks = createWorkspaceHooks({
    forRepo: options.hooksFor ?? (() => hooksConfig),
    env: childBaseEnv(parentEnv),
    log: silentLogger,
    killGraceMs: 300,
  });
  const wtDirs = { reposDir: join(dir, 'repos'), worktreesDir: join(dir, 'wt'), hooks };
  const worktrees = options.ensureGate
    ? new GatedWorktrees(wtDirs, options.ensureGate)
    : new WorktreeManager(wtDirs);
  const baseEnv = agentBaseEnv(parentEnv);
  const runner = new AgentRunner({
    queue,
    runs,
    breakers,
    profiles,
    worktrees,
    notifier,
    clock,
    log: silentLogger,
    dataDir: join(dir, 'data'),
    leaseMs: options.leaseMs ?? 60_000,
    baseEnv,
    sandboxHiddenDirs: [join(dir, 'data'), join(dir, 'repos'), join(dir, 'wt')],
    onFinished: options.onFinished,
    ...(options.allowRepo && { allowRepo: options.allowRepo }),
    ...(options.profileOf && { profileOf: options.profileOf }),
    pollMs: 50,
  });
  const preflight = new Preflight({ clock, ttlMs: 45_000, env: baseEnv });
  const tasks = new TaskStore(db);
  const worker = new Worker({
    queue,
    breakers,
    launcher: runner,
    preflight,
    clock,
    log: silentLogger,
    owner: 'test-worker',
    kinds: profiles.kinds(),
    maxConcurrency: options.maxConcurrency ?? 2,
    ...(options.caps && { caps: options.caps }),
    ...(options.capsOf && { caps: options.capsOf }),
    projectOf: async (job) =>
      job.taskId === null ? null : ((await tasks.get(job.taskId))?.projectKey ?? null),
    leaseMs: options.leaseMs ?? 60_000,
    pollIntervalMs: 50,
  });
  const repo = makeSampleRepo(dir);
  return {
    dir,
    clock,
    queue,
    admin,
    breakers,
    runs,
    worktrees,
    notifier,
    runner,
    worker,
    repo,
    /** Enqueues an agent job for `role` on the sample repo. */
    enqueue(
      role: string,
      extra: Record<string, unknown> = {},
      opts: { maxAttempts?: number; taskId?: number } = {},
    ) {
      return queue.enqueue({
        kind: role,
        payload: {
          repo,
          branch: 'feature/ET-1-demo',
          role,
          prompt: 'Do the thing',
          workItemId: 'ET-1',
          ...extra,
        },
        ...opts,
      });
    },
    /** A work item of project `key` (for per-project caps): its task id. */
    async task(key: string): Promise<number> {
      const item = `${key}-${Math.random().toString(36).slice(2, 10)}`;
      const { task } = await db.tx((q) =>
        tasks.create(
          q,
          {
            projectKey: key,
            prefix: key,
            trackerKind: 'local',
            trackerProjectId: key,
            trackerItemId: item,
            title: item,
            repo: 'sample-app',
            baseBranch: 'main',
            stage: 'development',
            track: 'full',
            branchFor: (id) => `feature/${id}`,
          },
          clock.now(),
        ),
      );
      return task.id;
    },
    /** One worker tick, then wait until every launched run is finalized. */
    async tick() {
      const r = await worker.runOnce();
      await worker.whenIdle();
      return r;
    },
    cleanup() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export type Harness = ReturnType<typeof makeHarness>;

/** A profile that runs the fake CLI with a scenario. */
export function fakeRole(scenario: string, extra: Record<string, unknown> = {}) {
  return {
    adapter: 'claude-code',
    command: [process.execPath, FAKE_CLAUDE],
    env: { FAKE_SCENARIO: scenario },
    ...extra,
  };
}

/** Polls `cond` until it holds; throws (naming `what`) if it never does within `limitMs`. */
export async function until(
  cond: () => Promise<boolean> | boolean,
  what: string,
  limitMs = 15_000,
): Promise<void> {
  const start = Date.now();
  while (!(await cond())) {
    if (Date.now() - start > limitMs) throw new Error(`never happened: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A promise with its resolve, for gates a test opens by hand. */
export function deferred(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((r) => (open = r));
  return { promise, open };
}
