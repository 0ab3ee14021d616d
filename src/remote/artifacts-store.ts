import { createHash, randomUUID } from 'node:crypto';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Db } from '../store/db.js';
import { OrchError } from '../errors.js';
import {
  artifactOfRun,
  artifactsOfRun,
  insertArtifact,
  type ArtifactRow,
} from '../store/v2/artifact-rows.js';
import { assertRunJob } from './job-access.js';
import { assertRunVisible } from './runs-store.js';
import { withTenant } from '../store/v2/tenant-scope.js';

export interface ArtifactView {
  id: number;
  run_id: number;
  job_id: number | null;
  label: string;
  kind: string;
  path: string;
  size_bytes: number;
  sha256: string;
  created_at: string;
}

export interface ArtifactInput {
  tenantId: string;
  runId: number;
  jobId?: number | undefined;
  label: string;
  kind: string;
  path?: string | undefined;
  content: Buffer;
}

/** Pure: an agent's logical path must be relative and stay inside the run (no `..`, no NUL). */
export function checkLogicalPath(path: string): string {
  const norm = path.replaceAll('\\', '/');
  const parts = norm.split('/');
  if (
    norm.length === 0 ||
    norm.length > 500 ||
    norm.startsWith('/') ||
    norm.includes('\0') ||
    parts.some((p) => p === '..' || p === '')
  ) {
    throw new OrchError('INVALID_ARTIFACT', 'path must be a relative path without .. segments');
  }
  return norm;
}

function view(row: ArtifactRow): ArtifactView {
  return {
    id: Number(row.id),
    run_id: Number(row.run_id),
    job_id: row.job_id === null ? null : Number(row.job_id),
    label: row.label,
    kind: row.kind,
    path: row.path,
    size_bytes: Number(row.size_bytes),
    sha256: row.sha256,
    created_at: new Date(Number(row.created_at_ms)).toISOString(),
  };
}

/**
 * Stores an artifact's bytes under `<dataDir>/artifacts/<tenant>/<run>/<uuid>` (no client input in
 * the file name) and its row, in one tenant-scoped transaction; a failed insert removes the file.
 */
export async function storeArtifact(
  db: Db,
  dataDir: string,
  input: ArtifactInput,
  nowMs: number,
): Promise<ArtifactView> {
  const path = checkLogicalPath(input.path ?? input.label);
  const storagePath = join('artifacts', input.tenantId, String(input.runId), randomUUID());
  const absolute = join(dataDir, storagePath);
  const sha256 = createHash('sha256').update(input.content).digest('hex');
  return withTenant(db, input.tenantId, async (q) => {
    await assertRunVisible(q, input.tenantId, input.runId);
    await assertRunJob(q, input);
    await mkdir(dirname(absolute), { recursive: true });
    await writeFile(absolute, input.content);
    try {
      const row = await insertArtifact(q, {
        tenant_id: input.tenantId,
        run_id: input.runId,
        job_id: input.jobId ?? null,
        label: input.label,
        kind: input.kind,
        path,
        storage_path: storagePath,
        size_bytes: input.content.length,
        sha256,
        created_at_ms: nowMs,
      });
      return view(row);
    } catch (err) {
      await rm(absolute, { force: true });
      throw err;
    }
  });
}

/** The run's artifact index (spec §11: `id, label, kind, path, created_at`), oldest first. */
export async function listArtifacts(
  db: Db,
  tenantId: string,
  runId: number,
): Promise<ArtifactView[]> {
  return withTenant(
    db,
    tenantId,
    async (q) => {
      await assertRunVisible(q, tenantId, runId);
      const rows = await artifactsOfRun(q, tenantId, runId);
      return rows.map(view);
    },
    { readOnly: true },
  );
}

/** One artifact's bytes; ARTIFACT_NOT_FOUND for unknown ids and other tenants' artifacts. */
export async function readArtifact(
  db: Db,
  dataDir: string,
  ref: { tenantId: string; runId: number; artifactId: number },
): Promise<{ artifact: ArtifactView; content: Buffer }> {
  const row = await withTenant(db, ref.tenantId, (q) => artifactOfRun(q, ref), { readOnly: true });
  if (!row) throw new OrchError('ARTIFACT_NOT_FOUND', `artifact ${ref.artifactId} does not exist`);
  return { artifact: view(row), content: await readFile(join(dataDir, row.storage_path)) };
}
