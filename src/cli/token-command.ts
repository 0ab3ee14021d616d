import { Command } from 'commander';
import { systemClock } from '../clock.js';
import { loadConfig } from '../config/config.js';
import { OrchError } from '../errors.js';
import { openQueue } from '../queue/open-queue.js';
import {
  listAgentTokens,
  revokeAgentToken,
  type AgentTokenInfo,
} from '../store/v2/agent-token-admin.js';
import { createAgentToken } from '../remote/agent-tokens.js';
import { KindPolicy } from '../remote/kind-policy.js';
import type { Db } from '../store/db.js';
import { formatTime, printJson, printTable } from './output.js';

const dbOpt = [
  '--db <url>',
  'database URL (default: ORCH_DB_URL or sqlite:./.orch/orch.db)',
] as const;

async function withDb<T>(dbUrl: string | undefined, fn: (db: Db) => Promise<T>): Promise<T> {
  const { db } = await openQueue(loadConfig(process.env, { dbUrl }), systemClock);
  try {
    return await fn(db);
  } finally {
    await db.close();
  }
}

const list = (v: string | undefined) =>
  v
    ? v
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)
    : [];

function row(t: AgentTokenInfo) {
  return {
    id: t.id,
    tenant: t.tenantId,
    name: t.name,
    kinds: t.kinds.join(','),
    created: formatTime(t.createdAtMs),
    expires: t.expiresAtMs === null ? '-' : formatTime(t.expiresAtMs),
    last_used: t.lastUsedAtMs === null ? '-' : formatTime(t.lastUsedAtMs),
    revoked: t.revokedAtMs === null ? '-' : formatTime(t.revokedAtMs),
  };
}

const COLUMNS = ['id', 'tenant', 'name', 'kinds', 'created', 'expires', 'last_used', 'revoked'];

interface CreateOptions {
  db?: string;
  tenant: string;
  name: string;
  kinds: string;
  labels?: string;
  expiresIn?: string;
  json?: boolean;
}

async function create(o: CreateOptions): Promise<void> {
  const kinds = list(o.kinds);
  if (kinds.length === 0) throw new OrchError('USAGE', '--kinds needs at least one kind');
  new KindPolicy().assertGrantable(o.tenant, kinds);
  const seconds = o.expiresIn === undefined ? null : Number(o.expiresIn);
  if (seconds !== null && !(Number.isSafeInteger(seconds) && seconds > 0))
    throw new OrchError('USAGE', '--expires-in must be a positive number of seconds');
  const nowMs = systemClock.now();
  const created = await withDb(o.db, (db) =>
    createAgentToken(
      db,
      {
        tenantId: o.tenant,
        name: o.name,
        kinds,
        labels: list(o.labels),
        expiresAtMs: seconds === null ? null : nowMs + seconds * 1000,
      },
      nowMs,
    ),
  );
  if (o.json) printJson({ id: created.grant.tokenId, token: created.token, ...created.grant });
  else process.stdout.write(`token ${created.grant.tokenId} (shown once): ${created.token}\n`);
}

/** `orch token list|create|revoke`: agent tokens, straight on the store (the operator's CLI). */
export function tokenCommand(): Command {
  const token = new Command('token').description('manage remote agent tokens');
  token
    .command('list')
    .description('list agent tokens (never the token itself)')
    .option(...dbOpt)
    .option('--tenant <id>', 'only this tenant')
    .option('--active', 'only tokens not revoked')
    .option('--json', 'print JSON')
    .action(async (o: { db?: string; tenant?: string; active?: boolean; json?: boolean }) => {
      const tokens = await withDb(o.db, (db) =>
        listAgentTokens(db, { tenantId: o.tenant, activeOnly: o.active === true }),
      );
      if (o.json) printJson(tokens);
      else printTable(tokens.map(row), COLUMNS);
    });
  token
    .command('create')
    .description('create a token for a tenant and kinds; prints it once')
    .option(...dbOpt)
    .requiredOption('--tenant <id>', 'tenant the token acts for')
    .requiredOption('--name <name>', 'a name for the agent(s) using it')
    .requiredOption('--kinds <list>', 'comma-separated kinds it may create and lease')
    .option('--labels <list>', 'comma-separated default labels')
    .option('--expires-in <seconds>', 'lifetime in seconds (default: no expiry)')
    .option('--json', 'print JSON')
    .action(create);
  token
    .command('revoke <id>')
    .description('revoke a token (effective at once on this store)')
    .option(...dbOpt)
    .option('--json', 'print JSON')
    .action(async (rawId: string, o: { db?: string; json?: boolean }) => {
      const id = Number(rawId);
      if (!Number.isSafeInteger(id) || id < 1)
        throw new OrchError('USAGE', `token id must be a positive integer, got "${rawId}"`);
      const revoked = await withDb(o.db, (db) => revokeAgentToken(db, id, systemClock.now()));
      if (o.json) printJson(revoked);
      else printTable([row(revoked)], COLUMNS);
    });
  return token;
}
