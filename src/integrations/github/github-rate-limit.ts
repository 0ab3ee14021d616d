/**
 * GitHub's rate limits, read from a reply (docs.github.com "Rate limits for the REST API"):
 * - primary: 403 or 429 with `x-ratelimit-remaining: 0`; wait until `x-ratelimit-reset` (epoch s);
 * - secondary: 403 or 429 with `retry-after` (seconds); without it, at least one minute;
 * - a 429 without any of these headers: one minute as well.
 */
export interface RateLimitHit {
  waitMs: number;
  secondary: boolean;
}

/** Used when a secondary limit gives no `retry-after` (GitHub: "wait for at least one minute"). */
export const SECONDARY_FALLBACK_MS = 60_000;
/** Below this share of the hourly quota the client warns (once per window). */
export const LOW_REMAINING_RATIO = 0.05;

function numberHeader(headers: Headers, name: string): number | null {
  const raw = headers.get(name);
  return raw !== null && /^\d+(\.\d+)?$/.test(raw.trim()) ? Number(raw) : null;
}

/** A rate-limit refusal and how long to wait, or null for any other reply. Pure. */
export function rateLimitHit(
  status: number,
  headers: Headers,
  message: string,
  nowMs: number,
): RateLimitHit | null {
  if (status !== 403 && status !== 429) return null;
  const retryAfter = numberHeader(headers, 'retry-after');
  if (retryAfter !== null) return { waitMs: Math.round(retryAfter * 1000), secondary: true };
  if (headers.get('x-ratelimit-remaining')?.trim() === '0') {
    const reset = numberHeader(headers, 'x-ratelimit-reset');
    const waitMs = reset === null ? SECONDARY_FALLBACK_MS : Math.max(0, reset * 1000 - nowMs);
    // GitHub's reset is whole seconds: one more second makes sure the window has turned
    return { waitMs: waitMs + 1000, secondary: false };
  }
  if (status === 429 || /secondary rate limit|abuse/i.test(message)) {
    return { waitMs: SECONDARY_FALLBACK_MS, secondary: true };
  }
  return null;
}

/** `{ remaining, limit, reset }` when the quota is nearly used up, else null. Pure. */
export function lowQuota(
  headers: Headers,
): { remaining: number; limit: number; reset: number } | null {
  const remaining = numberHeader(headers, 'x-ratelimit-remaining');
  const limit = numberHeader(headers, 'x-ratelimit-limit');
  if (remaining === null || limit === null || limit === 0) return null;
  if (remaining / limit >= LOW_REMAINING_RATIO) return null;
  return { remaining, limit, reset: numberHeader(headers, 'x-ratelimit-reset') ?? 0 };
}
