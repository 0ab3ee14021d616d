import { integrationError } from './integration-error.js';

export type FetchFn = typeof fetch;

export interface HttpJsonResponse {
  status: number;
  headers: Headers;
  /** Parsed JSON, or null for an empty or non-JSON body. */
  body: unknown;
}

export interface HttpJsonRequest {
  method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';
  url: string;
  headers: Record<string, string>;
  body?: unknown;
  timeoutMs: number;
}

/**
 * One HTTP call with a JSON body and a timeout. Any HTTP status is returned (the caller decides
 * what it means); a network failure or timeout throws `<prefix>_UNAVAILABLE`, retryable. The
 * request URL and headers are never put into the error (they may carry tokens).
 */
export async function httpJson(
  fetchFn: FetchFn,
  req: HttpJsonRequest,
  errorPrefix: string,
): Promise<HttpJsonResponse> {
  let res: Response;
  try {
    res = await fetchFn(req.url, {
      method: req.method,
      headers: {
        accept: 'application/json',
        ...(req.body === undefined ? {} : { 'content-type': 'application/json' }),
        ...req.headers,
      },
      body: req.body === undefined ? null : JSON.stringify(req.body),
      signal: AbortSignal.timeout(req.timeoutMs),
    });
  } catch (err) {
    throw integrationError(
      `${errorPrefix}_UNAVAILABLE`,
      `${req.method} ${new URL(req.url).pathname} failed: ${(err as Error).name}`,
      { retryable: true },
      err,
    );
  }
  const text = await res.text();
  let body: unknown = null;
  if (text.trim() !== '') {
    try {
      body = JSON.parse(text);
    } catch {
      body = null;
    }
  }
  return { status: res.status, headers: res.headers, body };
}

/**
 * How long a 429 asks us to wait, from `Retry-After` (seconds) or `X-RateLimit-Reset`. Plane
 * sends the reset as epoch seconds (`apps/api/plane/api/rate_limit.py`); small values are taken
 * as seconds from now. Null when neither header is usable. Pure.
 */
export function rateLimitWaitMs(headers: Headers, nowMs: number): number | null {
  const retryAfter = headers.get('retry-after');
  if (retryAfter !== null && /^\d+(\.\d+)?$/.test(retryAfter.trim())) {
    return Math.round(Number(retryAfter) * 1000);
  }
  const reset = headers.get('x-ratelimit-reset');
  if (reset === null || !/^\d+(\.\d+)?$/.test(reset.trim())) return null;
  const value = Number(reset);
  if (value > 1e12) return Math.max(0, Math.round(value - nowMs));
  if (value > 1e9) return Math.max(0, Math.round(value * 1000 - nowMs));
  return Math.round(value * 1000);
}

export const realSleep = (ms: number): Promise<void> =>
  new Promise((resolve) => setTimeout(resolve, ms));
