import { createHash, randomBytes } from 'node:crypto';
import type { Db, Queryable } from '../store/db.js';

/** What a valid agent token grants: one tenant and the kinds it may lease. */
export interface AgentTokenGrant {
  tokenId: number;
  tenantId: string;
  name: string;
  kinds: string[];
  labels: string[];
}

interface TokenRow {
  id: number;
  tenant_id: string;
  name: string;
  kinds: string;
  labels: string;
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

/** Creates a token; the plaintext is returned once and only its hash is stored. */
export async function createAgentToken(
  db: Db,
  input: { tenantId: string; name: string; kinds: string[]; labels: string[] },
  nowMs: number,
): Promise<{ token: string; grant: AgentTokenGrant; createdAtMs: number }> {
  const token = newAgentToken();
  const row = await db.tx(async (q) => {
    await ensureTenant(q, input.tenantId, nowMs);
    return q.get<{ id: number }>(
      `-- create agent token: ($1 tenant, $2 name, $3 hash, $4 kinds, $5 labels, $6 now)
       insert into agent_tokens (tenant_id, name, token_hash, kinds, labels, created_at_ms)
       values ($1, $2, $3, $4, $5, $6) returning id`,
      [
        input.tenantId,
        input.name,
        hashToken(token),
        JSON.stringify([...new Set(input.kinds)].sort()),
        JSON.stringify([...new Set(input.labels)].sort()),
        nowMs,
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
    },
  };
}

/** The grant of a presented token, or undefined if unknown or revoked. */
export async function findAgentToken(db: Db, token: string): Promise<AgentTokenGrant | undefined> {
  if (!token.startsWith(TOKEN_PREFIX) || token.length > 200) return undefined;
  const row = await db.get<TokenRow>(
    `-- find agent token by hash ($1), unless revoked
     select id, tenant_id, name, kinds, labels from agent_tokens
     where token_hash = $1 and revoked_at_ms is null`,
    [hashToken(token)],
  );
  if (!row) return undefined;
  return {
    tokenId: Number(row.id),
    tenantId: row.tenant_id,
    name: row.name,
    kinds: JSON.parse(row.kinds) as string[],
    labels: JSON.parse(row.labels) as string[],
  };
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
