import { OrchError } from '../../errors.js';

/**
 * Integration failures are classified at the adapter boundary (STYLE.md "Errors"): every error a
 * Plane/Gitea/Telegram client throws is an OrchError whose details say whether a later attempt
 * may succeed and, for rate limits, after how long. The pipeline maps `retryable` to a transient
 * job failure with `retryAfterMs` as the backoff floor, and anything else to a permanent one.
 */
export interface IntegrationErrorDetails {
  retryable: boolean;
  retryAfterMs: number | null;
  /** HTTP status of the failed call; null for network errors. */
  status: number | null;
  [key: string]: unknown;
}

export function integrationError(
  code: string,
  message: string,
  details: Partial<IntegrationErrorDetails> & { retryable: boolean },
  cause?: unknown,
): OrchError {
  const full: IntegrationErrorDetails = { retryAfterMs: null, status: null, ...details };
  return new OrchError(
    code,
    message,
    cause === undefined ? { details: full } : { cause, details: full },
  );
}

/** Reads the classification back from any thrown value (non-OrchErrors are not retryable). */
export function integrationRetry(err: unknown): {
  retryable: boolean;
  retryAfterMs: number | null;
} {
  if (!(err instanceof OrchError) || !err.details) return { retryable: false, retryAfterMs: null };
  const { retryable, retryAfterMs } = err.details;
  return {
    retryable: retryable === true,
    retryAfterMs: typeof retryAfterMs === 'number' ? retryAfterMs : null,
  };
}
