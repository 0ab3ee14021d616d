import type { Clock } from '../clock.js';
import { OrchError } from '../errors.js';
import { JobsAdminRepo } from '../store/jobs/jobs-admin-repo.js';
import { JOB_STATUSES, jobFromRow, type Job, type JobStatus } from './job.js';
import type { JobQueue, QueueCounts } from './job-queue.js';

export interface ListJobsFilter {
  status?: JobStatus;
  kind?: string;
  taskId?: number;
  limit?: number;
}

/**
 * Operator and maintenance operations on the queue: requests that are not made by a lease holder
 * (admin retry/cancel, startup recovery, lease expiry) and read models (counts, lists, which
 * include jobs moved to job_history). Statements: src/store/jobs/jobs-admin-repo.ts.
 */
export class QueueAdmin {
  readonly #repo: JobsAdminRepo;
  readonly #clock: Clock;
  readonly #queue: JobQueue;

  constructor(queue: JobQueue) {
    this.#queue = queue;
    this.#repo = new JobsAdminRepo(queue.db);
    this.#clock = queue.clock;
  }

  async #mustGet(id: number): Promise<Job> {
    const job = await this.#queue.get(id);
    if (!job) throw new OrchError('JOB_NOT_FOUND', `job ${id} does not exist`);
    return job;
  }

  /**
   * Cancels a job: a queued job is cancelled at once; a running job gets `cancel_requested`, which
   * its holder sees on the next heartbeat and ends with a fenced `cancel`.
   */
  async requestCancel(id: number): Promise<{ job: Job; immediate: boolean }> {
    const row = await this.#repo.requestCancel(id, this.#clock.now());
    if (row) {
      const job = jobFromRow(row);
      return { job, immediate: job.status === 'cancelled' };
    }
    const job = await this.#mustGet(id);
    throw new OrchError('INVALID_TRANSITION', `job ${id} is already ${job.status}`);
  }

  /** Requeues a failed or cancelled job (moved to history or not) with fresh attempt budgets. */
  async retry(id: number): Promise<Job> {
    const row = await this.#repo.retry(id, this.#clock.now());
    if (!row) {
      const job = await this.#mustGet(id);
      throw new OrchError(
        'INVALID_TRANSITION',
        `job ${id} is ${job.status}; only failed or cancelled jobs can be retried`,
      );
    }
    this.#queue.wake.notify();
    return jobFromRow(row);
  }

  /**
   * Startup recovery: running jobs (optionally only those leased by `owner`) go back to queued with
   * their lease cleared. The interrupted attempt stays counted (spec §7: attempts preserved). A
   * job with a pending cancel ends cancelled instead.
   */
  async recoverRunning(options: { owner?: string } = {}): Promise<Job[]> {
    const rows = await this.#repo.recoverRunning(options.owner ?? null, this.#clock.now());
    if (rows.length > 0) this.#queue.wake.notify();
    return rows.map(jobFromRow);
  }

  /**
   * One guarded set-based update: running jobs whose lease expired go back to queued while attempts
   * remain, else to failed; with a pending cancel, to cancelled. A holder that comes back later
   * finds its token gone (lease_lost).
   */
  async expireLeases(): Promise<Job[]> {
    const rows = await this.#repo.expireLeases(this.#clock.now());
    if (rows.some((r) => r.status === 'queued')) this.#queue.wake.notify();
    return rows.map(jobFromRow);
  }

  /**
   * Fails the queued pipeline jobs (task jobs) of a kind that cannot run here (its agent failed
   * preflight past the grace), so their work items end visibly instead of waiting forever.
   */
  async failQueuedKind(kind: string, error: string): Promise<Job[]> {
    const rows = await this.#repo.failQueuedKind(kind, error.slice(0, 4000), this.#clock.now());
    return rows.map(jobFromRow);
  }

  async counts(): Promise<QueueCounts> {
    const rows = await this.#repo.counts();
    const byStatus = Object.fromEntries(JOB_STATUSES.map((s) => [s, 0])) as Record<
      JobStatus,
      number
    >;
    for (const r of rows) byStatus[r.status] += Number(r.n);
    return {
      byStatus,
      byKind: rows.map((r) => ({
        kind: r.kind,
        status: r.status,
        count: Number(r.n),
        oldestAvailableAtMs: r.oldest === null ? null : Number(r.oldest),
      })),
    };
  }

  async list(filter: ListJobsFilter = {}): Promise<Job[]> {
    const rows = await this.#repo.list({
      status: filter.status ?? null,
      kind: filter.kind ?? null,
      taskId: filter.taskId ?? null,
      limit: Math.min(Math.max(filter.limit ?? 50, 1), 1000),
    });
    return rows.map(jobFromRow);
  }

  /**
   * How many queued jobs of `kinds` (the kinds the claimers of `job`'s kind serve) are available
   * now and come before `job` in claim order (priority desc, then id).
   */
  queuedAhead(job: Pick<Job, 'id' | 'priority'>, kinds: readonly string[]): Promise<number> {
    return this.#repo.queuedAhead(job, kinds, this.#clock.now());
  }

  recent(limit = 10): Promise<Job[]> {
    return this.list({ limit });
  }
}
