import type { Db, Queryable } from '../store/db.js';
import { OrchError } from '../errors.js';
import {
  normalizeEnqueue,
  type EnqueueInput,
  type NormalizedEnqueue,
} from '../queue/enqueue-input.js';
import type { JobStatus } from '../queue/job.js';
import { ensureTenant } from './agent-tokens.js';
import { deriveRunStatus, isFinalRunStatus, runFinalEvent, type RunStatus } from './run-status.js';
import { withTenant } from './tenant-scope.js';

export interface RunJobView {
  id: number;
  kind: string;
  status: JobStatus;
  attempts: number;
  max_attempts: number;
  error: string | null;
}

export interface RunView {
  id: number;
  tenant_id: string;
  status: RunStatus;
  created_at_ms: number;
  finished_at_ms: number | null;
  jobs: RunJobView[];
  events: { type: string; created_at_ms: number }[];
}

interface RunRow {
  id: number;
  tenant_id: string;
  status: RunStatus;
  created_at_ms: number;
  finished_at_ms: number | null;
}

export type PlanItem = Pick<
  EnqueueInput,
  'kind' | 'payload' | 'labels' | 'priority' | 'maxAttempts'
>;

/** v2 plan jobs run once unless the plan asks for more: an agent's `failed` is final (S0). */
const PLAN_DEFAULT_MAX_ATTEMPTS = 1;

async function insertJob(q: Queryable, r: NormalizedEnqueue, nowMs: number): Promise<number> {
  const row = await q.get<{ id: number }>(
    `-- run plan: insert one job of run $4 for tenant $1
     insert into jobs (tenant_id, kind, labels, run_id, payload, priority, max_attempts,
       available_at_ms, created_at_ms, updated_at_ms)
     values ($1, $2, $3, $4, $5, $6, $7, $8, $8, $8) returning id`,
    [r.tenantId, r.kind, r.labelsJson, r.runId, r.payloadJson, r.priority, r.maxAttempts, nowMs],
  );
  return Number(row!.id);
}

/**
 * Creates a run and all its jobs in one tenant-scoped transaction. Every plan item is validated
 * before anything is written, so a bad plan writes nothing.
 */
export async function createRun(
  db: Db,
  input: { tenantId: string; plan: readonly PlanItem[] },
  nowMs: number,
): Promise<{ runId: number; jobIds: number[] }> {
  if (input.plan.length === 0) throw new OrchError('INVALID_BODY', 'plan must not be empty');
  const items = input.plan.map((p) =>
    normalizeEnqueue(
      { ...p, tenantId: input.tenantId },
      { nowMs, maxAttempts: PLAN_DEFAULT_MAX_ATTEMPTS },
    ),
  );
  return withTenant(db, input.tenantId, async (q) => {
    await ensureTenant(q, input.tenantId, nowMs);
    const run = await q.get<{ id: number }>(
      `-- create run for tenant $1 at $2
       insert into runs (tenant_id, status, created_at_ms, updated_at_ms) values ($1, 'queued', $2, $2)
       returning id`,
      [input.tenantId, nowMs],
    );
    const runId = Number(run!.id);
    await insertRunEvent(q, { tenantId: input.tenantId, runId, type: 'run.created' }, nowMs);
    const jobIds: number[] = [];
    for (const item of items) jobIds.push(await insertJob(q, { ...item, runId }, nowMs));
    return { runId, jobIds };
  });
}

async function insertRunEvent(
  q: Queryable,
  e: { tenantId: string; runId: number; type: string; data?: unknown },
  nowMs: number,
): Promise<void> {
  await q.run(
    `-- run event ($3) for run $2; a final event is unique per run, so a second one is dropped
     insert into run_events (tenant_id, run_id, type, data, created_at_ms) values ($1, $2, $3, $4, $5)
     on conflict do nothing`,
    [e.tenantId, e.runId, e.type, JSON.stringify(e.data ?? {}), nowMs],
  );
}

/**
 * Re-derives a run's status from its jobs and stores it; a run that just finished emits
 * `run.completed` / `run.failed` exactly once (the status update is conditional, and the final
 * event is unique per run). Throws RUN_NOT_FOUND for an unknown run or another tenant's.
 */
export async function refreshRun(
  q: Queryable,
  tenantId: string,
  runId: number,
  nowMs: number,
): Promise<RunRow> {
  const run = await q.get<RunRow>(
    `-- run by id ($1) within tenant $2
     select id, tenant_id, status, created_at_ms, finished_at_ms from runs where id = $1 and tenant_id = $2`,
    [runId, tenantId],
  );
  if (!run) throw new OrchError('RUN_NOT_FOUND', `run ${runId} does not exist`);
  if (isFinalRunStatus(run.status)) return run;
  const jobs = await q.all<{ status: JobStatus }>(
    `-- statuses of run $1's jobs (tenant $2)
     select status from jobs where run_id = $1 and tenant_id = $2`,
    [runId, tenantId],
  );
  const status = deriveRunStatus(jobs.map((j) => j.status));
  if (status === run.status) return run;
  const finishedAtMs = isFinalRunStatus(status) ? nowMs : null;
  const changed = await q.run(
    `-- move run $1 from $3 to $4 (conditional: concurrent refreshes change it once)
     update runs set status = $4, updated_at_ms = $5, finished_at_ms = $6
     where id = $1 and tenant_id = $2 and status = $3`,
    [runId, tenantId, run.status, status, nowMs, finishedAtMs],
  );
  const event = runFinalEvent(status);
  if (changed.changes === 1 && event) {
    await insertRunEvent(q, { tenantId, runId, type: event, data: { jobs: jobs.length } }, nowMs);
  }
  return { ...run, status, finished_at_ms: finishedAtMs };
}

/** The run with its jobs and events (refreshing its status first). */
export async function getRun(
  db: Db,
  tenantId: string,
  runId: number,
  nowMs: number,
): Promise<RunView> {
  return withTenant(db, tenantId, async (q) => {
    const run = await refreshRun(q, tenantId, runId, nowMs);
    const jobs = await q.all<RunJobView>(
      `-- jobs of run $1 (tenant $2), in plan order
       select id, kind, status, attempts, max_attempts, error from jobs
       where run_id = $1 and tenant_id = $2 order by id`,
      [runId, tenantId],
    );
    const events = await q.all<{ type: string; created_at_ms: number }>(
      `-- events of run $1 (tenant $2)
       select type, created_at_ms from run_events where run_id = $1 and tenant_id = $2 order by id`,
      [runId, tenantId],
    );
    return {
      ...run,
      id: Number(run.id),
      jobs: jobs.map((j) => ({ ...j, id: Number(j.id) })),
      events,
    };
  });
}

/** Throws RUN_NOT_FOUND unless the run exists for this tenant. */
export async function assertRunVisible(
  q: Queryable,
  tenantId: string,
  runId: number,
): Promise<void> {
  const row = await q.get(
    `-- run $1 exists for tenant $2
     select 1 as x from runs where id = $1 and tenant_id = $2`,
    [runId, tenantId],
  );
  if (!row) throw new OrchError('RUN_NOT_FOUND', `run ${runId} does not exist`);
}
