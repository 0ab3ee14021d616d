import type { Clock } from '../clock.js';
import { safeNotify, type Notifier } from '../integrations/notify/notifier.js';
import type { Logger } from '../log.js';
import type { Job, JobStatus } from '../queue/job.js';
import type { QueueAdmin } from '../queue/queue-admin.js';
import { assertNever } from '../errors.js';
import type { DaemonTicks } from '../store/daemon-ticks/daemon-ticks.js';
import { IntervalLoop } from './interval-loop.js';
import type { MergeLease } from './lease-decision.js';
import { ownerHost, type PidAlive } from './process-liveness.js';
import { decideReap, unknownOutcomeStatus, type ReapSettings } from './reap-decision.js';
import type { ReapStatus, ReapStore, RunningJob } from '../store/jobs/reap-store.js';

/** Settings read live on every tick (tests and operators may change them). */
export interface ReaperSettings extends ReapSettings {
  enabled: boolean;
}

/** The pipeline as the reaper sees it for a job that exited 0 (spec §6.4 `reapExit0`). */
export interface ReapPipeline {
  /**
   * Read-only: has the job's task left the job's stage (or is it no pipeline job), and if not,
   * is the stage's exit gate green? Must not advance, enqueue or notify.
   */
  inspect(
    job: RunningJob,
  ): Promise<
    { kind: 'already_advanced'; reason: string } | { kind: 'gate'; passed: boolean; reason: string }
  >;
  /** The claim winner's advance: what the job's finalizer would have done. Returns a summary. */
  advance(job: RunningJob): Promise<string>;
}

export interface JobReaperOptions {
  store: ReapStore;
  admin: QueueAdmin;
  /** Wakes local claimers after a requeue. */
  wake: () => void;
  pipeline: ReapPipeline;
  clock: Clock;
  log: Logger;
  notifier: Notifier;
  settings: () => ReaperSettings;
  /** Fixed at construction (spec §6.1). */
  intervalMs: number;
  /** This host: Tier-1 judges only pids of jobs leased by a worker on this host. */
  host: string;
  pidAlive: PidAlive;
  /** True while this process's worker runs the job (its monitor is alive). */
  heldLocally: (jobId: number) => boolean;
  /** Merge-lease sweep on every tick (its own kill-switch, spec §6.2 mechanism B). */
  leases?: { reclaimStale(): Promise<MergeLease[]> };
  /** Replica election; absent = this process always ticks. */
  ticks?: DaemonTicks;
  owner: string;
  /**
   * A job the reaper (or lease expiry) failed, or ended cancelled for a pending cancel: the
   * pipeline blocks its work item (a task that is itself cancelled is left alone).
   */
  onJobFailed?: (job: Job) => Promise<unknown>;
}

export interface ReapedInfo {
  job_id: number;
  agent: string;
  outcome: JobStatus;
}

/**
 * The job reaper (spec reaper.md §6): finds `running` jobs whose executor is dead — Tier-1 a dead
 * pid on N consecutive ticks, Tier-2 a recorded exit code past the finalize grace, Tier-3 past the
 * maximum running time — plus expired remote leases, and moves each to done / queued / failed
 * with one guarded claim before any side effect (claim-before-act). Never throws per job or per
 * tick. `runOnce()` is one tick; `start()`/`stop()` run it on an interval.
 */
export class JobReaper {
  readonly #o: JobReaperOptions;
  readonly #loop: IntervalLoop;
  readonly #streak = new Map<number, number>();
  #lastRunMs: number | null = null;
  #reapedTotal = 0;
  #lastReaped: ReapedInfo | null = null;
  #leaseReclaimedTotal = 0;
  #leasesExpiredTotal = 0;
  #leader: boolean | null = null;

  constructor(options: JobReaperOptions) {
    this.#o = options;
    this.#loop = new IntervalLoop('reaper', options.log);
  }

  get streaks(): ReadonlyMap<number, number> {
    return this.#streak;
  }

  async runOnce(): Promise<void> {
    try {
      if (!(await this.#won())) return;
      if (this.#o.settings().enabled) {
        await this.#reapRunning();
        await this.#expireLeases();
      }
      await this.#sweepLeases();
    } catch (err) {
      this.#o.log.error({ err, daemon: 'reaper' }, 'reaper tick failed');
    } finally {
      this.#lastRunMs = this.#o.clock.now();
    }
  }

  async #won(): Promise<boolean> {
    const { ticks } = this.#o;
    if (!ticks) return true;
    const takeoverMs = 2 * this.#o.intervalMs;
    const nowMs = this.#o.clock.now();
    this.#leader = await ticks.tryTick('reaper', { owner: this.#o.owner, nowMs, takeoverMs });
    if (!this.#leader) this.#streak.clear(); // another replica counts now
    return this.#leader;
  }

  async #reapRunning(): Promise<void> {
    let running: RunningJob[];
    try {
      running = await this.#o.store.running();
    } catch (err) {
      this.#o.log.error({ err }, 'reaper: reading running jobs failed');
      running = [];
    }
    const seen = new Set<number>();
    for (const job of running) {
      seen.add(job.id);
      try {
        await this.reapJob(job);
      } catch (err) {
        this.#o.log.error({ err, jobId: job.id, agent: job.kind }, 'reaper: job failed');
      }
    }
    for (const id of [...this.#streak.keys()]) if (!seen.has(id)) this.#streak.delete(id);
  }

  /** One job's decision and action (public for the per-job isolation tests). */
  async reapJob(job: RunningJob): Promise<void> {
    const { host, pidAlive } = this.#o;
    const judgeable = job.pid !== null && ownerHost(job.leasedBy) === host;
    const d = decideReap({
      job,
      nowMs: this.#o.clock.now(),
      settings: this.#o.settings(),
      pidAlive: judgeable ? pidAlive(job.pid) : null,
      streak: this.#streak.get(job.id) ?? 0,
      heldLocally: this.#o.heldLocally(job.id),
    });
    switch (d.kind) {
      case 'keep':
        if (d.streak > 0) this.#streak.set(job.id, d.streak);
        else this.#streak.delete(job.id);
        if (d.note) this.#o.log.info({ jobId: job.id, agent: job.kind }, `reaper: ${d.note}`);
        return;
      case 'reap_unknown':
        this.#streak.delete(job.id);
        return this.#reapUnknown(job, d.reason);
      case 'reap_exit0':
        this.#streak.delete(job.id);
        return this.#reapExit0(job);
      default:
        return assertNever(d, 'reap decision');
    }
  }

  /**
   * Startup recovery hands over a job whose run exited 0 but whose finalizer died with its
   * process: the same claim-before-act path as Tier-2, without waiting for the grace (the
   * finalizer is known to be gone).
   */
  reapExited(job: RunningJob): Promise<void> {
    return this.#reapExit0(job);
  }

  async #reapExit0(job: RunningJob): Promise<void> {
    let view: Awaited<ReturnType<ReapPipeline['inspect']>>;
    try {
      view = await this.#o.pipeline.inspect(job);
    } catch (err) {
      this.#o.log.warn({ err, jobId: job.id }, 'reaper: gate pre-evaluation failed');
      view = { kind: 'gate', passed: false, reason: 'gate pre-evaluation failed' };
    }
    if (view.kind === 'already_advanced') {
      const claimed = await this.#claim(job, 'done', null);
      if (claimed) this.#note(job, claimed.status, `exit0, ${view.reason}`);
      if (claimed?.status === 'cancelled') await this.#ended(claimed);
      return;
    }
    // Never fabricate done: a red gate (e.g. the finalizer died before the push) is a retry.
    if (!view.passed) return this.#reapUnknown(job, `exit0 but gate red: ${view.reason}`);
    const claimed = await this.#claim(job, 'done', null);
    if (!claimed) return; // lost the race: no side effects
    this.#note(job, claimed.status, 'exit0, gate green');
    // A pending cancel won the claim: the cancelled job's work is never committed or advanced.
    if (claimed.status === 'cancelled') return this.#ended(claimed);
    try {
      const summary = await this.#o.pipeline.advance(job);
      this.#o.log.info({ jobId: job.id, taskId: job.taskId }, `reaper: advance: ${summary}`);
    } catch (err) {
      // Hazard H-4: the job is done but the task did not move; the reconciler re-drives it.
      this.#o.log.warn({ err, jobId: job.id, taskId: job.taskId }, 'reaper: advance failed');
    }
  }

  async #reapUnknown(job: RunningJob, reason: string): Promise<void> {
    const to = unknownOutcomeStatus(job);
    const error = `reaped: ${reason} (run_id=${job.agentRunId ?? 'none'})`;
    const claimed = await this.#claim(job, to, error);
    if (!claimed) return;
    this.#note(job, claimed.status, reason);
    if (claimed.status === 'queued') this.#o.wake();
    else if (claimed.status === 'failed') await this.#notifyFailed(claimed, error);
    else await this.#ended(claimed);
  }

  async #claim(job: RunningJob, to: ReapStatus, error: string | null): Promise<Job | null> {
    return this.#o.store.claim(job.id, job.leaseToken, to, {
      nowMs: this.#o.clock.now(),
      error,
      ...(to === 'done' && { result: { reaped: true, agentRunId: job.agentRunId } }),
    });
  }

  #note(job: RunningJob, outcome: JobStatus, reason: string): void {
    this.#reapedTotal++;
    this.#lastReaped = { job_id: job.id, agent: job.kind, outcome };
    this.#o.log.warn(
      { jobId: job.id, agent: job.kind, taskId: job.taskId, runId: job.agentRunId, pid: job.pid },
      `reaper: job ${job.id} reaped -> ${outcome} (${reason})`,
    );
  }

  async #notifyFailed(job: Job, error: string): Promise<void> {
    await safeNotify(
      this.#o.notifier,
      {
        type: 'job_failed',
        jobId: job.id,
        kind: job.kind,
        taskId: job.taskId,
        attempts: job.attempts,
        error,
      },
      this.#o.log,
    );
    await this.#ended(job);
  }

  /** A job the reaper ended for good (failed, or cancelled by a pending cancel). */
  async #ended(job: Job): Promise<void> {
    try {
      await this.#o.onJobFailed?.(job);
    } catch (err) {
      this.#o.log.error({ err, jobId: job.id }, 'reaper: could not block the failed job’s task');
    }
  }

  /** Remote agents have no pid here: a lease that expired without a heartbeat is their Tier-1. */
  async #expireLeases(): Promise<void> {
    const expired = await this.#o.admin.expireLeases();
    this.#leasesExpiredTotal += expired.length;
    for (const job of expired) {
      this.#o.log.warn(
        { jobId: job.id, agent: job.kind, status: job.status },
        `reaper: lease expired -> ${job.status}`,
      );
      if (job.status === 'failed') await this.#notifyFailed(job, job.error ?? 'lease expired');
      else if (job.status === 'cancelled') await this.#ended(job);
    }
  }

  async #sweepLeases(): Promise<void> {
    if (!this.#o.leases) return;
    try {
      this.#leaseReclaimedTotal += (await this.#o.leases.reclaimStale()).length;
    } catch (err) {
      this.#o.log.error({ err }, 'reaper: lease reclaim sweep failed');
    }
  }

  start(): void {
    const s = this.#o.settings();
    this.#o.log.info(
      {
        daemon: 'reaper',
        intervalMs: this.#o.intervalMs,
        enabled: s.enabled,
        deadTicks: s.deadTicks,
      },
      'reaper started',
    );
    this.#loop.start(() => this.runOnce(), this.#o.intervalMs);
  }

  get running(): boolean {
    return this.#loop.running;
  }

  async stop(timeoutMs = 5000): Promise<void> {
    await this.#loop.stop(timeoutMs);
  }

  /** The `reaper` block of GET /queue (spec §7), plus expiry and leadership. */
  status() {
    return {
      enabled: this.#o.settings().enabled,
      interval: this.#o.intervalMs / 1000,
      last_run_ts: this.#lastRunMs === null ? null : this.#lastRunMs / 1000,
      reaped_total: this.#reapedTotal,
      last_reaped: this.#lastReaped,
      lease_reclaimed_total: this.#leaseReclaimedTotal,
      leases_expired_total: this.#leasesExpiredTotal,
      leader: this.#leader,
    };
  }
}
