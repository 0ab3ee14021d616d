import type { Db } from '../db.js';
import { OrchError } from '../../errors.js';

/** An agent token as the operator sees it (never the token itself, which is not stored). */
export interface AgentTokenInfo {
  id: number;
  tenantId: string;
  name: string;
  kinds: string[];
  labels: string[];
  createdAtMs: number;
  expiresAtMs: number | null;
  lastUsedAtMs: number | null;
  revokedAtMs: number | null;
}

interface InfoRow {
  id: number | string;
  tenant_id: string;
  name: string;
  kinds: string;
  labels: string;
  created_at_ms: number | string;
  expires_at_ms: number | string | null;
  last_used_at_ms: number | string | null;
  revoked_at_ms: number | string | null;
}

const num = (v: number | string | null): number | null => (v === null ? null : Number(v));

function infoOf(r: InfoRow): AgentTokenInfo {
  return {
    id: Number(r.id),
    tenantId: r.tenant_id,
    name: r.name,
    kinds: JSON.parse(r.kinds) as string[],
    labels: JSON.parse(r.labels) as string[],
    createdAtMs: Number(r.created_at_ms),
    expiresAtMs: num(r.expires_at_ms),
    lastUsedAtMs: num(r.last_used_at_ms),
    revokedAtMs: num(r.revoked_at_ms),
  };
}

const COLUMNS =
  'id, tenant_id, name, kinds, labels, created_at_ms, expires_at_ms, last_used_at_ms, revoked_at_ms';

/** Every token, newest first; revoked ones too unless `activeOnly`. */
export async function listAgentTokens(
  db: Db,
  options: { tenantId?: string | undefined; activeOnly?: boolean } = {},
): Promise<AgentTokenInfo[]> {
  const rows = await db.all<InfoRow>(
    `-- agent tokens, newest first; $1 tenant ('' = all), $2 1 = only unrevoked
     select ${COLUMNS} from agent_tokens
     where ($1 = '' or tenant_id = $1) and ($2 = 0 or revoked_at_ms is null)
     order by id desc`,
    [options.tenantId ?? '', options.activeOnly ? 1 : 0],
  );
  return rows.map(infoOf);
}

/**
 * Revokes a token (idempotent: a revoked token keeps its first revocation time). The caller also
 * drops it from the authenticator's cache. TOKEN_NOT_FOUND for an unknown id.
 */
export async function revokeAgentToken(
  db: Db,
  tokenId: number,
  nowMs: number,
): Promise<AgentTokenInfo> {
  const row = await db.tx(async (q) => {
    await q.run(
      `-- revoke agent token $1 at $2 (once)
       update agent_tokens set revoked_at_ms = $2 where id = $1 and revoked_at_ms is null`,
      [tokenId, nowMs],
    );
    return q.get<InfoRow>(`-- agent token $1\n select ${COLUMNS} from agent_tokens where id = $1`, [
      tokenId,
    ]);
  });
  if (!row) throw new OrchError('TOKEN_NOT_FOUND', `agent token ${tokenId} does not exist`);
  return infoOf(row);
}
