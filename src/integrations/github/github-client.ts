import type { KeyObject } from 'node:crypto';
import { systemClock, type Clock } from '../../clock.js';
import { silentLogger, type Logger } from '../../log.js';
import { httpJson, realSleep, type FetchFn, type HttpJsonResponse } from '../http/http-json.js';
import { integrationError } from '../http/integration-error.js';
import { asNumber, asString, pick } from '../webhooks/loose-json.js';
import { appJwt, appPrivateKey, needsRefresh, type InstallationToken } from './github-app-auth.js';
import { lowQuota, rateLimitHit } from './github-rate-limit.js';

export type GithubAuth =
  | { kind: 'token'; token: string }
  | { kind: 'app'; appId: string; privateKeyPem: string; installationId?: number };

export type GithubMethod = 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';
/** Error codes start with this: the forge throws `FORGE_*`, the tracker `TRACKER_*`. */
export type GithubErrorPrefix = 'GITHUB' | 'FORGE' | 'TRACKER';

export interface GithubClientOptions {
  /** Default https://api.github.com; GitHub Enterprise Server: https://host/api/v3. */
  apiUrl?: string;
  auth: GithubAuth;
  log?: Logger;
  fetch?: FetchFn;
  clock?: Clock;
  userAgent?: string;
  sleep?: (ms: number) => Promise<void>;
  timeoutMs?: number;
  /**
   * Rate limits: wait and retry at most `maxRetries` times, and only when GitHub asks for at most
   * `maxWaitMs`; otherwise throw `<prefix>_RATE_LIMITED` (retryable, `retryAfterMs`) so the job
   * queue's backoff waits instead of a pipeline step.
   */
  rateLimit?: { maxRetries: number; maxWaitMs: number };
}

export interface GithubRequestOptions {
  body?: unknown;
  query?: Record<string, string | number | boolean | undefined>;
  accept?: string;
  /** Statuses outside 2xx returned instead of thrown (e.g. 405/409 of a merge). */
  allow?: readonly number[];
  errorPrefix?: GithubErrorPrefix;
}

export interface GithubResponse<T> {
  status: number;
  data: T;
  headers: Headers;
}

const DEFAULT_RATE_LIMIT = { maxRetries: 2, maxWaitMs: 10_000 } as const;
const PER_PAGE = 100;
const JWT_PATH = /^\/(app(\/|$)|repos\/[^/]+\/[^/]+\/installation$|orgs\/[^/]+\/installation$)/;

/**
 * GitHub's REST API (api.github.com or GitHub Enterprise Server's `/api/v3`) with a personal
 * access token or as a GitHub App: an RS256 JWT for `/app/…`, and an installation token (found
 * from the repository's owner, cached, refreshed 5 minutes before it expires) for the rest.
 * Tokens are never logged nor put into errors. Rate limits are waited out when short, else thrown
 * as retryable errors with `retryAfterMs`; a nearly used-up quota is logged once per window.
 */
export class GithubClient {
  readonly apiUrl: string;
  readonly auth: GithubAuth;
  readonly #fetch: FetchFn;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #sleep: (ms: number) => Promise<void>;
  readonly #o: GithubClientOptions;
  #key: KeyObject | null = null;
  /** owner (lower case) → installation id. */
  readonly #installations = new Map<string, number>();
  readonly #tokens = new Map<number, InstallationToken>();
  readonly #pendingTokens = new Map<number, Promise<InstallationToken>>();
  #botLogin: Promise<string> | null = null;
  #warnedReset: number | null = null;

  constructor(o: GithubClientOptions) {
    this.#o = o;
    this.apiUrl = (o.apiUrl ?? 'https://api.github.com').replace(/\/+$/, '');
    this.auth = o.auth;
    this.#fetch = o.fetch ?? fetch;
    this.#clock = o.clock ?? systemClock;
    this.#log = o.log ?? silentLogger;
    this.#sleep = o.sleep ?? realSleep;
    if (o.auth.kind === 'app' && o.auth.installationId !== undefined) {
      this.#installations.set('*', o.auth.installationId);
    }
  }

  /** The web host git clones from: github.com for api.github.com, else the GHES host. */
  get webUrl(): string {
    const url = new URL(this.apiUrl);
    if (url.hostname === 'api.github.com') return 'https://github.com';
    return `${url.protocol}//${url.host}${url.pathname.replace(/\/api\/v3$/, '')}`.replace(
      /\/+$/,
      '',
    );
  }

  /** One call; a status outside 2xx and `allow` throws a classified IntegrationError. */
  async request<T = unknown>(
    method: GithubMethod,
    path: string,
    o: GithubRequestOptions = {},
  ): Promise<GithubResponse<T>> {
    const prefix = o.errorPrefix ?? 'GITHUB';
    for (let attempt = 0; ; attempt++) {
      const authorization = await this.#authorization(path, prefix);
      const res = await this.#send(method, path, o, authorization, prefix);
      // a revoked installation token: fetch a new one once
      if (res.status === 401 && attempt === 0 && this.#dropToken(path)) continue;
      if ((res.status >= 200 && res.status < 300) || o.allow?.includes(res.status)) {
        return { status: res.status, data: res.body as T, headers: res.headers };
      }
      throw githubError(prefix, `GitHub ${method} ${path}`, res);
    }
  }

  /**
   * Every item of a list endpoint (`per_page=100&page=N`) up to `maxPages` pages; `until` stops
   * at the first item for which it is true (lists sorted newest first, bounded by a time).
   */
  async paginate<T = unknown>(
    path: string,
    o: {
      query?: GithubRequestOptions['query'];
      maxPages?: number;
      errorPrefix?: GithubErrorPrefix;
      until?: (item: T) => boolean;
    } = {},
  ): Promise<T[]> {
    const out: T[] = [];
    for (let page = 1; page <= (o.maxPages ?? 10); page++) {
      const res = await this.request<unknown>('GET', path, {
        query: { ...o.query, per_page: PER_PAGE, page },
        ...(o.errorPrefix === undefined ? {} : { errorPrefix: o.errorPrefix }),
      });
      const items = Array.isArray(res.data) ? (res.data as T[]) : [];
      for (const item of items) {
        if (o.until?.(item)) return out;
        out.push(item);
      }
      const link = res.headers.get('link');
      if (items.length < PER_PAGE || (link !== null && !/rel="next"/.test(link))) break;
    }
    return out;
  }

  /**
   * The login Orch writes as: the token's user (`GET /user`), or `<app-slug>[bot]` for an App
   * (`GET /app`). Cached; a failed lookup is asked again next time.
   */
  botLogin(): Promise<string> {
    if (!this.#botLogin) {
      this.#botLogin = (async () => {
        if (this.auth.kind === 'token') {
          const res = await this.request('GET', '/user');
          return asString(pick(res.data, 'login')) ?? '';
        }
        const res = await this.request('GET', '/app');
        return `${asString(pick(res.data, 'slug')) ?? ''}[bot]`;
      })();
      this.#botLogin.catch(() => (this.#botLogin = null));
    }
    return this.#botLogin;
  }

  /** The token git pushes with for `owner/name`: the PAT, or the owner's installation token. */
  async gitToken(fullName: string): Promise<string> {
    if (this.auth.kind === 'token') return this.auth.token;
    const id = await this.#installationId(`/repos/${fullName}`, 'FORGE');
    return (await this.#installationToken(id, 'FORGE')).token;
  }

  /** Like `gitToken`, without any call: null when no installation token is cached yet. */
  cachedGitToken(owner: string): string | null {
    if (this.auth.kind === 'token') return this.auth.token;
    const id =
      this.#installations.get(owner.toLowerCase()) ?? this.#installations.get('*') ?? undefined;
    const token = id === undefined ? undefined : this.#tokens.get(id);
    return token && token.expiresAtMs > this.#clock.now() ? token.token : null;
  }

  async #authorization(path: string, prefix: GithubErrorPrefix): Promise<string> {
    if (this.auth.kind === 'token') return `Bearer ${this.auth.token}`;
    if (JWT_PATH.test(path)) return `Bearer ${this.#jwt()}`;
    const id = await this.#installationId(path, prefix);
    return `Bearer ${(await this.#installationToken(id, prefix)).token}`;
  }

  #jwt(): string {
    if (this.auth.kind !== 'app') throw new Error('not a GitHub App');
    this.#key ??= appPrivateKey(this.auth.privateKeyPem);
    return appJwt(this.auth.appId, this.#key, this.#clock.now());
  }

  /** The configured installation, else the repository owner's (`GET /repos/{o}/{r}/installation`). */
  async #installationId(path: string, prefix: GithubErrorPrefix): Promise<number> {
    const configured = this.#installations.get('*');
    if (configured !== undefined) return configured;
    const m = /^\/repos\/([^/]+)\/([^/]+)/.exec(path);
    const owner = m?.[1]?.toLowerCase();
    const known = owner === undefined ? undefined : this.#installations.get(owner);
    if (known !== undefined) return known;
    if (!m || owner === undefined) {
      const only = [...new Set(this.#installations.values())];
      if (only.length === 1) return only[0]!;
      throw integrationError(
        `${prefix}_AUTH_FAILED`,
        `GitHub App: no installation known for ${path} (configure installationId)`,
        { retryable: false },
      );
    }
    const res = await this.request('GET', `/repos/${m[1]}/${m[2]}/installation`, {
      errorPrefix: prefix,
    });
    const id = asNumber(pick(res.data, 'id'));
    if (id === null) throw githubError(prefix, 'GitHub installation: no id', toHttp(res));
    this.#installations.set(owner, id);
    return id;
  }

  /** The cached installation token, or a new one (`POST /app/installations/{id}/access_tokens`). */
  async #installationToken(id: number, prefix: GithubErrorPrefix): Promise<InstallationToken> {
    const cached = this.#tokens.get(id);
    if (!needsRefresh(cached, this.#clock.now())) return cached!;
    let pending = this.#pendingTokens.get(id);
    if (!pending) {
      pending = this.request('POST', `/app/installations/${id}/access_tokens`, {
        errorPrefix: prefix,
      }).then((res) => {
        const token = asString(pick(res.data, 'token'));
        const expiresAtMs = Date.parse(asString(pick(res.data, 'expires_at')) ?? '');
        if (token === null || !Number.isFinite(expiresAtMs)) {
          throw githubError(prefix, 'GitHub access_tokens: unreadable reply', toHttp(res));
        }
        const fresh = { token, expiresAtMs };
        this.#tokens.set(id, fresh);
        return fresh;
      });
      const settled = pending.finally(() => this.#pendingTokens.delete(id));
      settled.catch(() => undefined);
      this.#pendingTokens.set(id, pending);
    }
    return pending;
  }

  #dropToken(path: string): boolean {
    if (this.auth.kind !== 'app' || JWT_PATH.test(path)) return false;
    const owner = /^\/repos\/([^/]+)/.exec(path)?.[1]?.toLowerCase();
    const id = this.#installations.get('*') ?? (owner && this.#installations.get(owner));
    return typeof id === 'number' && this.#tokens.delete(id);
  }

  async #send(
    method: GithubMethod,
    path: string,
    o: GithubRequestOptions,
    authorization: string,
    prefix: GithubErrorPrefix,
  ): Promise<HttpJsonResponse> {
    const limit = this.#o.rateLimit ?? DEFAULT_RATE_LIMIT;
    const query = new URLSearchParams();
    for (const [k, v] of Object.entries(o.query ?? {}))
      if (v !== undefined) query.set(k, String(v));
    const qs = query.toString() === '' ? '' : `?${query.toString()}`;
    for (let attempt = 0; ; attempt++) {
      const res = await httpJson(
        this.#fetch,
        {
          method,
          url: `${this.apiUrl}${path}${qs}`,
          headers: {
            accept: o.accept ?? 'application/vnd.github+json',
            authorization,
            'x-github-api-version': '2022-11-28',
            'user-agent': this.#o.userAgent ?? 'orch',
          },
          body: o.body,
          timeoutMs: this.#o.timeoutMs ?? 15_000,
        },
        prefix,
      );
      this.#watchQuota(res.headers);
      const message = asString(pick(res.body, 'message')) ?? '';
      const hit = rateLimitHit(res.status, res.headers, message, this.#clock.now());
      if (!hit) return res;
      if (attempt >= limit.maxRetries || hit.waitMs > limit.maxWaitMs) {
        throw integrationError(
          `${prefix}_RATE_LIMITED`,
          `GitHub ${hit.secondary ? 'secondary ' : ''}rate limit on ${method} ${path}`,
          { retryable: true, retryAfterMs: hit.waitMs, status: res.status },
        );
      }
      this.#log.warn(
        { method, path, waitMs: hit.waitMs, secondary: hit.secondary },
        'GitHub rate limit: waiting',
      );
      await this.#sleep(hit.waitMs);
    }
  }

  #watchQuota(headers: Headers): void {
    const low = lowQuota(headers);
    if (!low || low.reset === this.#warnedReset) return;
    this.#warnedReset = low.reset;
    this.#log.warn(
      { remaining: low.remaining, limit: low.limit, resetAtMs: low.reset * 1000 },
      'GitHub API quota nearly used up',
    );
  }
}

function toHttp(res: GithubResponse<unknown>): HttpJsonResponse {
  return { status: res.status, headers: res.headers, body: res.data };
}

/** A failed reply → IntegrationError `<prefix>_NOT_FOUND|AUTH_FAILED|UNAVAILABLE|REQUEST_FAILED`. */
export function githubError(prefix: GithubErrorPrefix, what: string, res: HttpJsonResponse): Error {
  const message = asString(pick(res.body, 'message'));
  const detail = `${what} → ${res.status}${message === null ? '' : `: ${message}`}`;
  if (res.status === 404) {
    return integrationError(`${prefix}_NOT_FOUND`, detail, { retryable: false, status: 404 });
  }
  if (res.status === 401 || res.status === 403) {
    return integrationError(`${prefix}_AUTH_FAILED`, detail, {
      retryable: false,
      status: res.status,
    });
  }
  const retryable = res.status >= 500 || res.status === 408 || res.status === 429;
  return integrationError(
    retryable ? `${prefix}_UNAVAILABLE` : `${prefix}_REQUEST_FAILED`,
    detail,
    {
      retryable,
      status: res.status,
    },
  );
}
