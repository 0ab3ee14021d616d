import type { NamedSql, Queryable } from '../db.js';
import type { JobStatus } from '../../queue/job.js';

export interface TenantJobRow {
  id: number;
  run_id: number | null;
  status: JobStatus;
}

export interface JobEventRow {
  type: string;
  data: string;
  created_at_ms: number;
}

/**
 * Every remote agent's heartbeat and complete checks its job first: named, so PostgreSQL plans
 * the `all_jobs` union once per connection instead of on every call.
 */
const TENANT_JOB: NamedSql = {
  name: 'orch_tenant_job',
  text: `-- job $1 within tenant $2 (history included)
       select id, run_id, status from all_jobs where id = $1 and tenant_id = $2`,
};

/**
 * Tenant-scoped reads of jobs and their events (the v2 protocol). Reads go through `all_jobs`, so
 * a job moved to job_history is still found; the fenced event insert needs a live, held job.
 * Every statement filters by tenant itself (SQLite has no row-level security).
 */
export class JobAccessRepo {
  readonly #q: Queryable;

  constructor(q: Queryable) {
    this.#q = q;
  }

  async tenantJob(tenantId: string, jobId: number): Promise<TenantJobRow | undefined> {
    const row = await this.#q.get<TenantJobRow>(TENANT_JOB, [jobId, tenantId]);
    if (!row) return undefined;
    return { ...row, id: Number(row.id), run_id: row.run_id === null ? null : Number(row.run_id) };
  }

  /** One insert-select fenced by `(id, lease_token, status='running', tenant)`; false if not held. */
  async insertFencedEvent(
    e: { tenantId: string; jobId: number; leaseToken: string; type: string; dataJson: string },
    nowMs: number,
  ): Promise<boolean> {
    const res = await this.#q.run(
      `-- job event ($4) by the holder of job $2's lease $3 (tenant $1); $5 data, $6 now
       insert into job_events (tenant_id, job_id, type, data, created_at_ms)
       select $1, id, $4, $5, $6 from jobs
       where id = $2 and lease_token = $3 and status = 'running' and tenant_id = $1`,
      [e.tenantId, e.jobId, e.leaseToken, e.type, e.dataJson, nowMs],
    );
    return res.changes === 1;
  }

  events(tenantId: string, jobId: number): Promise<JobEventRow[]> {
    return this.#q.all<JobEventRow>(
      `-- events of job $1 (tenant $2), oldest first
       select type, data, created_at_ms from job_events where job_id = $1 and tenant_id = $2 order by id`,
      [jobId, tenantId],
    );
  }

  /** Whether job $1 belongs to run $2 of tenant $3 (history included). */
  async isRunJob(ref: { tenantId: string; runId: number; jobId: number }): Promise<boolean> {
    const row = await this.#q.get(
      `-- job $1 is part of run $2 (tenant $3), history included
       select 1 as x from all_jobs where id = $1 and run_id = $2 and tenant_id = $3`,
      [ref.jobId, ref.runId, ref.tenantId],
    );
    return row !== undefined;
  }
}
