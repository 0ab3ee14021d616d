import type { Db } from '../store/db.js';
import { OrchError } from '../errors.js';
import { listArtifacts, type ArtifactView } from './artifacts-store.js';
import { listFindings, type FindingView } from './findings-store.js';
import { getRun, type RunView } from './runs-store.js';

export interface RunListItem {
  id: number;
  tenant_id: string;
  status: string;
  created_at_ms: number;
  finished_at_ms: number | null;
  jobs: number;
  jobs_done: number;
  jobs_failed: number;
  artifacts: number;
  findings: number;
}

/**
 * The operator's view of v2 runs across tenants (the admin dashboard). Runs the owner role's
 * statements, so it must only be reached behind the admin token; per-run reads go through the
 * tenant-scoped functions with the run's own tenant.
 */
export async function listRunsAllTenants(db: Db, limit: number): Promise<RunListItem[]> {
  const rows = await db.all<RunListItem>(
    `-- newest v2 runs of every tenant ($1 at most) with job, artifact and finding counts
     select r.id, r.tenant_id, r.status, r.created_at_ms, r.finished_at_ms,
       (select count(*) from jobs j where j.run_id = r.id) as jobs,
       (select count(*) from jobs j where j.run_id = r.id and j.status = 'done') as jobs_done,
       (select count(*) from jobs j where j.run_id = r.id and j.status = 'failed') as jobs_failed,
       (select count(*) from artifacts a where a.run_id = r.id) as artifacts,
       (select count(*) from findings f where f.run_id = r.id) as findings
     from runs r order by r.id desc limit $1`,
    [limit],
  );
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
  const owner = await db.get<{ tenant_id: string }>(
    `-- the tenant of run $1
     select tenant_id from runs where id = $1`,
    [runId],
  );
  if (!owner) throw new OrchError('RUN_NOT_FOUND', `run ${runId} does not exist`);
  const run = await getRun(db, owner.tenant_id, runId, nowMs);
  const artifacts = await listArtifacts(db, owner.tenant_id, runId);
  const findings = await listFindings(db, owner.tenant_id, runId);
  return { run, artifacts, findings };
}
