import type { Job } from '../queue/job.js';
import type { QueueAdmin } from '../queue/queue-admin.js';
import type { AdvanceResult, CoreEngine } from './engine.js';

/**
 * A pipeline job that ended for good without success (attempts or the transient budget exhausted,
 * a timeout, a crash, a missing binary, a cancel that did not come from the task) puts its work
 * item into Blocked at once, with the reason in words. Nothing automatic moves a Blocked item on;
 * a person resumes, rejects or cancels it.
 */

/** Why a job ended, as a sentence a person can act on ("developer timed out after 1800 s"). */
export function describeJobFailure(
  job: Pick<Job, 'kind' | 'status' | 'attempts' | 'transientAttempts' | 'error'>,
): string {
  const error = (job.error ?? 'no error recorded').replace(/\s*\(run_id=\d+\)\s*$/, '').trim();
  if (job.status === 'cancelled') return `${job.kind} job was cancelled: ${error}`;
  // The figures are the reason (src/agents/budget.ts); no attempt was spent on it.
  if (/^budget exhausted:/.test(error)) return error;
  if (/^timed out\b/.test(error)) return `${job.kind} ${error}`;
  if (/not found on PATH|preflight/.test(error)) return `${job.kind} cannot run: ${error}`;
  const tries = `${job.attempts} attempt${job.attempts === 1 ? '' : 's'}`;
  const transient =
    job.transientAttempts > 0
      ? ` and ${job.transientAttempts} retr${job.transientAttempts === 1 ? 'y' : 'ies'} after temporary errors`
      : '';
  return `${job.kind} failed after ${tries}${transient}: ${error}`;
}

function payloadStage(job: Job): string | null {
  const p = job.payload as { stage?: unknown } | null;
  return p && typeof p.stage === 'string' ? p.stage : null;
}

/**
 * Blocks the job's task if the job failed or was cancelled for good and it was the task's work in
 * its current stage. Idempotent and safe to call from every path that can end a job (the runner,
 * the handler worker, the reaper, startup recovery, the reconciler): a task that moved on, is no
 * longer active, or has another live job is left alone.
 */
export async function blockOnJobEnd(
  core: CoreEngine,
  admin: QueueAdmin,
  jobId: number,
): Promise<AdvanceResult> {
  const job = await core.deps.queue.get(jobId);
  if (!job || job.taskId === null) return { kind: 'noop', reason: 'not a pipeline job' };
  if (job.status !== 'failed' && job.status !== 'cancelled')
    return { kind: 'noop', reason: `job is ${job.status}` };
  const task = await core.deps.tasks.get(job.taskId);
  if (!task) return { kind: 'noop', reason: 'task is gone' };
  if (task.state !== 'active') return { kind: 'noop', reason: `task is ${task.state}` };
  const stage = payloadStage(job);
  if (stage !== null && stage !== task.stage)
    return { kind: 'noop', reason: `stale: job was for ${stage}, task is in ${task.stage}` };
  // Another live job for this stage (a retry, a re-check) still decides; a job of the stage
  // before, finishing its after-run step, does not.
  const live = [
    ...(await admin.list({ taskId: task.id, status: 'queued' })),
    ...(await admin.list({ taskId: task.id, status: 'running' })),
  ].filter((j) => j.id !== job.id && (payloadStage(j) ?? task.stage) === task.stage);
  if (live.length > 0) return { kind: 'noop', reason: 'another job of the stage is live' };
  const reason = describeJobFailure(job);
  return core.block(task, reason, [], {
    states: ['active'],
    detail: {
      jobId: job.id,
      kind: job.kind,
      status: job.status,
      error: job.error,
      transientAttempts: job.transientAttempts,
    },
  });
}
