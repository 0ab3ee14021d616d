import type { Clock } from '../clock.js';
import { typedParam, type Db } from '../store/db.js';
import { OrchError } from '../errors.js';
import { JOB_STATUSES, jobFromRow, type Job, type JobRow, type JobStatus } from './job.js';
import { fromStatusSql, transitionSet } from './job-transition-sql.js';
import type { JobQueue, QueueCounts } from './job-queue.js';

export interface ListJobsFilter {
  status?: JobStatus;
  kind?: string;
  taskId?: number;
  limit?: number;
}

const LEASE_EXPIRED_ERROR = `'lease expired (held by ' || coalesce(leased_by, 'unknown') || ')'`;

/**
 * Operator and maintenance operations on the queue: requests that are not made by a lease holder
 * (admin retry/cancel, startup recovery, lease expiry) and read models (counts, lists).
 * Each state change is one set-based conditional statement.
 */
export class QueueAdmin {
  readonly #db: Db;
  readonly #clock: Clock;
  readonly #queue: JobQueue;

  constructor(queue: JobQueue) {
    this.#queue = queue;
    this.#db = queue.db;
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
    const nowMs = this.#clock.now();
    const row = await this.#db.get<JobRow>(
      `-- admin cancel: queued → cancelled now; running → cancel requested ($1 id, $2 now)
       update jobs set ${transitionSet(
         [
           { when: "status = 'queued'", from: 'queued', event: 'request_cancel' },
           { from: 'running', event: 'request_cancel' },
         ],
         { dialect: this.#db.dialect, params: { now: '$2' } },
       )}
       where id = $1 and ${fromStatusSql('request_cancel')} returning *`,
      [id, nowMs],
    );
    if (row) {
      const job = jobFromRow(row);
      return { job, immediate: job.status === 'cancelled' };
    }
    const job = await this.#mustGet(id);
    throw new OrchError('INVALID_TRANSITION', `job ${id} is already ${job.status}`);
  }

  /** Requeues a failed or cancelled job with fresh attempt budgets. */
  async retry(id: number): Promise<Job> {
    const nowMs = this.#clock.now();
    const row = await this.#db.get<JobRow>(
      `-- admin retry: failed/cancelled → queued now, budgets reset ($1 id, $2 now)
       update jobs set ${transitionSet(
         [
           { when: "status = 'failed'", from: 'failed', event: 'admin_retry' },
           { from: 'cancelled', event: 'admin_retry' },
         ],
         { dialect: this.#db.dialect, params: { now: '$2' } },
       )}
       where id = $1 and ${fromStatusSql('admin_retry')} returning *`,
      [id, nowMs],
    );
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
    const nowMs = this.#clock.now();
    const owner = typedParam(this.#db.dialect, 2, 'text');
    const rows = await this.#db.all<JobRow>(
      `-- recover: running → queued after a restart ($1 now, $2 = owner or null for all)
       update jobs set ${transitionSet([{ from: 'running', event: 'recover_running' }], {
         dialect: this.#db.dialect,
         params: { now: '$1' },
       })}
       where status = 'running' and (${owner} is null or leased_by = ${owner}) returning *`,
      [nowMs, options.owner ?? null],
    );
    if (rows.length > 0) this.#queue.wake.notify();
    return rows.map(jobFromRow);
  }

  /**
   * One guarded set-based update: running jobs whose lease expired go back to queued while attempts
   * remain, else to failed; with a pending cancel, to cancelled. A holder that comes back later
   * finds its token gone (lease_lost).
   */
  async expireLeases(): Promise<Job[]> {
    const nowMs = this.#clock.now();
    const rows = await this.#db.all<JobRow>(
      `-- expire leases: running with lease_expires_at_ms < $1 (now) → queued (attempts left) or failed
       update jobs set ${transitionSet(
         [
           { when: 'attempts < max_attempts', from: 'running', event: 'lease_expiry_requeue' },
           { from: 'running', event: 'lease_expiry_final' },
         ],
         { dialect: this.#db.dialect, params: { now: '$1', error: LEASE_EXPIRED_ERROR } },
       )}
       where status = 'running' and lease_expires_at_ms < $1 returning *`,
      [nowMs],
    );
    if (rows.some((r) => r.status === 'queued')) this.#queue.wake.notify();
    return rows.map(jobFromRow);
  }

  /**
   * Fails the queued pipeline jobs (task jobs) of a kind that cannot run here (its agent failed
   * preflight past the grace), so their work items end visibly instead of waiting forever.
   */
  async failQueuedKind(kind: string, error: string): Promise<Job[]> {
    const nowMs = this.#clock.now();
    const rows = await this.#db.all<JobRow>(
      `-- fail queued task jobs of kind $1 that cannot run (agent unavailable); $2 error, $3 now
       update jobs set ${transitionSet([{ from: 'queued', event: 'fail_unrunnable' }], {
         dialect: this.#db.dialect,
         params: { error: '$2', now: '$3' },
       })}
       where kind = $1 and status = 'queued' and task_id is not null returning *`,
      [kind, error.slice(0, 4000), nowMs],
    );
    return rows.map(jobFromRow);
  }

  async counts(): Promise<QueueCounts> {
    const rows = await this.#db.all<{
      kind: string;
      status: JobStatus;
      n: number;
      oldest: number | null;
    }>(
      `-- counts by kind and status, with the oldest queued job's available time
       select kind, status, count(*) as n,
         min(case when status = 'queued' then available_at_ms end) as oldest
       from jobs group by kind, status order by kind, status`,
    );
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
    const limit = Math.min(Math.max(filter.limit ?? 50, 1), 1000);
    const d = this.#db.dialect;
    const [status, kind, taskId] = [
      typedParam(d, 1, 'text'),
      typedParam(d, 2, 'text'),
      typedParam(d, 3, 'bigint'),
    ];
    const rows = await this.#db.all<JobRow>(
      `-- list jobs, newest first, optionally by status / kind / task
       select * from jobs
       where (${status} is null or status = ${status}) and (${kind} is null or kind = ${kind})
         and (${taskId} is null or task_id = ${taskId})
       order by id desc limit $4`,
      [filter.status ?? null, filter.kind ?? null, filter.taskId ?? null, limit],
    );
    return rows.map(jobFromRow);
  }

  recent(limit = 10): Promise<Job[]> {
    return this.list({ limit });
  }
}
