import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { systemClock } from '../../src/clock.js';
import type { HttpDeps } from '../../src/http/deps.js';
import { buildServer } from '../../src/http/server.js';
import type { Db } from '../../src/store/db.js';
import { makeQueue } from '../helpers/queue.js';

export const ADMIN_TOKEN = 'test-admin-token-0123456789';
export const ADMIN = { authorization: `Bearer ${ADMIN_TOKEN}` };

export function makeServer(db: Db, overrides: Partial<HttpDeps> = {}) {
  const { queue, admin } = makeQueue(db, systemClock, { pollIntervalMs: 20 });
  const dataDir = mkdtempSync(join(tmpdir(), 'orch-http-'));
  const deps: HttpDeps = {
    db,
    queue,
    admin,
    clock: systemClock,
    dataDir,
    adminToken: ADMIN_TOKEN,
    leaseMs: 60_000,
    maxConcurrency: 2,
    pollIntervalMs: 2000,
    ...overrides,
  };
  return { app: buildServer(deps), deps, queue, admin, dataDir };
}

export function bearer(token: string) {
  return { authorization: `Bearer ${token}` };
}

/** Creates an agent token through the API and returns its plaintext. */
export async function createToken(
  app: FastifyInstance,
  body: { tenant_id: string; kinds: string[]; name?: string; labels?: string[] },
): Promise<string> {
  const res = await app.inject({
    method: 'POST',
    url: '/v2/agent_tokens',
    headers: ADMIN,
    payload: { name: 'agent-1', ...body },
  });
  if (res.statusCode !== 201) throw new Error(`token: ${res.statusCode} ${res.body}`);
  return res.json<{ token: string }>().token;
}

export function errorCode(res: LightMyRequestResponse): string | undefined {
  return res.json<{ error?: { code?: string } }>().error?.code;
}

export interface LeasedJob {
  id: number;
  kind: string;
  payload: unknown;
  run_id: number | null;
  lease_token: string;
  lease_expires_at: string;
}

export async function lease(
  app: FastifyInstance,
  token: string,
  body: Record<string, unknown> = {},
): Promise<LeasedJob[]> {
  const res = await app.inject({
    method: 'POST',
    url: '/v2/agents/lease2',
    headers: bearer(token),
    payload: body,
  });
  if (res.statusCode !== 200) throw new Error(`lease: ${res.statusCode} ${res.body}`);
  return res.json<{ jobs: LeasedJob[] }>().jobs;
}
