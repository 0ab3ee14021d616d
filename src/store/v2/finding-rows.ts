import type { Finding } from '../../remote/findings.js';
import type { Queryable } from '../db.js';

/** A `findings` row of a v2 run (`assets`, `tags`: JSON arrays). */
export interface FindingRow {
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

/** Stores one normalized finding. */
export async function insertFinding(
  q: Queryable,
  f: Omit<FindingRow, 'id'> & { tenant_id: string },
): Promise<void> {
  await q.run(
    `-- finding of run $2 (tenant $1): job $3, title $4, severity $5, description $6, assets $7,
     -- tags $8, at $9
     insert into findings (tenant_id, run_id, job_id, title, severity, description, assets, tags,
       created_at_ms)
     values ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
    [
      f.tenant_id,
      f.run_id,
      f.job_id,
      f.title,
      f.severity,
      f.description,
      f.assets,
      f.tags,
      f.created_at_ms,
    ],
  );
}

/** The findings of run `runId` of `tenantId`, oldest first. */
export function findingsOfRun(
  q: Queryable,
  tenantId: string,
  runId: number,
): Promise<FindingRow[]> {
  return q.all<FindingRow>(
    `-- findings of run $1 (tenant $2), oldest first
     select * from findings where run_id = $1 and tenant_id = $2 order by id`,
    [runId, tenantId],
  );
}
