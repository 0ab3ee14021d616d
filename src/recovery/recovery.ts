import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import type { Clock } from '../clock.js';
import type { Notifier } from '../integrations/notify/notifier.js';
import { mergeLeaseWaitsFor } from '../gates/merge/merge-gate.js';
import type { Logger } from '../log.js';
import type { OutboxWriter } from '../outbox/outbox-writer.js';
import { effectEntries } from '../pipeline/effects.js';
import { RECHECK_JOB_KIND } from '../pipeline/engine.js';
import type { GitWorkspace } from '../pipeline/git-workspace.js';
import type { Pipeline } from '../pipeline/pipeline.js';
import type { TaskStore } from '../store/tasks/task-store.js';
import { JobHistoryMover } from '../queue/job-history-mover.js';
import type { JobQueue } from '../queue/job-queue.js';
import type { QueueAdmin } from '../queue/queue-admin.js';
import type { Db } from '../store/db.js';
import { DaemonTicks } from '../store/daemon-ticks/daemon-ticks.js';
import { JobReaper } from './job-reaper.js';
import { MergeLeases } from './merge-leases.js';
import { pidAlive as realPidAlive, type PidAlive } from './process-liveness.js';
import { pipelineReapHooks } from './reap-pipeline.js';
import { ReapStore } from '../store/jobs/reap-store.js';
import { Reconciler } from './reconciler.js';
import type { RecoverySettings } from './recovery-settings.js';
import { StartupRecovery } from './startup-recovery.js';

export interface RecoveryDeps {
  db: Db;
  queue: JobQueue;
  admin: QueueAdmin;
  tasks: TaskStore;
  pipeline: Pipeline;
  workspace: GitWorkspace;
  notifier: Notifier;
  /** Alerts about a task follow a committed recovery step: they go out through the outbox. */
  outbox: OutboxWriter;
  clock: Clock;
  log: Logger;
  settings: RecoverySettings;
  dataDir: string;
  host: string;
  /** The local worker's lease owner (`host:pid`). */
  owner: string;
  heldLocally: (jobId: number) => boolean;
  pidAlive?: PidAlive;
}

/**
 * Recovery's parts, wired (called from runtime.ts): merge leases, startup recovery, the job
 * reaper and the reconciler, sharing one replica election table. Alerts about a task go to the
 * outbox as `pipeline_warning`; job failures to the notifier as `job_failed`; a recovery event
 * without a task is logged.
 */
export function createRecovery(d: RecoveryDeps) {
  const pidAlive = d.pidAlive ?? realPidAlive;
  const log = d.log.child({ daemon: 'recovery' });
  const instanceId = randomUUID();
  const ticks = new DaemonTicks(d.db);
  const alert = recoveryAlert(d, log);
  const leases = new MergeLeases(d.db, {
    clock: d.clock,
    log,
    host: d.host,
    pid: process.pid,
    instanceId,
    pidAlive,
    reclaimEnabled: () => d.settings.leaseReclaimEnabled,
    onReclaimed: (lease, why) =>
      alert(
        `🔧 merge-lease for ${lease.repo} released proactively (${why}, holder=${lease.branch})`,
        { taskId: lease.taskId },
      ),
    // The item deferred longest by this busy lease re-checks now (merge-gate.ts `waitsFor`).
    onFreed: async (repo) => {
      await d.queue.wakeWaiting(RECHECK_JOB_KIND, mergeLeaseWaitsFor(repo));
    },
  });
  const store = new ReapStore(d.db);
  const startup = new StartupRecovery({
    db: d.db,
    store,
    admin: d.admin,
    leases,
    clock: d.clock,
    log,
    host: d.host,
    owner: d.owner,
    pidAlive,
    orphanWindowMs: d.settings.orphanWindowMs,
    runsDir: join(d.dataDir, 'runs'),
    logKeepDays: d.settings.logKeepDays,
    logKeepMax: d.settings.logKeepMax,
    alert,
    finishExited: (job) => reaper.reapExited(job),
  });
  const { reaper, reconciler } = daemons(d, { store, leases, ticks, pidAlive, log });
  const history = new JobHistoryMover({
    db: d.db,
    clock: d.clock,
    log: d.log.child({ daemon: 'job-history' }),
    afterMs: () => d.settings.jobHistoryAfterMs,
    intervalMs: d.settings.reaperIntervalMs,
    ticks,
    owner: d.owner,
  });
  return {
    settings: d.settings,
    instanceId,
    ticks,
    leases,
    store,
    startup,
    reaper,
    reconciler,
    history,
  };
}

/** Alerts with a task go to the outbox as `pipeline_warning`; without one, to the log. */
function recoveryAlert(d: RecoveryDeps, log: Logger) {
  return async (message: string, o: { taskId: number | null }): Promise<void> => {
    const task = o.taskId === null ? undefined : await d.tasks.get(o.taskId);
    if (!task) return void log.warn({ alert: message }, 'recovery alert');
    const effects = [
      { kind: 'notify' as const, event: { type: 'pipeline_warning' as const, message } },
    ];
    await d.outbox.add(d.db, effectEntries(task, effects, []), d.clock.now());
    d.outbox.wake();
  };
}

function daemons(
  d: RecoveryDeps,
  p: { store: ReapStore; leases: MergeLeases; ticks: DaemonTicks; pidAlive: PidAlive; log: Logger },
) {
  const reaper = new JobReaper({
    store: p.store,
    admin: d.admin,
    wake: () => d.queue.wake.notify(),
    pipeline: pipelineReapHooks(d.pipeline, d.workspace, p.log),
    clock: d.clock,
    log: d.log.child({ daemon: 'reaper' }),
    notifier: d.notifier,
    settings: () => d.settings.reaper,
    intervalMs: d.settings.reaperIntervalMs,
    host: d.host,
    pidAlive: p.pidAlive,
    heldLocally: d.heldLocally,
    leases: p.leases,
    ticks: p.ticks,
    owner: d.owner,
    onJobFailed: (job) => d.pipeline.onJobEnded(job.id),
  });
  const reconciler = new Reconciler({
    db: d.db,
    pipeline: d.pipeline,
    clock: d.clock,
    log: d.log.child({ daemon: 'reconciler' }),
    settings: () => d.settings.reconciler,
    intervalMs: d.settings.reconcileIntervalMs,
    ticks: p.ticks,
    owner: d.owner,
    workspace: d.workspace,
  });
  return { reaper, reconciler };
}

export type Recovery = ReturnType<typeof createRecovery>;
