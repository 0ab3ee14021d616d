import type { Queryable } from '../db.js';

/** An `artifacts` row: an agent's file of a v2 run; the bytes live at `storage_path`. */
export interface ArtifactRow {
  id: number;
  run_id: number;
  job_id: number | null;
  label: string;
  kind: string;
  path: string;
  storage_path: string;
  size_bytes: number;
  sha256: string;
  created_at_ms: number;
}

/** Stores the row of an artifact whose bytes are already written. */
export async function insertArtifact(
  q: Queryable,
  a: Omit<ArtifactRow, 'id'> & { tenant_id: string },
): Promise<ArtifactRow> {
  const row = await q.get<ArtifactRow>(
    `-- artifact of run $2 (tenant $1): job $3, label $4, kind $5, path $6, stored at $7, $8
     -- bytes, sha256 $9, at $10
     insert into artifacts (tenant_id, run_id, job_id, label, kind, path, storage_path, size_bytes,
       sha256, created_at_ms)
     values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) returning *`,
    [
      a.tenant_id,
      a.run_id,
      a.job_id,
      a.label,
      a.kind,
      a.path,
      a.storage_path,
      a.size_bytes,
      a.sha256,
      a.created_at_ms,
    ],
  );
  return row!;
}

/** The artifacts of run `runId` of `tenantId`, oldest first. */
export function artifactsOfRun(
  q: Queryable,
  tenantId: string,
  runId: number,
): Promise<ArtifactRow[]> {
  return q.all<ArtifactRow>(
    `-- artifacts of run $1 (tenant $2), oldest first
     select * from artifacts where run_id = $1 and tenant_id = $2 order by id`,
    [runId, tenantId],
  );
}

/** Artifact `artifactId` of run `runId` of `tenantId`, if it exists. */
export function artifactOfRun(
  q: Queryable,
  ref: { tenantId: string; runId: number; artifactId: number },
): Promise<ArtifactRow | undefined> {
  return q.get<ArtifactRow>(
    `-- artifact $1 of run $2 (tenant $3)
     select * from artifacts where id = $1 and run_id = $2 and tenant_id = $3`,
    [ref.artifactId, ref.runId, ref.tenantId],
  );
}
