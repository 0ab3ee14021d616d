import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Clock } from '../clock.js';
import { OrchError } from '../errors.js';
import { bearerToken, type Authenticator } from './auth.js';
import { hostAllowed, originAllowed } from './allowed-hosts.js';

/** What a reader may see: everything (admin or viewer), or the public subset (ORCH_PUBLIC_READ). */
export type ReadLevel = 'full' | 'public';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the read-access hook on read routes; null elsewhere. */
    readLevel: ReadLevel | null;
  }
  interface FastifyContextConfig {
    /** The route checks its own credentials (admin routes); the read-access hook skips it. */
    orchOwnAuth?: boolean;
  }
}

export const SESSION_COOKIE = 'orch_session';
/** A dashboard session lasts this long; then the browser logs in again. */
export const SESSION_MS = 12 * 60 * 60 * 1000;
/** A printed login link works once, within this long. */
export const LOGIN_CODE_MS = 60 * 60 * 1000;

export interface ReadAccessOptions {
  auth: Authenticator;
  clock: Clock;
  adminToken?: string | undefined;
  viewerToken?: string | undefined;
  /** ORCH_PUBLIC_READ: anonymous requests read the public subset instead of getting 401. */
  publicRead?: boolean;
  /** Lower-case host names (no port) a request's Host/Origin may name; `*` allows any. */
  allowedHosts: readonly string[];
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

/** Pure: one cookie's value from a Cookie header. */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/**
 * Read access (issue #13): the admin or viewer token as a bearer header, or a session cookie
 * obtained by exchanging one of them (`POST /api/session`) or a one-time login code (`GET
 * /login?code=`). Cookies are stateless — `<expiresAtMs>.<hmac>` — signed with a key derived
 * from the configured tokens (so every replica with the same tokens accepts them, and rotating
 * a token ends every session) or, with no token configured, a key of this process.
 */
export class ReadAccess {
  readonly #o: ReadAccessOptions;
  readonly #viewerDigest: Buffer | null;
  readonly #sessionKey: Buffer;
  readonly #codes = new Map<string, number>();

  constructor(o: ReadAccessOptions) {
    this.#o = o;
    this.#viewerDigest = o.viewerToken ? digest(o.viewerToken) : null;
    const material =
      o.adminToken || o.viewerToken ? `${o.adminToken ?? ''}\0${o.viewerToken ?? ''}` : null;
    this.#sessionKey = material === null ? randomBytes(32) : digest(`orch-session\0${material}`);
  }

  /** True for the admin or the viewer token (constant time). */
  isReaderToken(token: string): boolean {
    if (this.#o.auth.isAdmin(token)) return true;
    return this.#viewerDigest !== null && timingSafeEqual(digest(token), this.#viewerDigest);
  }

  /** A fresh session cookie value. */
  issueSession(): string {
    const expiresAtMs = this.#o.clock.now() + SESSION_MS;
    return `${expiresAtMs}.${this.#sign(String(expiresAtMs))}`;
  }

  sessionValid(value: string | undefined): boolean {
    const m = /^(\d{1,16})\.([0-9a-f]{64})$/.exec(value ?? '');
    if (!m) return false;
    const expected = Buffer.from(this.#sign(m[1]!), 'hex');
    const given = Buffer.from(m[2]!, 'hex');
    return timingSafeEqual(expected, given) && Number(m[1]) > this.#o.clock.now();
  }

  #sign(expiresAtMs: string): string {
    return createHmac('sha256', this.#sessionKey)
      .update(`orch-session:v1:${expiresAtMs}`)
      .digest('hex');
  }

  /** A one-time login code (for the URL `orch serve` prints); kept in this process only. */
  issueLoginCode(): string {
    const nowMs = this.#o.clock.now();
    for (const [code, exp] of this.#codes) if (exp <= nowMs) this.#codes.delete(code);
    const code = randomBytes(24).toString('base64url');
    this.#codes.set(code, nowMs + LOGIN_CODE_MS);
    return code;
  }

  /** Spends a login code: true once per code, within its lifetime. */
  redeemLoginCode(code: string): boolean {
    const exp = this.#codes.get(code);
    this.#codes.delete(code);
    return exp !== undefined && exp > this.#o.clock.now();
  }

  /** 403 HOST_NOT_ALLOWED / ORIGIN_NOT_ALLOWED unless Host (and Origin, if sent) are allowed. */
  checkHost(request: FastifyRequest): void {
    const hosts = this.#o.allowedHosts;
    if (!hostAllowed(request.headers.host, hosts)) {
      throw new OrchError('HOST_NOT_ALLOWED', 'this Host is not in ORCH_ALLOWED_HOSTS');
    }
    if (!originAllowed(request.headers.origin, hosts)) {
      throw new OrchError('ORIGIN_NOT_ALLOWED', 'this Origin is not in ORCH_ALLOWED_HOSTS');
    }
  }

  /**
   * The read level of a request: `full` for the admin/viewer bearer token or a valid session
   * cookie; `public` for an anonymous request when public read is on. Otherwise AUTH_REQUIRED,
   * INVALID_TOKEN, or FORBIDDEN (an agent token: tenants never read Orch's own views).
   */
  async level(request: FastifyRequest): Promise<ReadLevel> {
    const token = bearerToken(request.headers.authorization);
    if (token !== undefined) {
      if (this.isReaderToken(token)) return 'full';
      if (await this.#o.auth.agentGrant(token)) {
        throw new OrchError('FORBIDDEN', 'agent tokens cannot read the operator API');
      }
      throw new OrchError('INVALID_TOKEN', 'unknown or revoked token');
    }
    if (this.sessionValid(cookieValue(request.headers.cookie, SESSION_COOKIE))) return 'full';
    if (this.#o.publicRead) return 'public';
    throw new OrchError(
      'AUTH_REQUIRED',
      'a viewer or admin token is required (Authorization: Bearer, or log in at /)',
    );
  }
}

/** Pure: the Set-Cookie header of a session (or of its removal, with `value` null). */
export function sessionCookie(value: string | null, secure: boolean): string {
  const attrs = ['Path=/', 'HttpOnly', 'SameSite=Strict', ...(secure ? ['Secure'] : [])];
  if (value === null) return [`${SESSION_COOKIE}=`, 'Max-Age=0', ...attrs].join('; ');
  return [`${SESSION_COOKIE}=${value}`, `Max-Age=${SESSION_MS / 1000}`, ...attrs].join('; ');
}

/** Throws AUTH_REQUIRED for a public reader on routes that show log text or evidence. */
export function requireFullRead(request: FastifyRequest): void {
  if (request.readLevel === 'public') {
    throw new OrchError('AUTH_REQUIRED', 'log text needs a viewer or admin token');
  }
}

/** Routes nobody authenticates to: liveness and signed webhooks (no Host check either). */
const UNGUARDED = [/^\/health$/, /^\/webhook\//];
/** Routes without data: the dashboard's files, the API docs and the login exchanges. */
const PUBLIC = [
  /^\/$/,
  /^\/web\//,
  /^\/docs(\/json|\/docs\.js|\/docs\.css)?$/,
  /^\/login$/,
  /^\/api\/session$/,
];

/**
 * The root onRequest hook: Host/Origin allowlist, then read access for every route that is not
 * unguarded, public or self-authenticating (default deny: a new read route is protected).
 */
export function readAccessHook(access: ReadAccess) {
  return async (request: FastifyRequest, _reply: FastifyReply): Promise<void> => {
    const route = request.routeOptions.url;
    if (route !== undefined && UNGUARDED.some((re) => re.test(route))) return;
    access.checkHost(request);
    if (route === undefined || PUBLIC.some((re) => re.test(route))) return;
    if (route.startsWith('/v2/') || request.routeOptions.config.orchOwnAuth === true) return;
    request.readLevel = await access.level(request);
  };
}
