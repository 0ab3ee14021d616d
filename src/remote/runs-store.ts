import type { Db, Queryable } from '../store/db.js';
import { OrchError } from '../errors.js';
import { normalizeEnqueue, type EnqueueInput } from '../queue/enqueue-input.js';
import { RunJobsRepo, type RunJobRow, type RunRow } from '../store/jobs/run-jobs-repo.js';
import { ensureTenant } from '../store/v2/agent-token-rows.js';
import { deriveRunStatus, isFinalRunStatus, runFinalEvent, type RunStatus } from './run-status.js';
import { withTenant } from '../store/v2/tenant-scope.js';

export type RunJobView = RunJobRow;

export interface RunView {
  id: number;
  tenant_id: string;
  status: RunStatus;
  created_at_ms: number;
  finished_at_ms: number | null;
  jobs: RunJobView[];
  events: { type: string; created_at_ms: number }[];
}

export type PlanItem = Pick<
  EnqueueInput,
  'kind' | 'payload' | 'labels' | 'priority' | 'maxAttempts'
>;

/** v2 plan jobs run once unless the plan asks for more: an agent's `failed` is final (S0). */
const PLAN_DEFAULT_MAX_ATTEMPTS = 1;

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
    const repo = new RunJobsRepo(q);
    const runId = await repo.insertRun(input.tenantId, nowMs);
    await insertRunEvent(q, { tenantId: input.tenantId, runId, type: 'run.created' }, nowMs);
    const jobIds: number[] = [];
    for (const item of items) jobIds.push(await repo.insertJob({ ...item, runId }, nowMs));
    return { runId, jobIds };
  });
}

async function insertRunEvent(
  q: Queryable,
  e: { tenantId: string; runId: number; type: string; data?: unknown },
  nowMs: number,
): Promise<void> {
  const { data, ...ref } = e;
  await new RunJobsRepo(q).insertEvent({ ...ref, dataJson: JSON.stringify(data ?? {}) }, nowMs);
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
  const repo = new RunJobsRepo(q);
  const run = await repo.run(tenantId, runId);
  if (!run) throw new OrchError('RUN_NOT_FOUND', `run ${runId} does not exist`);
  if (isFinalRunStatus(run.status)) return run;
  const jobs = await repo.jobStatuses(tenantId, runId);
  const status = deriveRunStatus(jobs);
  if (status === run.status) return run;
  const finishedAtMs = isFinalRunStatus(status) ? nowMs : null;
  const changed = await repo.moveStatus(
    { tenantId, runId, from: run.status, to: status },
    nowMs,
    finishedAtMs,
  );
  const event = runFinalEvent(status);
  if (changed && event) {
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
    const repo = new RunJobsRepo(q);
    const jobs = await repo.jobs(tenantId, runId);
    const events = await repo.events(tenantId, runId);
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
  if (!(await new RunJobsRepo(q).exists(tenantId, runId)))
    throw new OrchError('RUN_NOT_FOUND', `run ${runId} does not exist`);
}
