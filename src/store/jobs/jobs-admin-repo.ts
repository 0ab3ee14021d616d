import { jsonTextArray, typedParam, type Db, type Dialect } from '../db.js';
import type { JobRow, JobStatus } from '../../queue/job.js';
import { JOB_COLUMN_LIST } from './job-history-repo.js';
import { addLeaseExpirations } from '../metrics/metrics-repo.js';
import { fromStatusSql, transitionSet } from './transition-sql.js';

const LEASE_EXPIRED_ERROR = `'lease expired (held by ' || coalesce(leased_by, 'unknown') || ')'`;

function build(d: Dialect) {
  const owner = typedParam(d, 2, 'text');
  const [status, kind, taskId] = [
    typedParam(d, 1, 'text'),
    typedParam(d, 2, 'text'),
    typedParam(d, 3, 'bigint'),
  ];
  return {
    requestCancel: `-- admin cancel: queued → cancelled now; running → cancel requested ($1 id, $2 now)
       update jobs set ${transitionSet(
         [
           { when: "status = 'queued'", from: 'queued', event: 'request_cancel' },
           { from: 'running', event: 'request_cancel' },
         ],
         { dialect: d, params: { now: '$2' } },
       )}
       where id = $1 and ${fromStatusSql('request_cancel')} returning *`,
    restore: `-- admin retry: bring job $1 back from job_history into jobs (a no-op when it is live)
       insert into jobs (${JOB_COLUMN_LIST}) select ${JOB_COLUMN_LIST} from job_history where id = $1`,
    forgetRestored: `-- admin retry: drop job $1's history copy once it is back in jobs
       delete from job_history where id = $1`,
    retry: `-- admin retry: failed/cancelled → queued now, budgets reset ($1 id, $2 now)
       update jobs set ${transitionSet(
         [
           { when: "status = 'failed'", from: 'failed', event: 'admin_retry' },
           { from: 'cancelled', event: 'admin_retry' },
         ],
         { dialect: d, params: { now: '$2' } },
       )}
       where id = $1 and ${fromStatusSql('admin_retry')} returning *`,
    recoverRunning: `-- recover: running → queued after a restart ($1 now, $2 = owner or null for all)
       update jobs set ${transitionSet([{ from: 'running', event: 'recover_running' }], {
         dialect: d,
         params: { now: '$1' },
       })}
       where status = 'running' and (${owner} is null or leased_by = ${owner}) returning *`,
    expireLeases: `-- expire leases: running with lease_expires_at_ms < $1 (now) → queued (attempts left) or failed
       update jobs set ${transitionSet(
         [
           { when: 'attempts < max_attempts', from: 'running', event: 'lease_expiry_requeue' },
           { from: 'running', event: 'lease_expiry_final' },
         ],
         { dialect: d, params: { now: '$1', error: LEASE_EXPIRED_ERROR } },
       )}
       where status = 'running' and lease_expires_at_ms < $1 returning *`,
    failQueuedKind: `-- fail queued task jobs of kind $1 that cannot run (agent unavailable); $2 error, $3 now
       update jobs set ${transitionSet([{ from: 'queued', event: 'fail_unrunnable' }], {
         dialect: d,
         params: { error: '$2', now: '$3' },
       })}
       where kind = $1 and status = 'queued' and task_id is not null returning *`,
    counts: `-- counts by kind and status (history included), with the oldest queued job's available time
       select kind, status, count(*) as n,
         min(case when status = 'queued' then available_at_ms end) as oldest
       from all_jobs group by kind, status order by kind, status`,
    list: `-- list jobs (history included), newest first, optionally by status $1 / kind $2 / task $3; $4 limit
       select * from all_jobs
       where (${status} is null or status = ${status}) and (${kind} is null or kind = ${kind})
         and (${taskId} is null or task_id = ${taskId})
       order by id desc limit $4`,
    queuedAhead: `-- queue position: queued jobs of kinds $2 (JSON) available at $1 (now) that a claimer takes
       -- before a job of priority $3 and id $4 (claim order: priority desc, then id)
       select count(*) as n from jobs
       where status = 'queued' and available_at_ms <= $1 and kind in ${jsonTextArray(d, 2)}
         and (priority > $3 or (priority = $3 and id < $4))`,
  };
}

type AdminSql = ReturnType<typeof build>;
const cache = new Map<Dialect, AdminSql>();

export interface CountRow {
  kind: string;
  status: JobStatus;
  n: number;
  oldest: number | null;
}

/**
 * Operator and maintenance statements on `jobs` (admin cancel/retry, startup recovery, lease
 * expiry, unrunnable kinds) and the read models (counts, lists) over `all_jobs`, so moved jobs
 * stay visible. Each state change is one set-based conditional statement.
 */
export class JobsAdminRepo {
  readonly #db: Db;
  readonly #sql: AdminSql;

  constructor(db: Db) {
    this.#db = db;
    let sql = cache.get(db.dialect);
    if (!sql) cache.set(db.dialect, (sql = build(db.dialect)));
    this.#sql = sql;
  }

  requestCancel(id: number, nowMs: number): Promise<JobRow | undefined> {
    return this.#db.get<JobRow>(this.#sql.requestCancel, [id, nowMs]);
  }

  /**
   * Admin retry. A finished job may have been moved to job_history: it is moved back first, in
   * the same transaction, so the retried job is live again under its own id.
   */
  retry(id: number, nowMs: number): Promise<JobRow | undefined> {
    return this.#db
      .tx(async (q) => {
        const restored = await q.run(this.#sql.restore, [id]);
        if (restored.changes === 1) await q.run(this.#sql.forgetRestored, [id]);
        const row = await q.get<JobRow>(this.#sql.retry, [id, nowMs]);
        // Refused (not failed/cancelled): leave the history as it was.
        if (!row && restored.changes === 1) throw new RetryRefused();
        return row;
      })
      .catch((err: unknown) => {
        if (err instanceof RetryRefused) return undefined;
        throw err;
      });
  }

  recoverRunning(owner: string | null, nowMs: number): Promise<JobRow[]> {
    return this.#db.all<JobRow>(this.#sql.recoverRunning, [nowMs, owner]);
  }

  /** Expires the leases and counts them by kind (`orch_lease_expirations_total`) in one transaction. */
  expireLeases(nowMs: number): Promise<JobRow[]> {
    return this.#db.tx(async (q) => {
      const rows = await q.all<JobRow>(this.#sql.expireLeases, [nowMs]);
      if (rows.length > 0)
        await addLeaseExpirations(
          q,
          rows.map((r) => r.kind),
        );
      return rows;
    });
  }

  failQueuedKind(kind: string, error: string, nowMs: number): Promise<JobRow[]> {
    return this.#db.all<JobRow>(this.#sql.failQueuedKind, [kind, error, nowMs]);
  }

  counts(): Promise<CountRow[]> {
    return this.#db.all<CountRow>(this.#sql.counts);
  }

  list(f: {
    status: JobStatus | null;
    kind: string | null;
    taskId: number | null;
    limit: number;
  }): Promise<JobRow[]> {
    return this.#db.all<JobRow>(this.#sql.list, [f.status, f.kind, f.taskId, f.limit]);
  }

  /** How many available queued jobs of `kinds` a claimer takes before `job` (`orch explain`). */
  async queuedAhead(
    job: { id: number; priority: number },
    kinds: readonly string[],
    nowMs: number,
  ): Promise<number> {
    const row = await this.#db.get<{ n: number | string }>(this.#sql.queuedAhead, [
      nowMs,
      JSON.stringify(kinds),
      job.priority,
      job.id,
    ]);
    return Number(row?.n ?? 0);
  }
}

/** Rolls back a restore whose retry was refused. */
class RetryRefused extends Error {}
