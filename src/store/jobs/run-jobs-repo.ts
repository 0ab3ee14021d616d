import type { Db, Queryable } from '../db.js';
import type { NormalizedEnqueue } from '../../queue/enqueue-input.js';
import type { JobStatus } from '../../queue/job.js';
import type { RunStatus } from '../../remote/run-status.js';

export interface RunRow {
  id: number;
  tenant_id: string;
  status: RunStatus;
  created_at_ms: number;
  finished_at_ms: number | null;
}

export interface RunJobRow {
  id: number;
  kind: string;
  status: JobStatus;
  attempts: number;
  max_attempts: number;
  error: string | null;
}

export interface RunListRow {
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
 * The v2 runs and their jobs: a run's plan is inserted as jobs, and its status is derived from
 * them. Job reads go through `all_jobs` (a finished job may have moved to job_history). Runs in
 * the caller's tenant scope (`withTenant`), except `listAllTenants` / `tenantOf` (admin only).
 */
export class RunJobsRepo {
  readonly #q: Queryable;

  constructor(q: Queryable) {
    this.#q = q;
  }

  async insertRun(tenantId: string, nowMs: number): Promise<number> {
    const row = await this.#q.get<{ id: number }>(
      `-- create run for tenant $1 at $2
       insert into runs (tenant_id, status, created_at_ms, updated_at_ms) values ($1, 'queued', $2, $2)
       returning id`,
      [tenantId, nowMs],
    );
    return Number(row!.id);
  }

  async insertJob(r: NormalizedEnqueue, nowMs: number): Promise<number> {
    const row = await this.#q.get<{ id: number }>(
      `-- run plan: insert one job of run $4 for tenant $1; $8 now
       insert into jobs (tenant_id, kind, labels, run_id, payload, priority, max_attempts,
         available_at_ms, created_at_ms, updated_at_ms)
       values ($1, $2, $3, $4, $5, $6, $7, $8, $8, $8) returning id`,
      [r.tenantId, r.kind, r.labelsJson, r.runId, r.payloadJson, r.priority, r.maxAttempts, nowMs],
    );
    return Number(row!.id);
  }

  async insertEvent(
    e: { tenantId: string; runId: number; type: string; dataJson: string },
    nowMs: number,
  ): Promise<void> {
    await this.#q.run(
      `-- run event ($3) for run $2; a final event is unique per run, so a second one is dropped
       insert into run_events (tenant_id, run_id, type, data, created_at_ms) values ($1, $2, $3, $4, $5)
       on conflict do nothing`,
      [e.tenantId, e.runId, e.type, e.dataJson, nowMs],
    );
  }

  run(tenantId: string, runId: number): Promise<RunRow | undefined> {
    return this.#q.get<RunRow>(
      `-- run by id ($1) within tenant $2
       select id, tenant_id, status, created_at_ms, finished_at_ms from runs where id = $1 and tenant_id = $2`,
      [runId, tenantId],
    );
  }

  async jobStatuses(tenantId: string, runId: number): Promise<JobStatus[]> {
    const rows = await this.#q.all<{ status: JobStatus }>(
      `-- statuses of run $1's jobs (tenant $2), history included
       select status from all_jobs where run_id = $1 and tenant_id = $2`,
      [runId, tenantId],
    );
    return rows.map((r) => r.status);
  }

  /** Conditional: of concurrent refreshes, one changes it. */
  async moveStatus(
    ref: { tenantId: string; runId: number; from: RunStatus; to: RunStatus },
    nowMs: number,
    finishedAtMs: number | null,
  ): Promise<boolean> {
    const changed = await this.#q.run(
      `-- move run $1 (tenant $2) from $3 to $4 at $5; $6 finished time or null
       update runs set status = $4, updated_at_ms = $5, finished_at_ms = $6
       where id = $1 and tenant_id = $2 and status = $3`,
      [ref.runId, ref.tenantId, ref.from, ref.to, nowMs, finishedAtMs],
    );
    return changed.changes === 1;
  }

  jobs(tenantId: string, runId: number): Promise<RunJobRow[]> {
    return this.#q.all<RunJobRow>(
      `-- jobs of run $1 (tenant $2), in plan order, history included
       select id, kind, status, attempts, max_attempts, error from all_jobs
       where run_id = $1 and tenant_id = $2 order by id`,
      [runId, tenantId],
    );
  }

  events(tenantId: string, runId: number): Promise<{ type: string; created_at_ms: number }[]> {
    return this.#q.all<{ type: string; created_at_ms: number }>(
      `-- events of run $1 (tenant $2)
       select type, created_at_ms from run_events where run_id = $1 and tenant_id = $2 order by id`,
      [runId, tenantId],
    );
  }

  async exists(tenantId: string, runId: number): Promise<boolean> {
    const row = await this.#q.get(
      `-- run $1 exists for tenant $2
       select 1 as x from runs where id = $1 and tenant_id = $2`,
      [runId, tenantId],
    );
    return row !== undefined;
  }
}

/** The operator's reads across tenants (owner role; only behind the admin token). */
export class RunsAdminRepo {
  readonly #db: Db;

  constructor(db: Db) {
    this.#db = db;
  }

  listAllTenants(limit: number): Promise<RunListRow[]> {
    return this.#db.all<RunListRow>(
      `-- newest v2 runs of every tenant ($1 at most) with job (history included), artifact and finding counts
       select r.id, r.tenant_id, r.status, r.created_at_ms, r.finished_at_ms,
         (select count(*) from all_jobs j where j.run_id = r.id) as jobs,
         (select count(*) from all_jobs j where j.run_id = r.id and j.status = 'done') as jobs_done,
         (select count(*) from all_jobs j where j.run_id = r.id and j.status = 'failed') as jobs_failed,
         (select count(*) from artifacts a where a.run_id = r.id) as artifacts,
         (select count(*) from findings f where f.run_id = r.id) as findings
       from runs r order by r.id desc limit $1`,
      [limit],
    );
  }

  async tenantOf(runId: number): Promise<string | null> {
    const row = await this.#db.get<{ tenant_id: string }>(
      `-- the tenant of run $1
       select tenant_id from runs where id = $1`,
      [runId],
    );
    return row?.tenant_id ?? null;
  }
}
