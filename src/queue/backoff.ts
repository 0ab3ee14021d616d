/**
 * Transient-failure backoff (spec §12): `min(2^n · base, cap)` for the n-th transient retry, with a
 * server's Retry-After as a floor (itself capped): `max(backoff, min(retryAfter, cap))`.
 * Deterministic on purpose: the reference formula, testable, and spread enough for one replica set.
 */
export interface BackoffPolicy {
  baseMs: number;
  capMs: number;
}

export function backoffMs(n: number, policy: BackoffPolicy, retryAfterMs?: number | null): number {
  const exponent = Math.max(0, Math.min(n, 52));
  const backoff = Math.min(2 ** exponent * policy.baseMs, policy.capMs);
  if (retryAfterMs === undefined || retryAfterMs === null || !(retryAfterMs > 0)) return backoff;
  return Math.max(backoff, Math.min(retryAfterMs, policy.capMs));
}
