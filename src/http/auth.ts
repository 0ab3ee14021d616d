import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Clock } from '../clock.js';
import type { Db } from '../store/db.js';
import { OrchError } from '../errors.js';
import { ORCH_TENANT } from '../queue/enqueue-input.js';
import { findAgentToken, touchAgentToken, type AgentTokenGrant } from '../remote/agent-tokens.js';

/** Who made a request: the operator (admin token) or a remote agent (tenant-scoped token). */
export type Principal = { kind: 'admin' } | { kind: 'agent'; grant: AgentTokenGrant };

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null;
  }
}

/** Tenant ids: the same alphabet as job kinds (src/queue/enqueue-input.ts). */
export const TENANT_RE = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,99}$/;

/** Verified agent tokens are cached this long (a lookup per request is the hot path's cost). */
const TOKEN_CACHE_MS = 5000;

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

/** Pure: the bearer token of an Authorization header, if well-formed. */
export function bearerToken(header: string | undefined): string | undefined {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  return m?.[1];
}

/**
 * Bearer authentication. The admin token is compared in constant time (both sides hashed to a
 * fixed length first); agent tokens are looked up by their sha256 and cached briefly.
 */
export class Authenticator {
  readonly #db: Db;
  readonly #clock: Clock;
  readonly #adminDigest: Buffer | null;
  readonly #viewerDigest: Buffer | null;
  readonly #cache = new Map<string, { grant: AgentTokenGrant | undefined; expiresAtMs: number }>();

  /** `viewerToken` is only recognised here to refuse it clearly (403) on write routes. */
  constructor(db: Db, clock: Clock, adminToken: string | undefined, viewerToken?: string) {
    this.#db = db;
    this.#clock = clock;
    this.#adminDigest = adminToken ? digest(adminToken) : null;
    this.#viewerDigest = viewerToken ? digest(viewerToken) : null;
  }

  get adminEnabled(): boolean {
    return this.#adminDigest !== null;
  }

  isAdmin(token: string): boolean {
    return this.#adminDigest !== null && timingSafeEqual(digest(token), this.#adminDigest);
  }

  async agentGrant(token: string): Promise<AgentTokenGrant | undefined> {
    const key = digest(token).toString('hex');
    const nowMs = this.#clock.now();
    const hit = this.#cache.get(key);
    if (hit && hit.expiresAtMs > nowMs) return hit.grant;
    const grant = await findAgentToken(this.#db, token, nowMs);
    if (grant) await touchAgentToken(this.#db, grant.tokenId, nowMs);
    if (this.#cache.size > 10_000) this.#cache.clear();
    // An expiring token leaves the cache when it expires, not up to TOKEN_CACHE_MS later.
    const expiresAtMs = Math.min(nowMs + TOKEN_CACHE_MS, grant?.expiresAtMs ?? Infinity);
    this.#cache.set(key, { grant, expiresAtMs });
    return grant;
  }

  /**
   * Forgets every cached grant: called after a revocation, so a revoked token stops working at
   * once in this process (other replicas within TOKEN_CACHE_MS).
   */
  forgetGrants(): void {
    this.#cache.clear();
  }

  /**
   * Resolves the request's principal; AUTH_REQUIRED / INVALID_TOKEN otherwise, and FORBIDDEN for
   * the viewer token (a known token without the right, not an unknown one).
   */
  async principal(request: FastifyRequest): Promise<Principal> {
    const token = bearerToken(request.headers.authorization);
    if (!token) throw new OrchError('AUTH_REQUIRED', 'an Authorization: Bearer token is required');
    if (this.isAdmin(token)) return { kind: 'admin' };
    if (this.#viewerDigest !== null && timingSafeEqual(digest(token), this.#viewerDigest)) {
      throw new OrchError(
        'FORBIDDEN',
        'the viewer token can only read; this needs the admin token',
      );
    }
    const grant = await this.agentGrant(token);
    if (!grant) throw new OrchError('INVALID_TOKEN', 'unknown or revoked token');
    return { kind: 'agent', grant };
  }
}

type Hook = (request: FastifyRequest, reply: FastifyReply) => Promise<void>;

/** preHandler: only the operator; ADMIN_DISABLED when no admin token is configured. */
export function requireAdmin(auth: Authenticator): Hook {
  return async (request) => {
    if (!auth.adminEnabled) {
      throw new OrchError('ADMIN_DISABLED', 'admin API is disabled (ORCH_ADMIN_TOKEN is not set)');
    }
    const principal = await auth.principal(request);
    if (principal.kind !== 'admin') throw new OrchError('FORBIDDEN', 'admin token required');
    request.principal = principal;
  };
}

/** preHandler: a remote agent's token. */
export function requireAgent(auth: Authenticator): Hook {
  return async (request) => {
    const principal = await auth.principal(request);
    if (principal.kind !== 'agent') throw new OrchError('FORBIDDEN', 'agent token required');
    request.principal = principal;
  };
}

/** preHandler: an agent token, or the admin token with an `X-Tenant-Id` header. */
export function requireTenant(auth: Authenticator): Hook {
  return async (request) => {
    request.principal = await auth.principal(request);
    tenantOf(request);
  };
}

/** The tenant a request acts for (after requireAgent / requireTenant). */
export function tenantOf(request: FastifyRequest): string {
  const p = request.principal;
  if (p?.kind === 'agent') return p.grant.tenantId;
  const header = request.headers['x-tenant-id'];
  // Orch's own tenant is not a tenant route's: its jobs are made by Orch only (issue 13).
  const valid = typeof header === 'string' && TENANT_RE.test(header) && header !== ORCH_TENANT;
  if (p?.kind === 'admin' && valid) return header;
  throw new OrchError(
    'TENANT_REQUIRED',
    'admin requests to tenant routes need an X-Tenant-Id header',
  );
}

export function grantOf(request: FastifyRequest): AgentTokenGrant {
  const p = request.principal;
  if (p?.kind !== 'agent') throw new OrchError('FORBIDDEN', 'agent token required');
  return p.grant;
}
