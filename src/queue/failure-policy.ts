import { backoffMs, type BackoffPolicy } from './backoff.js';
import { assertNever } from '../errors.js';

/**
 * What a failed attempt means for a job (spec §12 / §4.5 "job-level retries"). Pure.
 * - permanent: a code fault; requeue at once while `attempts < maxAttempts`, else `failed`.
 * - transient: 429 / overload / network; its own budget (`transientAttempts < transientBudget`),
 *   backoff with Retry-After as a floor; does not consume a code-fault attempt.
 */
export const FAILURE_KINDS = ['permanent', 'transient'] as const;
export type FailureKind = (typeof FAILURE_KINDS)[number];

export interface FailureInput {
  kind: FailureKind;
  retryAfterMs?: number | null | undefined;
  /** Fail for good whatever attempts remain (a retry cannot help, e.g. an exhausted budget). */
  final?: boolean | undefined;
}

export interface JobAttemptState {
  attempts: number;
  maxAttempts: number;
  transientAttempts: number;
}

export interface RetryPolicy extends BackoffPolicy {
  transientBudget: number;
}

export type FailureDecision =
  | { next: 'queued'; availableAtMs: number; attempts: number; transientAttempts: number }
  | { next: 'failed'; attempts: number; transientAttempts: number };

export function decideFailure(
  job: JobAttemptState,
  failure: FailureInput,
  policy: RetryPolicy,
  nowMs: number,
): FailureDecision {
  if (failure.final === true) {
    return { next: 'failed', attempts: job.attempts, transientAttempts: job.transientAttempts };
  }
  switch (failure.kind) {
    case 'permanent':
      if (job.attempts < job.maxAttempts) {
        return {
          next: 'queued',
          availableAtMs: nowMs,
          attempts: job.attempts,
          transientAttempts: job.transientAttempts,
        };
      }
      return { next: 'failed', attempts: job.attempts, transientAttempts: job.transientAttempts };
    case 'transient': {
      const n = job.transientAttempts + 1;
      if (job.transientAttempts < policy.transientBudget) {
        return {
          next: 'queued',
          availableAtMs: nowMs + backoffMs(n, policy, failure.retryAfterMs),
          // The claim counted an attempt; a transient failure gives it back.
          attempts: Math.max(0, job.attempts - 1),
          transientAttempts: n,
        };
      }
      return { next: 'failed', attempts: job.attempts, transientAttempts: n };
    }
    default:
      return assertNever(failure.kind, 'failure kind');
  }
}
