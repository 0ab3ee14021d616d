import { assertNever } from '../errors.js';
import type { Logger } from '../log.js';
import type { Clock } from '../clock.js';
import { safeNotify, type Notifier } from '../integrations/notify/notifier.js';
import type { BreakerStore } from '../queue/breaker-store.js';
import type { JobQueue } from '../queue/job-queue.js';
import type { Job } from '../queue/job.js';
import type { AgentRun } from '../store/agent-runs/agent-run-store.js';
import type { AgentOutcome } from './runner.js';

export interface FinalizeDeps {
  queue: JobQueue;
  breakers: BreakerStore;
  notifier: Notifier;
  clock: Clock;
  log: Logger;
}

export type FinalizeResult =
  | { kind: 'completed' }
  | { kind: 'requeued'; availableAtMs: number }
  | { kind: 'failed' }
  | { kind: 'paused'; resumeAtMs: number }
  /** A cancel was pending: the failure or snooze ended the job cancelled instead. */
  | { kind: 'cancelled' }
  | { kind: 'lease_lost' };

/**
 * Ends a held job according to its run's outcome, fenced by the lease token (a stale holder
 * changes nothing and gets `lease_lost`). Success → complete with the run's cost and tokens;
 * permanent → retry while attempts remain, else failed + notify; transient → backoff on the
 * transient budget (Retry-After as a floor) and count toward the kind's breaker; quota → pause
 * the kind until the reset and snooze the job without consuming an attempt.
 */
export async function finalizeJob(
  deps: FinalizeDeps,
  job: Job,
  outcome: AgentOutcome,
  run: AgentRun | null,
): Promise<FinalizeResult> {
  const token = job.leaseToken!;
  switch (outcome.kind) {
    case 'success': {
      const res = await deps.queue.complete(job.id, token, runSummary(run));
      if (res.kind === 'lease_lost') return res;
      await recordBreaker(deps, job.kind, 'success');
      return { kind: 'completed' };
    }
    case 'permanent':
    case 'transient': {
      const retryAfterMs = outcome.kind === 'transient' ? outcome.retryAfterMs : null;
      const res = await deps.queue.fail(job.id, token, {
        kind: outcome.kind,
        retryAfterMs,
        error: withRun(outcome.reason, run),
      });
      if (res.kind === 'lease_lost') return res;
      await recordBreaker(deps, job.kind, outcome.kind);
      if (res.job.status === 'cancelled') return { kind: 'cancelled' };
      if (res.job.status === 'failed') {
        await safeNotify(
          deps.notifier,
          {
            type: 'job_failed',
            jobId: job.id,
            kind: job.kind,
            taskId: job.taskId,
            attempts: res.job.attempts,
            error: res.job.error ?? outcome.reason,
          },
          deps.log,
        );
        return { kind: 'failed' };
      }
      return { kind: 'requeued', availableAtMs: res.job.availableAtMs };
    }
    case 'quota':
      return pauseForQuota(deps, job, outcome);
    default:
      return assertNever(outcome, 'agent outcome');
  }
}

async function pauseForQuota(
  deps: FinalizeDeps,
  job: Job,
  outcome: Extract<AgentOutcome, { kind: 'quota' }>,
): Promise<FinalizeResult> {
  const delayMs = Math.max(0, outcome.resumeAtMs - deps.clock.now());
  const res = await deps.queue.snooze(job.id, job.leaseToken!, delayMs, outcome.reason);
  if (res.kind === 'lease_lost') return res;
  // The quota is exhausted for the kind either way, also when a pending cancel ended this job.
  const extended = await deps.breakers.pauseKind(job.kind, outcome.resumeAtMs, outcome.reason);
  if (extended) {
    deps.log.warn(
      { agent: job.kind, pausedUntilMs: outcome.resumeAtMs },
      'agent kind paused: quota exhausted',
    );
    await safeNotify(
      deps.notifier,
      {
        type: 'kind_paused',
        kind: job.kind,
        pausedUntilMs: outcome.resumeAtMs,
        reason: outcome.reason,
      },
      deps.log,
    );
  }
  if (res.job.status === 'cancelled') return { kind: 'cancelled' };
  return { kind: 'paused', resumeAtMs: outcome.resumeAtMs };
}

async function recordBreaker(
  deps: FinalizeDeps,
  kind: string,
  event: 'success' | 'permanent' | 'transient',
): Promise<void> {
  const r = await deps.breakers.record(kind, event);
  if (r.opened && r.breaker.openUntilMs !== null) {
    deps.log.warn({ agent: kind }, r.reason ?? 'circuit open');
    await safeNotify(
      deps.notifier,
      {
        type: 'breaker_open',
        kind,
        consecutiveTransient: r.breaker.consecutiveTransient,
        openUntilMs: r.breaker.openUntilMs,
        reason: r.reason ?? 'circuit open',
      },
      deps.log,
    );
  }
}

function withRun(reason: string, run: AgentRun | null): string {
  return run ? `${reason} (run_id=${run.id})` : reason;
}

function runSummary(run: AgentRun | null) {
  if (!run) return undefined;
  return {
    runId: run.id,
    sessionId: run.sessionId,
    costUsd: run.costUsd,
    inputTokens: run.inputTokens,
    outputTokens: run.outputTokens,
  };
}
