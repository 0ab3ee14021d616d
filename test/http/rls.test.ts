import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { createTestDb, type TestDb } from '../helpers/test-db.js';
import { bearer, createToken, lease, makeServer } from './http-helpers.js';

const TABLES = [
  'runs',
  'jobs',
  'run_events',
  'artifacts',
  'findings',
  'job_events',
  'agents',
  'agent_tokens',
];

/** Creates, for one tenant, a row in every tenant table through the API. */
async function seedTenant(app: FastifyInstance, tenant: string) {
  const token = await createToken(app, {
    tenant_id: tenant,
    kinds: ['scan'],
    name: `${tenant}-agent`,
  });
  const h = bearer(token);
  const run = await app.inject({
    method: 'POST',
    url: '/v2/runs',
    headers: h,
    payload: { plan: [{ kind: 'scan' }] },
  });
  const runId = run.json<{ id: number }>().id;
  const [job] = await lease(app, token);
  await app.inject({
    method: 'POST',
    url: `/v2/jobs/${job!.id}/events`,
    headers: h,
    payload: { lease_token: job!.lease_token, type: 'job.started' },
  });
  await app.inject({
    method: 'POST',
    url: `/v2/runs/${runId}/artifacts`,
    headers: h,
    payload: { label: 'r', kind: 'report', content_base64: 'aGk=' },
  });
  await app.inject({
    method: 'POST',
    url: `/v2/runs/${runId}/findings`,
    headers: h,
    payload: { findings: [{ title: `${tenant} finding`, severity: 'low' }] },
  });
  return runId;
}

describe('row-level security [postgres]', () => {
  let t: TestDb;
  let app: FastifyInstance;
  let client: pg.Client;
  beforeEach(async () => {
    t = await createTestDb('postgres');
    app = makeServer(t.db).app;
    client = new pg.Client({ connectionString: t.url });
    await client.connect();
  });
  afterEach(async () => {
    await client.end();
    await app.close();
    await t.dispose();
  });

  async function asTenant<T>(tenant: string | null, fn: () => Promise<T>): Promise<T> {
    await client.query('begin');
    try {
      await client.query('set local role orch_tenant');
      if (tenant !== null)
        await client.query("select set_config('orch.tenant', $1, true)", [tenant]);
      return await fn();
    } finally {
      await client.query('rollback');
    }
  }

  it('shows the restricted role only its own tenant’s rows, and nothing without a tenant', async () => {
    await seedTenant(app, 'acme');
    await seedTenant(app, 'globex');
    for (const table of TABLES) {
      const all = await client.query<{ tenant_id: string }>(`select tenant_id from ${table}`);
      expect(new Set(all.rows.map((r) => r.tenant_id)), table).toEqual(new Set(['acme', 'globex']));
      const seen = await asTenant(
        'acme',
        async () =>
          (await client.query<{ tenant_id: string }>(`select tenant_id from ${table}`)).rows,
      );
      expect(seen.length, table).toBeGreaterThan(0);
      expect(new Set(seen.map((r) => r.tenant_id)), table).toEqual(new Set(['acme']));
      const none = await asTenant(
        null,
        async () => (await client.query(`select * from ${table}`)).rowCount,
      );
      expect(none, table).toBe(0);
    }
  });

  it('refuses to write a row for another tenant and cannot update other tenants’ rows', async () => {
    await seedTenant(app, 'acme');
    await seedTenant(app, 'globex');
    const insert = asTenant('acme', () =>
      client.query(
        "insert into runs (tenant_id, status, created_at_ms, updated_at_ms) values ('globex', 'queued', 0, 0)",
      ),
    );
    await expect(insert).rejects.toThrow(/row-level security/);
    const updated = await asTenant(
      'acme',
      async () =>
        (await client.query("update jobs set priority = 7 where tenant_id = 'globex'")).rowCount,
    );
    expect(updated).toBe(0);
    const whoami = await asTenant(
      'acme',
      async () => (await client.query<{ u: string }>('select current_user as u')).rows[0]!.u,
    );
    expect(whoami).toBe('orch_tenant');
  });
});
