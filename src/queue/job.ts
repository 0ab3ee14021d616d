/** The job model (DESIGN.md "job") and its row mapping. Pure: no I/O. */
export const JOB_STATUSES = ['queued', 'running', 'done', 'failed', 'cancelled'] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];

export function isJobStatus(value: string): value is JobStatus {
  return (JOB_STATUSES as readonly string[]).includes(value);
}

/** `done`, `failed` and `cancelled` never change again except through an explicit admin retry. */
export function isFinalJobStatus(status: JobStatus): boolean {
  return status === 'done' || status === 'failed' || status === 'cancelled';
}

export interface Job {
  id: number;
  tenantId: string;
  kind: string;
  labels: string[];
  taskId: number | null;
  runId: number | null;
  payload: unknown;
  status: JobStatus;
  priority: number;
  attempts: number;
  maxAttempts: number;
  transientAttempts: number;
  availableAtMs: number;
  idempotencyKey: string | null;
  leaseToken: string | null;
  leasedBy: string | null;
  leaseExpiresAtMs: number | null;
  heartbeatAtMs: number | null;
  cancelRequested: boolean;
  pid: number | null;
  agentRunId: number | null;
  error: string | null;
  result: unknown;
  createdAtMs: number;
  updatedAtMs: number;
  startedAtMs: number | null;
  finishedAtMs: number | null;
}

export interface JobRow {
  id: number;
  tenant_id: string;
  kind: string;
  labels: string;
  task_id: number | null;
  run_id: number | null;
  payload: string;
  status: JobStatus;
  priority: number;
  attempts: number;
  max_attempts: number;
  transient_attempts: number;
  available_at_ms: number;
  idempotency_key: string | null;
  lease_token: string | null;
  leased_by: string | null;
  lease_expires_at_ms: number | null;
  heartbeat_at_ms: number | null;
  cancel_requested: number;
  pid: number | null;
  agent_run_id: number | null;
  error: string | null;
  result: string | null;
  created_at_ms: number;
  updated_at_ms: number;
  started_at_ms: number | null;
  finished_at_ms: number | null;
}

/** A JSON column's value; text that is not JSON is returned as is. */
export function parseJson(text: string | null): unknown {
  if (text === null) return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

export function jobFromRow(row: JobRow): Job {
  return {
    id: Number(row.id),
    tenantId: row.tenant_id,
    kind: row.kind,
    labels: parseJson(row.labels) as string[],
    taskId: row.task_id,
    runId: row.run_id,
    payload: parseJson(row.payload),
    status: row.status,
    priority: row.priority,
    attempts: row.attempts,
    maxAttempts: row.max_attempts,
    transientAttempts: row.transient_attempts,
    availableAtMs: row.available_at_ms,
    idempotencyKey: row.idempotency_key,
    leaseToken: row.lease_token,
    leasedBy: row.leased_by,
    leaseExpiresAtMs: row.lease_expires_at_ms,
    heartbeatAtMs: row.heartbeat_at_ms,
    cancelRequested: Boolean(row.cancel_requested),
    pid: row.pid,
    agentRunId: row.agent_run_id,
    error: row.error,
    result: parseJson(row.result),
    createdAtMs: row.created_at_ms,
    updatedAtMs: row.updated_at_ms,
    startedAtMs: row.started_at_ms,
    finishedAtMs: row.finished_at_ms,
  };
}
