import { OrchError } from '../errors.js';

/** A job as lease2 returns it. */
export interface LeasedJob {
  id: number;
  kind: string;
  labels: string[];
  run_id: number | null;
  payload: unknown;
  attempts: number;
  lease_token: string;
  lease_expires_at: string;
}

export interface LeaseResponse {
  jobs: LeasedJob[];
  lease_ms: number;
  heartbeat_interval_ms: number;
}

/**
 * The v2 protocol over HTTP (fetch). A non-2xx answer throws OrchError with the server's code
 * (`LEASE_LOST`, `INVALID_TOKEN`…) and `details.status`; a network failure throws
 * `AGENT_HTTP_UNAVAILABLE` with the cause.
 */
export class AgentClient {
  readonly #base: string;
  readonly #token: string;

  constructor(baseUrl: string, token: string) {
    this.#base = baseUrl.replace(/\/+$/, '');
    this.#token = token;
  }

  async #post<T>(path: string, body: unknown, signal?: AbortSignal): Promise<T> {
    let res: Response;
    try {
      res = await fetch(`${this.#base}${path}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${this.#token}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
        ...(signal ? { signal } : {}),
      });
    } catch (err) {
      throw new OrchError('AGENT_HTTP_UNAVAILABLE', `cannot reach ${this.#base}`, { cause: err });
    }
    const text = await res.text();
    const parsed = text ? (JSON.parse(text) as unknown) : {};
    if (!res.ok) {
      const e = (parsed as { error?: { code?: string; message?: string } }).error;
      throw new OrchError(e?.code ?? 'AGENT_HTTP_ERROR', e?.message ?? `HTTP ${res.status}`, {
        details: { status: res.status },
      });
    }
    return parsed as T;
  }

  lease(
    body: { kinds: string[]; labels: string[]; max: number; wait_ms: number; agent?: string },
    signal?: AbortSignal,
  ): Promise<LeaseResponse> {
    return this.#post('/v2/agents/lease2', body, signal);
  }

  heartbeat(
    jobId: number,
    leaseToken: string,
  ): Promise<{ cancel: boolean; lease_expires_at: string }> {
    return this.#post(`/v2/jobs/${jobId}/heartbeat`, { lease_token: leaseToken });
  }

  event(jobId: number, leaseToken: string, type: string, data?: unknown): Promise<unknown> {
    return this.#post(`/v2/jobs/${jobId}/events`, { lease_token: leaseToken, type, data });
  }

  complete(
    jobId: number,
    body: {
      lease_token: string;
      status: 'succeeded' | 'failed' | 'cancelled';
      result?: unknown;
      error?: string;
      retryable?: boolean;
    },
  ): Promise<unknown> {
    return this.#post(`/v2/jobs/${jobId}/complete`, body);
  }

  uploadArtifact(
    runId: number,
    body: { label: string; kind: string; path: string; job_id: number; content_base64: string },
  ): Promise<unknown> {
    return this.#post(`/v2/runs/${runId}/artifacts`, body);
  }
}
