import type { Queryable } from '../db.js';

/** The `agent_tokens` columns a presented token resolves to (`kinds`, `labels`: JSON arrays). */
export interface AgentTokenRow {
  id: number;
  tenant_id: string;
  name: string;
  kinds: string;
  labels: string;
  expires_at_ms: number | string | null;
}

/** Creates the tenant if new (idempotent). */
export async function ensureTenant(q: Queryable, tenantId: string, nowMs: number): Promise<void> {
  await q.run(
    `-- ensure tenant: insert ($1, created $2) unless it exists
     insert into tenants (id, created_at_ms) values ($1, $2) on conflict (id) do nothing`,
    [tenantId, nowMs],
  );
}

/** Stores a new token by its hash; returns its id. */
export async function insertAgentToken(
  q: Queryable,
  t: {
    tenantId: string;
    name: string;
    tokenHash: string;
    kindsJson: string;
    labelsJson: string;
    nowMs: number;
    expiresAtMs: number | null;
  },
): Promise<number> {
  const row = await q.get<{ id: number }>(
    `-- create agent token: ($1 tenant, $2 name, $3 hash, $4 kinds, $5 labels, $6 now, $7 expiry)
     insert into agent_tokens (tenant_id, name, token_hash, kinds, labels, created_at_ms, expires_at_ms)
     values ($1, $2, $3, $4, $5, $6, $7) returning id`,
    [t.tenantId, t.name, t.tokenHash, t.kindsJson, t.labelsJson, t.nowMs, t.expiresAtMs],
  );
  return Number(row!.id);
}

/** The live token with hash `tokenHash` at `nowMs`, unless it belongs to `excludedTenant`. */
export function agentTokenByHash(
  q: Queryable,
  tokenHash: string,
  o: { nowMs: number; excludedTenant: string },
): Promise<AgentTokenRow | undefined> {
  return q.get<AgentTokenRow>(
    `-- find agent token by hash ($1), unless revoked, expired at $2, or of Orch's tenant $3
     select id, tenant_id, name, kinds, labels, expires_at_ms from agent_tokens
     where token_hash = $1 and revoked_at_ms is null
       and (expires_at_ms is null or expires_at_ms > $2) and tenant_id <> $3`,
    [tokenHash, o.nowMs, o.excludedTenant],
  );
}

/** Moves a token's `last_used_at_ms` forward to `nowMs` (never backwards). */
export async function touchAgentTokenRow(
  q: Queryable,
  tokenId: number,
  nowMs: number,
): Promise<void> {
  await q.run(
    `-- token last used: token $1 at $2 (never moves backwards)
     update agent_tokens set last_used_at_ms = $2
     where id = $1 and (last_used_at_ms is null or last_used_at_ms < $2)`,
    [tokenId, nowMs],
  );
}

/** Records that agent `name` of token `tokenId` polled at `seenAtMs`, with what it offers. */
export async function upsertAgentSighting(
  q: Queryable,
  s: {
    tenantId: string;
    tokenId: number;
    name: string;
    kindsJson: string;
    labelsJson: string;
    seenAtMs: number;
  },
): Promise<void> {
  await q.run(
    `-- touch agent: upsert (tenant $1, token $2, name $3, kinds $4, labels $5) with last_seen_ms = $6
     insert into agents (tenant_id, token_id, name, kinds, labels, created_at_ms, last_seen_ms)
     values ($1, $2, $3, $4, $5, $6, $6)
     on conflict (token_id, name) do update set last_seen_ms = $6, kinds = $4, labels = $5`,
    [s.tenantId, s.tokenId, s.name, s.kindsJson, s.labelsJson, s.seenAtMs],
  );
}
