import type { Clock } from '../../clock.js';
import {
  httpJson,
  rateLimitWaitMs,
  realSleep,
  type FetchFn,
  type HttpJsonResponse,
} from '../http/http-json.js';
import { integrationError } from '../http/integration-error.js';

export interface PlaneHttpOptions {
  baseUrl: string;
  apiToken: string;
  clock: Clock;
  fetch?: FetchFn;
  sleep?: (ms: number) => Promise<void>;
  timeoutMs?: number;
  /**
   * 429 handling: retry at most `maxRetries` times, and only when the wait Plane asks for is at
   * most `maxWaitMs`; otherwise throw TRACKER_RATE_LIMITED (retryable, with retryAfterMs) so the
   * job is rescheduled instead of a pipeline step sleeping for most of a minute.
   */
  rateLimit?: { maxRetries: number; maxWaitMs: number };
}

const DEFAULT_RATE_LIMIT = { maxRetries: 2, maxWaitMs: 5_000 } as const;
/** Used when a 429 carries neither Retry-After nor X-RateLimit-Reset (Plane's window is 60 s). */
const FALLBACK_WAIT_MS = 60_000;

/** Plane's REST API under `/api/v1`, with `X-API-Key` auth and 60/min rate-limit handling. */
export class PlaneHttp {
  readonly #o: PlaneHttpOptions;
  readonly #fetch: FetchFn;
  readonly #sleep: (ms: number) => Promise<void>;

  constructor(options: PlaneHttpOptions) {
    this.#o = { ...options, baseUrl: options.baseUrl.replace(/\/+$/, '') };
    this.#fetch = options.fetch ?? fetch;
    this.#sleep = options.sleep ?? realSleep;
  }

  get baseUrl(): string {
    return this.#o.baseUrl;
  }

  /** `path` starts with `/workspaces/…`; returns only 2xx and 409 responses, throws otherwise. */
  async request(
    method: 'GET' | 'POST' | 'PATCH',
    path: string,
    body?: unknown,
  ): Promise<HttpJsonResponse> {
    const limit = this.#o.rateLimit ?? DEFAULT_RATE_LIMIT;
    for (let attempt = 0; ; attempt++) {
      const res = await httpJson(
        this.#fetch,
        {
          method,
          url: `${this.#o.baseUrl}/api/v1${path}`,
          headers: { 'x-api-key': this.#o.apiToken },
          body,
          timeoutMs: this.#o.timeoutMs ?? 15_000,
        },
        'TRACKER',
      );
      if (res.status !== 429) return checkStatus(method, path, res);
      const waitMs = rateLimitWaitMs(res.headers, this.#o.clock.now()) ?? FALLBACK_WAIT_MS;
      if (attempt >= limit.maxRetries || waitMs > limit.maxWaitMs) {
        throw integrationError('TRACKER_RATE_LIMITED', `Plane rate limit on ${method} ${path}`, {
          retryable: true,
          retryAfterMs: waitMs,
          status: 429,
        });
      }
      await this.#sleep(waitMs);
    }
  }
}

function checkStatus(method: string, path: string, res: HttpJsonResponse): HttpJsonResponse {
  if ((res.status >= 200 && res.status < 300) || res.status === 409) return res;
  const what = `Plane ${method} ${path} → ${res.status}`;
  if (res.status === 404) {
    throw integrationError('TRACKER_NOT_FOUND', what, { retryable: false, status: 404 });
  }
  if (res.status === 401 || res.status === 403) {
    throw integrationError('TRACKER_AUTH_FAILED', what, { retryable: false, status: res.status });
  }
  const retryable = res.status >= 500 || res.status === 408;
  throw integrationError(retryable ? 'TRACKER_UNAVAILABLE' : 'TRACKER_REQUEST_FAILED', what, {
    retryable,
    status: res.status,
  });
}
