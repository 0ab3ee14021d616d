import type { Db } from '../store/db.js';
import { findingsOfRun, insertFinding } from '../store/v2/finding-rows.js';
import { normalizeFinding, type Finding } from './findings.js';
import { assertRunJob } from './job-access.js';
import { assertRunVisible } from './runs-store.js';
import { withTenant } from '../store/v2/tenant-scope.js';

export interface FindingView extends Finding {
  id: number;
  run_id: number;
  job_id: number | null;
  created_at: string;
}

/** Normalizes and stores a batch of findings for a run, all or nothing. */
export async function addFindings(
  db: Db,
  input: {
    tenantId: string;
    runId: number;
    jobId?: number | undefined;
    findings: Record<string, unknown>[];
  },
  nowMs: number,
): Promise<number> {
  const findings = input.findings.map(normalizeFinding);
  return withTenant(db, input.tenantId, async (q) => {
    await assertRunVisible(q, input.tenantId, input.runId);
    await assertRunJob(q, input);
    for (const f of findings) {
      await insertFinding(q, {
        tenant_id: input.tenantId,
        run_id: input.runId,
        job_id: input.jobId ?? null,
        title: f.title,
        severity: f.severity,
        description: f.description,
        assets: JSON.stringify(f.assets),
        tags: JSON.stringify(f.tags),
        created_at_ms: nowMs,
      });
    }
    return findings.length;
  });
}

export async function listFindings(
  db: Db,
  tenantId: string,
  runId: number,
): Promise<FindingView[]> {
  return withTenant(
    db,
    tenantId,
    async (q) => {
      await assertRunVisible(q, tenantId, runId);
      const rows = await findingsOfRun(q, tenantId, runId);
      return rows.map((r) => ({
        id: Number(r.id),
        run_id: Number(r.run_id),
        job_id: r.job_id === null ? null : Number(r.job_id),
        title: r.title,
        severity: r.severity,
        description: r.description,
        assets: JSON.parse(r.assets) as string[],
        tags: JSON.parse(r.tags) as string[],
        created_at: new Date(Number(r.created_at_ms)).toISOString(),
      }));
    },
    { readOnly: true },
  );
}
