import type { Queryable } from '../store/db.js';
import { OrchError } from '../errors.js';
import type { JobStatus } from '../queue/job.js';

export interface TenantJob {
  id: number;
  run_id: number | null;
  status: JobStatus;
}

/** The job if it belongs to the tenant; JOB_NOT_FOUND otherwise (another tenant's job included). */
export async function findTenantJob(
  q: Queryable,
  tenantId: string,
  jobId: number,
): Promise<TenantJob> {
  const row = await q.get<TenantJob>(
    `-- job $1 within tenant $2
     select id, run_id, status from jobs where id = $1 and tenant_id = $2`,
    [jobId, tenantId],
  );
  if (!row) throw new OrchError('JOB_NOT_FOUND', `job ${jobId} does not exist`);
  return { ...row, id: Number(row.id), run_id: row.run_id === null ? null : Number(row.run_id) };
}

/**
 * Stores a job event written by the lease holder: one insert-select fenced by
 * `(id, lease_token, status='running', tenant)`. Returns false when the lease is not held.
 */
export async function insertFencedJobEvent(
  q: Queryable,
  e: { tenantId: string; jobId: number; leaseToken: string; type: string; dataJson: string },
  nowMs: number,
): Promise<boolean> {
  const res = await q.run(
    `-- job event ($4) by the holder of job $2's lease $3 (tenant $1)
     insert into job_events (tenant_id, job_id, type, data, created_at_ms)
     select $1, id, $4, $5, $6 from jobs
     where id = $2 and lease_token = $3 and status = 'running' and tenant_id = $1`,
    [e.tenantId, e.jobId, e.leaseToken, e.type, e.dataJson, nowMs],
  );
  return res.changes === 1;
}

export async function listJobEvents(
  q: Queryable,
  tenantId: string,
  jobId: number,
): Promise<{ type: string; data: unknown; created_at_ms: number }[]> {
  const rows = await q.all<{ type: string; data: string; created_at_ms: number }>(
    `-- events of job $1 (tenant $2), oldest first
     select type, data, created_at_ms from job_events where job_id = $1 and tenant_id = $2 order by id`,
    [jobId, tenantId],
  );
  return rows.map((r) => ({ ...r, data: JSON.parse(r.data) as unknown }));
}

/**
 * Throws JOB_NOT_FOUND unless job `jobId` belongs to run `runId` of the tenant: an artifact or
 * finding may only name a job of its own run (another run's or tenant's job is "not found").
 */
export async function assertRunJob(
  q: Queryable,
  ref: { tenantId: string; runId: number; jobId?: number | undefined },
): Promise<void> {
  if (ref.jobId === undefined) return;
  const row = await q.get(
    `-- job $1 is part of run $2 (tenant $3)
     select 1 as x from jobs where id = $1 and run_id = $2 and tenant_id = $3`,
    [ref.jobId, ref.runId, ref.tenantId],
  );
  if (!row)
    throw new OrchError('JOB_NOT_FOUND', `job ${ref.jobId} is not part of run ${ref.runId}`);
}
