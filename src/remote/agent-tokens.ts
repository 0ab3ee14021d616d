import { createHash, randomBytes } from 'node:crypto';
import { ORCH_TENANT } from '../queue/enqueue-input.js';
import type { Db, Queryable } from '../store/db.js';

/** What a valid agent token grants: one tenant and the kinds it may lease. */
export interface AgentTokenGrant {
  tokenId: number;
  tenantId: string;
  name: string;
  kinds: string[];
  labels: string[];
  /** When the token stops working (epoch ms), or null for never. */
  expiresAtMs: number | null;
}

interface TokenRow {
  id: number;
  tenant_id: string;
  name: string;
  kinds: string;
  labels: string;
  expires_at_ms: number | string | null;
}

const TOKEN_PREFIX = 'orch_at_';

/** sha256 hex: tokens are 256-bit random, so a fast unsalted hash is enough to store them. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

export function newAgentToken(): string {
  return TOKEN_PREFIX + randomBytes(32).toString('base64url');
}

/** Creates the tenant if new (idempotent). */
export async function ensureTenant(q: Queryable, tenantId: string, nowMs: number): Promise<void> {
  await q.run(
    `-- ensure tenant: insert ($1, created $2) unless it exists
     insert into tenants (id, created_at_ms) values ($1, $2) on conflict (id) do nothing`,
    [tenantId, nowMs],
  );
}

export interface NewAgentToken {
  tenantId: string;
  name: string;
  kinds: string[];
  labels: string[];
  expiresAtMs?: number | null | undefined;
}

/**
 * Creates a token; the plaintext is returned once and only its hash is stored. The caller checks
 * the tenant and kinds first (KindPolicy.assertGrantable).
 */
export async function createAgentToken(
  db: Db,
  input: NewAgentToken,
  nowMs: number,
): Promise<{ token: string; grant: AgentTokenGrant; createdAtMs: number }> {
  const token = newAgentToken();
  const expiresAtMs = input.expiresAtMs ?? null;
  const row = await db.tx(async (q) => {
    await ensureTenant(q, input.tenantId, nowMs);
    return q.get<{ id: number }>(
      `-- create agent token: ($1 tenant, $2 name, $3 hash, $4 kinds, $5 labels, $6 now, $7 expiry)
       insert into agent_tokens (tenant_id, name, token_hash, kinds, labels, created_at_ms, expires_at_ms)
       values ($1, $2, $3, $4, $5, $6, $7) returning id`,
      [
        input.tenantId,
        input.name,
        hashToken(token),
        JSON.stringify([...new Set(input.kinds)].sort()),
        JSON.stringify([...new Set(input.labels)].sort()),
        nowMs,
        expiresAtMs,
      ],
    );
  });
  return {
    token,
    createdAtMs: nowMs,
    grant: {
      tokenId: Number(row!.id),
      tenantId: input.tenantId,
      name: input.name,
      kinds: input.kinds,
      labels: input.labels,
      expiresAtMs,
    },
  };
}

/**
 * The grant of a presented token at `nowMs`, or undefined if unknown, revoked or expired. A token
 * of Orch's own tenant is never honoured (none can be created; this covers rows from before 0010).
 */
export async function findAgentToken(
  db: Db,
  token: string,
  nowMs: number,
): Promise<AgentTokenGrant | undefined> {
  if (!token.startsWith(TOKEN_PREFIX) || token.length > 200) return undefined;
  const row = await db.get<TokenRow>(
    `-- find agent token by hash ($1), unless revoked, expired at $2, or of Orch's tenant $3
     select id, tenant_id, name, kinds, labels, expires_at_ms from agent_tokens
     where token_hash = $1 and revoked_at_ms is null
       and (expires_at_ms is null or expires_at_ms > $2) and tenant_id <> $3`,
    [hashToken(token), nowMs, ORCH_TENANT],
  );
  if (!row) return undefined;
  return {
    tokenId: Number(row.id),
    tenantId: row.tenant_id,
    name: row.name,
    kinds: JSON.parse(row.kinds) as string[],
    labels: JSON.parse(row.labels) as string[],
    expiresAtMs: row.expires_at_ms === null ? null : Number(row.expires_at_ms),
  };
}

/** Records that a token was used (`last_used_at_ms`); the authenticator calls it on a cache miss. */
export async function touchAgentToken(db: Db, tokenId: number, nowMs: number): Promise<void> {
  await db.run(
    `-- token last used: token $1 at $2 (never moves backwards)
     update agent_tokens set last_used_at_ms = $2
     where id = $1 and (last_used_at_ms is null or last_used_at_ms < $2)`,
    [tokenId, nowMs],
  );
}

export interface AgentSighting {
  grant: AgentTokenGrant;
  name: string;
  kinds: string[];
  labels: string[];
  seenAtMs: number;
}

/** Records that agents polled (`agents.last_seen_ms`): one upsert each, one transaction. */
export async function touchAgents(db: Db, sightings: readonly AgentSighting[]): Promise<void> {
  if (sightings.length === 0) return;
  await db.tx(async (q) => {
    for (const s of sightings) {
      await q.run(
        `-- touch agent: upsert (token $2, name $3) with last_seen_ms = $6
         insert into agents (tenant_id, token_id, name, kinds, labels, created_at_ms, last_seen_ms)
         values ($1, $2, $3, $4, $5, $6, $6)
         on conflict (token_id, name) do update set last_seen_ms = $6, kinds = $4, labels = $5`,
        [
          s.grant.tenantId,
          s.grant.tokenId,
          s.name,
          JSON.stringify(s.kinds),
          JSON.stringify(s.labels),
          s.seenAtMs,
        ],
      );
    }
  });
}
