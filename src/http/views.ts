import { jobRole, jobWorkItem } from '../pipeline/task-insights.js';
import type { Job } from '../queue/job.js';

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/**
 * A job as the API shows it to operators: never its lease token. `work_item_id` and `role` put
 * the raw fields in work-item terms (issue 19): from the payload the pipeline writes, `workItem`
 * when the caller knows the task; null for jobs without a task or an agent.
 */
export function jobView(job: Job, workItem: string | null = null) {
  return {
    id: job.id,
    tenant_id: job.tenantId,
    kind: job.kind,
    work_item_id: job.taskId === null ? null : (jobWorkItem(job) ?? workItem),
    role: jobRole(job),
    labels: job.labels,
    status: job.status,
    priority: job.priority,
    attempts: job.attempts,
    max_attempts: job.maxAttempts,
    task_id: job.taskId,
    run_id: job.runId,
    leased_by: job.leasedBy,
    cancel_requested: job.cancelRequested,
    error: job.error,
    created_at: iso(job.createdAtMs),
    updated_at: iso(job.updatedAtMs),
    finished_at: iso(job.finishedAtMs),
  };
}

/** A job as its new lease holder receives it: payload and lease token included. */
export function leasedJobView(job: Job) {
  return {
    id: job.id,
    kind: job.kind,
    labels: job.labels,
    run_id: job.runId,
    payload: job.payload,
    attempts: job.attempts,
    max_attempts: job.maxAttempts,
    lease_token: job.leaseToken,
    lease_expires_at: iso(job.leaseExpiresAtMs),
    lease_expires_at_ms: job.leaseExpiresAtMs,
  };
}
