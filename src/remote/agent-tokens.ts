import { createHash, randomBytes } from 'node:crypto';
import { ORCH_TENANT } from '../queue/enqueue-input.js';
import type { Db } from '../store/db.js';
import {
  agentTokenByHash,
  ensureTenant,
  insertAgentToken,
  touchAgentTokenRow,
  upsertAgentSighting,
} from '../store/v2/agent-token-rows.js';

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

const TOKEN_PREFIX = 'orch_at_';

/** sha256 hex: tokens are 256-bit random, so a fast unsalted hash is enough to store them. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

export function newAgentToken(): string {
  return TOKEN_PREFIX + randomBytes(32).toString('base64url');
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
  const tokenId = await db.tx(async (q) => {
    await ensureTenant(q, input.tenantId, nowMs);
    return insertAgentToken(q, {
      tenantId: input.tenantId,
      name: input.name,
      tokenHash: hashToken(token),
      kindsJson: JSON.stringify([...new Set(input.kinds)].sort()),
      labelsJson: JSON.stringify([...new Set(input.labels)].sort()),
      nowMs,
      expiresAtMs,
    });
  });
  return {
    token,
    createdAtMs: nowMs,
    grant: {
      tokenId,
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
  const row = await agentTokenByHash(db, hashToken(token), { nowMs, excludedTenant: ORCH_TENANT });
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
  await touchAgentTokenRow(db, tokenId, nowMs);
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
      await upsertAgentSighting(q, {
        tenantId: s.grant.tenantId,
        tokenId: s.grant.tokenId,
        name: s.name,
        kindsJson: JSON.stringify(s.kinds),
        labelsJson: JSON.stringify(s.labels),
        seenAtMs: s.seenAtMs,
      });
    }
  });
}
