import type { Queryable } from '../store/db.js';
import { OrchError } from '../errors.js';
import { JobAccessRepo, type TenantJobRow } from '../store/jobs/job-access-repo.js';

export type TenantJob = TenantJobRow;

/** The job if it belongs to the tenant; JOB_NOT_FOUND otherwise (another tenant's job included). */
export async function findTenantJob(
  q: Queryable,
  tenantId: string,
  jobId: number,
): Promise<TenantJob> {
  const row = await new JobAccessRepo(q).tenantJob(tenantId, jobId);
  if (!row) throw new OrchError('JOB_NOT_FOUND', `job ${jobId} does not exist`);
  return row;
}

/**
 * Stores a job event written by the lease holder: one insert-select fenced by
 * `(id, lease_token, status='running', tenant)`. Returns false when the lease is not held.
 */
export function insertFencedJobEvent(
  q: Queryable,
  e: { tenantId: string; jobId: number; leaseToken: string; type: string; dataJson: string },
  nowMs: number,
): Promise<boolean> {
  return new JobAccessRepo(q).insertFencedEvent(e, nowMs);
}

export async function listJobEvents(
  q: Queryable,
  tenantId: string,
  jobId: number,
): Promise<{ type: string; data: unknown; created_at_ms: number }[]> {
  const rows = await new JobAccessRepo(q).events(tenantId, jobId);
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
  const ok = await new JobAccessRepo(q).isRunJob({ ...ref, jobId: ref.jobId });
  if (!ok) throw new OrchError('JOB_NOT_FOUND', `job ${ref.jobId} is not part of run ${ref.runId}`);
}
