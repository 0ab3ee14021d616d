import type { Db } from '../store/db.js';
import { OrchError } from '../errors.js';
import { RunsAdminRepo, type RunListRow } from '../store/jobs/run-jobs-repo.js';
import { listArtifacts, type ArtifactView } from './artifacts-store.js';
import { listFindings, type FindingView } from './findings-store.js';
import { getRun, type RunView } from './runs-store.js';

export type RunListItem = RunListRow;

/**
 * The operator's view of v2 runs across tenants (the admin dashboard). Runs the owner role's
 * statements, so it must only be reached behind the admin token; per-run reads go through the
 * tenant-scoped functions with the run's own tenant.
 */
export async function listRunsAllTenants(db: Db, limit: number): Promise<RunListItem[]> {
  const rows = await new RunsAdminRepo(db).listAllTenants(limit);
  return rows.map((r) => ({
    ...r,
    id: Number(r.id),
    created_at_ms: Number(r.created_at_ms),
    finished_at_ms: r.finished_at_ms === null ? null : Number(r.finished_at_ms),
    jobs: Number(r.jobs),
    jobs_done: Number(r.jobs_done),
    jobs_failed: Number(r.jobs_failed),
    artifacts: Number(r.artifacts),
    findings: Number(r.findings),
  }));
}

/** One run of any tenant with its jobs, events, artifact index and findings; RUN_NOT_FOUND otherwise. */
export async function runDetailAnyTenant(
  db: Db,
  runId: number,
  nowMs: number,
): Promise<{ run: RunView; artifacts: ArtifactView[]; findings: FindingView[] }> {
  const tenantId = await new RunsAdminRepo(db).tenantOf(runId);
  if (tenantId === null) throw new OrchError('RUN_NOT_FOUND', `run ${runId} does not exist`);
  const run = await getRun(db, tenantId, runId, nowMs);
  const artifacts = await listArtifacts(db, tenantId, runId);
  const findings = await listFindings(db, tenantId, runId);
  return { run, artifacts, findings };
}
