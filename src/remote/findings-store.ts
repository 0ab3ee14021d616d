import type { Db } from '../store/db.js';
import { normalizeFinding, type Finding } from './findings.js';
import { assertRunJob } from './job-access.js';
import { assertRunVisible } from './runs-store.js';
import { withTenant } from './tenant-scope.js';

export interface FindingView extends Finding {
  id: number;
  run_id: number;
  job_id: number | null;
  created_at: string;
}

interface FindingRow {
  id: number;
  run_id: number;
  job_id: number | null;
  title: string;
  severity: Finding['severity'];
  description: string;
  assets: string;
  tags: string;
  created_at_ms: number;
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
      await q.run(
        `-- finding of run $2 (tenant $1)
         insert into findings (tenant_id, run_id, job_id, title, severity, description, assets, tags,
           created_at_ms)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
        [
          input.tenantId,
          input.runId,
          input.jobId ?? null,
          f.title,
          f.severity,
          f.description,
          JSON.stringify(f.assets),
          JSON.stringify(f.tags),
          nowMs,
        ],
      );
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
      const rows = await q.all<FindingRow>(
        `-- findings of run $1 (tenant $2), oldest first
         select * from findings where run_id = $1 and tenant_id = $2 order by id`,
        [runId, tenantId],
      );
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
