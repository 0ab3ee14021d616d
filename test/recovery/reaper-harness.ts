import { hostname } from 'node:os';
import { AgentRunStore } from '../../src/store/agent-runs/agent-run-store.js';
import { ManualClock } from '../../src/clock.js';
import { RecordingNotifier } from '../../src/integrations/notify/notifier.js';
import { silentLogger } from '../../src/log.js';
import { DaemonTicks } from '../../src/store/daemon-ticks/daemon-ticks.js';
import {
  JobReaper,
  type ReapPipeline,
  type ReaperSettings,
} from '../../src/recovery/job-reaper.js';
import type { MergeLease } from '../../src/recovery/lease-decision.js';
import { ReapStore, type RunningJob } from '../../src/store/jobs/reap-store.js';
import type { Db } from '../../src/store/db.js';
import type { JobQueue } from '../../src/queue/job-queue.js';
import type { ManualClock as Clock } from '../../src/clock.js';
import { makeQueue } from '../helpers/queue.js';

export const HOST = hostname();
/** A local owner whose process is long gone. */
export const DEAD_OWNER = `${HOST}:999999997`;

export interface StubPipeline extends ReapPipeline {
  gate: boolean | (() => Promise<boolean>);
  alreadyAdvanced: boolean;
  advanced: number[];
}

export function stubPipeline(): StubPipeline {
  const p: StubPipeline = {
    gate: true,
    alreadyAdvanced: false,
    advanced: [],
    async inspect() {
      if (p.alreadyAdvanced) return { kind: 'already_advanced', reason: 'already advanced' };
      const passed = typeof p.gate === 'function' ? await p.gate() : p.gate;
      return { kind: 'gate', passed, reason: passed ? 'green' : 'red' };
    },
    advance(job: RunningJob) {
      p.advanced.push(job.id);
      return Promise.resolve('advanced');
    },
  };
  return p;
}

export interface RunningJobSpec {
  kind?: string;
  pid?: number | null;
  ageMs?: number;
  attempts?: number;
  maxAttempts?: number;
  exitCode?: number;
  runOutcome?: 'success' | 'permanent';
  finishedAgoMs?: number;
  owner?: string;
  taskId?: number;
  payload?: unknown;
}

/** Inserts a running job as a worker would leave it: claimed, pid stamped, run linked. */
export async function insertRunningJob(
  h: { db: Db; queue: JobQueue; clock: Clock },
  j: RunningJobSpec = {},
): Promise<number> {
  const { db, queue, clock } = h;
  const kind = j.kind ?? 'developer';
  const now = clock.now();
  clock.set(now - (j.ageMs ?? 0));
  const { job } = await queue.enqueue({
    kind,
    payload: j.payload ?? {},
    maxAttempts: j.maxAttempts ?? 2,
    taskId: j.taskId ?? null,
  });
  const [claimed] = await queue.claim({
    kinds: [kind],
    leaseMs: 24 * 3_600_000,
    owner: j.owner ?? DEAD_OWNER,
  });
  const startedAtMs = clock.now();
  clock.set(now);
  if (claimed?.id !== job.id) throw new Error('claim in harness failed');
  const agentRunId =
    j.exitCode === undefined
      ? null
      : await finishedRun(
          db,
          { jobId: job.id, kind, attempt: claimed.attempts, startedAtMs },
          {
            taskId: j.taskId ?? null,
            finishedAtMs: now - (j.finishedAgoMs ?? 600_000),
            exitCode: j.exitCode,
            outcome: j.runOutcome ?? (j.exitCode === 0 ? 'success' : 'permanent'),
          },
        );
  await queue.attach(job.id, claimed.leaseToken!, { pid: j.pid ?? null, agentRunId });
  if (j.attempts !== undefined)
    await db.run('update jobs set attempts = $2 where id = $1', [job.id, j.attempts]);
  return job.id;
}

async function finishedRun(
  db: Db,
  r: { jobId: number; kind: string; attempt: number; startedAtMs: number },
  f: {
    taskId: number | null;
    finishedAtMs: number;
    exitCode: number;
    outcome: 'success' | 'permanent';
  },
): Promise<number> {
  const runs = new AgentRunStore(db);
  const run = await runs.create({ ...r, taskId: f.taskId, adapter: 'scripted' });
  await runs.finish(run.id, {
    finishedAtMs: f.finishedAtMs,
    exitCode: f.exitCode,
    outcome: f.outcome,
    isError: null,
    subtype: null,
    sessionId: null,
    costUsd: null,
    inputTokens: null,
    outputTokens: null,
    killReason: null,
    error: null,
  });
  return run.id;
}

/** A JobReaper on a real database with a manual clock and stubbed liveness and pipeline. */
export function reaperHarness(
  db: Db,
  o: { ticks?: boolean; owner?: string; leases?: { reclaimStale(): Promise<MergeLease[]> } } = {},
) {
  const clock = new ManualClock(Date.UTC(2026, 5, 7));
  const { queue, admin } = makeQueue(db, clock);
  const notifier = new RecordingNotifier();
  const settings: ReaperSettings = {
    enabled: true,
    deadTicks: 2,
    maxRunningMs: 3_600_000,
    finalizeGraceMs: 300_000,
  };
  const alive = new Map<number, boolean>();
  const pipeline = stubPipeline();
  const store = new ReapStore(db);
  const held = new Set<number>();
  const reaper = new JobReaper({
    store,
    admin,
    wake: () => queue.wake.notify(),
    pipeline,
    clock,
    log: silentLogger,
    notifier,
    settings: () => settings,
    intervalMs: 60_000,
    host: HOST,
    pidAlive: (pid) => {
      const v = alive.get(pid ?? -1);
      if (v === undefined) return true;
      return v;
    },
    heldLocally: (id) => held.has(id),
    ...(o.leases && { leases: o.leases }),
    ...(o.ticks && { ticks: new DaemonTicks(db) }),
    owner: o.owner ?? `${HOST}:${process.pid}`,
  });
  const runningJob = (j: RunningJobSpec = {}) => insertRunningJob({ db, queue, clock }, j);
  const status = async (id: number) => (await queue.get(id))!.status;
  return {
    clock,
    queue,
    admin,
    notifier,
    settings,
    alive,
    pipeline,
    store,
    reaper,
    held,
    runningJob,
    status,
  };
}
