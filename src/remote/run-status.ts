import { isFinalJobStatus, type JobStatus } from '../queue/job.js';

/** A v2 run's status (spec §11). Pure. */
export const RUN_STATUSES = ['queued', 'running', 'completed', 'failed'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

export function isFinalRunStatus(status: RunStatus): boolean {
  return status === 'completed' || status === 'failed';
}

/**
 * Derives a run's status from its jobs' statuses. A run finishes when its last job finishes:
 * `failed` if any job failed or was cancelled, else `completed` (spec §11: downstream reports and
 * approvals depend on it). Until then it is `running` once any job has started, else `queued`.
 */
export function deriveRunStatus(jobStatuses: readonly JobStatus[]): RunStatus {
  if (jobStatuses.length > 0 && jobStatuses.every(isFinalJobStatus)) {
    return jobStatuses.some((s) => s === 'failed' || s === 'cancelled') ? 'failed' : 'completed';
  }
  return jobStatuses.some((s) => s !== 'queued') ? 'running' : 'queued';
}

/** The event a finished run emits, exactly once. */
export function runFinalEvent(status: RunStatus): 'run.completed' | 'run.failed' | null {
  if (status === 'completed') return 'run.completed';
  if (status === 'failed') return 'run.failed';
  return null;
}
