import type { Clock } from '../clock.js';
import type { Logger } from '../log.js';
import { signalProcessGroup } from '../process/child-process.js';
import type { Job } from '../queue/job.js';
import type { QueueAdmin } from '../queue/queue-admin.js';
import type { Db } from '../store/db.js';
import type { MergeLeases } from './merge-leases.js';
import { isAgentOfJob, ownerHost, ownerPid, type PidAlive } from './process-liveness.js';
import { unknownOutcomeStatus } from './reap-decision.js';
import type { ReapStore, RunningJob } from '../store/jobs/reap-store.js';
import { RecoveryJobsRepo } from '../store/jobs/recovery-jobs-repo.js';
import { pruneRunLogs } from './run-log-rotation.js';

export interface StartupRecoveryOptions {
  db: Db;
  store: ReapStore;
  admin: QueueAdmin;
  leases: MergeLeases;
  clock: Clock;
  log: Logger;
  host: string;
  /** This process's lease owner (`host:pid`). */
  owner: string;
  pidAlive: PidAlive;
  /** Kills an orphaned agent's process group (default: SIGTERM to -pid). */
  killGroup?: (pid: number) => void;
  orphanWindowMs: number;
  runsDir: string;
  logKeepDays: number;
  logKeepMax: number;
  /**
   * A job whose current run exited 0 with a success result: its finalizer died after the run, so
   * the reaper's exit-0 path decides (already advanced → done; gate green → done + the step).
   */
  finishExited?: (job: RunningJob) => Promise<void>;
  /** Alerts humans (one call per recovery step that found something). */
  alert: (message: string, o: { taskId: number | null; jobId: number | null }) => Promise<void>;
}

export interface StartupReport {
  orphanRuns: number[];
  requeued: number[];
  failed: number[];
  /** Running jobs with a pending cancel, ended cancelled instead of requeued. */
  cancelled: number[];
  /** Jobs whose run had exited 0, handed to the reaper's exit-0 path. */
  finished: number[];
  expired: number[];
  leasesReclaimed: string[];
  logsPruned: number;
  durationMs: number;
}

/**
 * Startup recovery, in the order of system-inventory §7 (after migrations, before any daemon):
 * orphan agent runs → running jobs whose executor is gone → merge-lease reclaim → run-log
 * rotation. Each step is guarded like the reaper's claims, so a replica starting at the same
 * time cannot double-process a row; a failing step is logged and the next one still runs.
 */
export class StartupRecovery {
  readonly #o: StartupRecoveryOptions;

  constructor(options: StartupRecoveryOptions) {
    this.#o = options;
  }

  async run(): Promise<StartupReport> {
    const started = Date.now();
    const r: StartupReport = {
      orphanRuns: [],
      requeued: [],
      failed: [],
      cancelled: [],
      finished: [],
      expired: [],
      leasesReclaimed: [],
      logsPruned: 0,
      durationMs: 0,
    };
    await this.#step('orphan runs', async () => (r.orphanRuns = await this.orphanRuns()));
    await this.#step('running jobs', async () => {
      const jobs = await this.recoverJobs(r.finished);
      r.requeued = jobs.filter((j) => j.status === 'queued').map((j) => j.id);
      r.failed = jobs.filter((j) => j.status === 'failed').map((j) => j.id);
      r.cancelled = jobs.filter((j) => j.status === 'cancelled').map((j) => j.id);
    });
    await this.#step('expired leases', async () => {
      r.expired = (await this.#o.admin.expireLeases()).map((j) => j.id);
    });
    await this.#step('merge leases', async () => {
      r.leasesReclaimed = (await this.#o.leases.reclaimStale()).map((l) => l.repo);
    });
    await this.#step('run logs', () => {
      r.logsPruned = pruneRunLogs(this.#o.runsDir, {
        nowMs: this.#o.clock.now(),
        keepDays: this.#o.logKeepDays,
        keepMax: this.#o.logKeepMax,
      });
      return Promise.resolve();
    });
    r.durationMs = Date.now() - started;
    return r;
  }

  async #step(name: string, fn: () => Promise<unknown>): Promise<void> {
    try {
      await fn();
    } catch (err) {
      this.#o.log.warn({ err, step: name }, `startup recovery: ${name} skipped`);
    }
  }

  /**
   * M-1: agent runs unfinished for longer than the window whose process is gone are closed with
   * exit −1. A run whose job is leased on this host with a live pid is left alone.
   */
  async orphanRuns(): Promise<number[]> {
    const { db, clock, host } = this.#o;
    const nowMs = clock.now();
    const repo = new RecoveryJobsRepo(db);
    const rows = await repo.orphanCandidates(nowMs - this.#o.orphanWindowMs);
    const closed: number[] = [];
    for (const row of rows) {
      const local = ownerHost(row.leased_by) === host;
      if (row.pid !== null && local && this.#o.pidAlive(row.pid)) continue;
      if (!(await repo.closeOrphanRun(Number(row.id), nowMs))) continue;
      closed.push(Number(row.id));
      this.#o.log.warn(
        { runId: row.id, jobId: row.job_id, agent: row.kind },
        'orphan agent run closed (exit -1)',
      );
    }
    if (closed.length > 0) {
      await this.#o.alert(
        `orphan agent runs closed with exit -1 (manual check): ${closed.join(', ')}`,
        {
          taskId: null,
          jobId: null,
        },
      );
    }
    return closed;
  }

  /**
   * Running jobs leased on this host whose executor is gone: our own owner name (an earlier
   * incarnation with the same host:pid) or an owner process that is dead. A still-running agent
   * of a dead owner is verified (/proc environ names the job) and its group stopped first, so
   * two agents never work in one worktree. Then a guarded requeue, or failed when the attempts
   * are used up. Jobs of live owners and of other hosts are left to lease expiry.
   */
  async recoverJobs(finished: number[] = []): Promise<Job[]> {
    const { store, clock, host, owner, log } = this.#o;
    const out: Job[] = [];
    for (const job of await store.running()) {
      if (ownerHost(job.leasedBy) !== host) continue;
      const ownerId = ownerPid(job.leasedBy);
      const gone = job.leasedBy === owner || (ownerId !== null && !this.#o.pidAlive(ownerId));
      if (!gone) continue;
      if (this.#o.finishExited && exitedOk(job)) {
        await this.#o.finishExited(job);
        finished.push(job.id);
        continue;
      }
      if (job.pid !== null && this.#o.pidAlive(job.pid) && isAgentOfJob(job.pid, job.id)) {
        log.warn({ jobId: job.id, pid: job.pid }, 'stopping orphaned agent of a dead Orch process');
        (this.#o.killGroup ?? killGroup)(job.pid);
      }
      const to = unknownOutcomeStatus(job);
      const error = `recovered after restart: owner ${job.leasedBy ?? '?'} gone (run_id=${job.agentRunId ?? 'none'})`;
      const claimed = await store.claim(job.id, job.leaseToken, to, { nowMs: clock.now(), error });
      if (!claimed) continue;
      out.push(claimed);
      const status = claimed.status; // cancelled when a cancel was pending
      log.warn({ jobId: job.id, agent: job.kind, status }, `recovered running job -> ${status}`);
      if (status === 'failed') {
        await this.#o.alert(`job ${job.id} (${job.kind}) failed: ${error}`, {
          taskId: job.taskId,
          jobId: job.id,
        });
      }
    }
    return out;
  }
}

/** The job's current run (not an earlier claim's, hazard H-2) exited 0 with a success result. */
function exitedOk(job: RunningJob): boolean {
  return (
    job.exitCode === 0 &&
    job.runOutcome === 'success' &&
    job.runStartedAtMs !== null &&
    job.startedAtMs !== null &&
    job.runStartedAtMs >= job.startedAtMs
  );
}

function killGroup(pid: number): void {
  signalProcessGroup(pid, 'SIGTERM');
}
