import { OrchError } from '../errors.js';
import { backoffMs, type BackoffPolicy } from '../queue/backoff.js';

/** How often and how patiently a failing outbox row is retried before it is declared dead. */
export interface OutboxRetryPolicy extends BackoffPolicy {
  /** Attempts in all (the first included); the row is dead after this many failures. */
  maxAttempts: number;
}

export const DEFAULT_OUTBOX_RETRY: OutboxRetryPolicy = {
  maxAttempts: 10,
  baseMs: 1000,
  capMs: 5 * 60_000,
};

export type OutboxFailure =
  { kind: 'retry'; delayMs: number } | { kind: 'dead'; why: 'permanent' | 'attempts_exhausted' };

/**
 * What to do after a failed delivery. An integration error classified as not retryable (4xx:
 * bad token, item gone) is dead at once; anything else — a retryable integration error, or an
 * unclassified error such as a busy database — backs off (`2^(n-1) · base`, capped, with the
 * server's Retry-After as a floor) until `maxAttempts` failures. Pure.
 */
export function outboxFailure(
  err: unknown,
  failuresSoFar: number,
  policy: OutboxRetryPolicy,
): OutboxFailure {
  const details = err instanceof OrchError ? err.details : undefined;
  if (details?.retryable === false) return { kind: 'dead', why: 'permanent' };
  const failures = failuresSoFar + 1;
  if (failures >= policy.maxAttempts) return { kind: 'dead', why: 'attempts_exhausted' };
  const retryAfterMs = typeof details?.retryAfterMs === 'number' ? details.retryAfterMs : null;
  return { kind: 'retry', delayMs: backoffMs(failures - 1, policy, retryAfterMs) };
}
