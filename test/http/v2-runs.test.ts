import { afterEach, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { describeEachDialect } from '../helpers/test-db.js';
import { ADMIN, bearer, createToken, errorCode, lease, makeServer } from './http-helpers.js';

describeEachDialect('v2 runs', ({ current }) => {
  let app: FastifyInstance | undefined;
  afterEach(async () => {
    await app?.close();
    app = undefined;
  });
  const setup = () => {
    const s = makeServer(current().db);
    app = s.app;
    return s;
  };
  const req = (
    a: FastifyInstance,
    method: 'GET' | 'POST',
    url: string,
    token: string,
    payload?: object,
  ) => a.inject({ method, url, headers: bearer(token), ...(payload ? { payload } : {}) });

  async function startRun(a: FastifyInstance, token: string, kinds: string[]) {
    const res = await req(a, 'POST', '/v2/runs', token, {
      plan: kinds.map((kind, i) => ({ kind, payload: { target: `t${i}` } })),
    });
    expect(res.statusCode).toBe(201);
    return res.json<{ id: number; job_ids: number[] }>();
  }

  async function finish(a: FastifyInstance, token: string, status: 'succeeded' | 'failed') {
    const [job] = await lease(a, token);
    const res = await req(a, 'POST', `/v2/jobs/${job!.id}/complete`, token, {
      lease_token: job!.lease_token,
      status,
    });
    expect(res.statusCode).toBe(200);
  }

  it('completes a run when all its jobs succeed and emits run.completed exactly once', async () => {
    const { app } = setup();
    const token = await createToken(app, { tenant_id: 'acme', kinds: ['semgrep', 'zap'] });
    const run = await startRun(app, token, ['semgrep', 'zap']);
    expect(run.job_ids).toHaveLength(2);
    const queued = await req(app, 'GET', `/v2/runs/${run.id}`, token);
    expect(queued.json()).toMatchObject({
      status: 'queued',
      jobs: [{ status: 'queued' }, { status: 'queued' }],
    });
    await finish(app, token, 'succeeded');
    expect((await req(app, 'GET', `/v2/runs/${run.id}`, token)).json()).toMatchObject({
      status: 'running',
    });
    await finish(app, token, 'succeeded');
    const done = (await req(app, 'GET', `/v2/runs/${run.id}`, token)).json<{
      status: string;
      events: { type: string }[];
    }>();
    expect(done.status).toBe('completed');
    await req(app, 'GET', `/v2/runs/${run.id}`, token);
    expect(done.events.map((e) => e.type)).toEqual(['run.created', 'run.completed']);
    const again = (await req(app, 'GET', `/v2/runs/${run.id}`, token)).json<typeof done>();
    expect(again.events.filter((e) => e.type === 'run.completed')).toHaveLength(1);
  });

  it('fails a run when any job failed, once every job finished', async () => {
    const { app } = setup();
    const token = await createToken(app, { tenant_id: 'acme', kinds: ['semgrep'] });
    const run = await startRun(app, token, ['semgrep', 'semgrep']);
    await finish(app, token, 'failed');
    expect((await req(app, 'GET', `/v2/runs/${run.id}`, token)).json()).toMatchObject({
      status: 'running',
    });
    await finish(app, token, 'succeeded');
    const res = (await req(app, 'GET', `/v2/runs/${run.id}`, token)).json<{
      status: string;
      events: { type: string }[];
    }>();
    expect(res.status).toBe('failed');
    expect(res.events.map((e) => e.type)).toEqual(['run.created', 'run.failed']);
  });

  it('lets the admin start a run for a tenant named in X-Tenant-Id, and requires the header', async () => {
    const { app } = setup();
    const plan = { plan: [{ kind: 'zap' }] };
    const res = await app.inject({
      method: 'POST',
      url: '/v2/runs',
      headers: { ...ADMIN, 'x-tenant-id': 'acme' },
      payload: plan,
    });
    expect(res.statusCode).toBe(201);
    const missing = await app.inject({
      method: 'POST',
      url: '/v2/runs',
      headers: ADMIN,
      payload: plan,
    });
    expect(missing.statusCode).toBe(400);
    expect(errorCode(missing)).toBe('TENANT_REQUIRED');
  });

  it('rejects a bad plan and writes nothing', async () => {
    const { app, deps } = setup();
    const token = await createToken(app, { tenant_id: 'acme', kinds: ['zap'] });
    const res = await req(app, 'POST', '/v2/runs', token, {
      plan: [{ kind: 'zap' }, { kind: '../bad' }],
    });
    expect(res.statusCode).toBe(400);
    expect(errorCode(res)).toBe('INVALID_BODY');
    const empty = await req(app, 'POST', '/v2/runs', token, { plan: [] });
    expect(errorCode(empty)).toBe('INVALID_BODY');
    const n = await deps.db.get<{ n: number }>(
      'select (select count(*) from runs) + (select count(*) from jobs) as n',
    );
    expect(Number(n?.n)).toBe(0);
  });

  it('stores artifacts under the data dir and indexes them; other tenants get 404', async () => {
    const { app } = setup();
    const token = await createToken(app, { tenant_id: 'acme', kinds: ['zap'] });
    const other = await createToken(app, { tenant_id: 'evil', kinds: ['zap'], name: 'e' });
    const run = await startRun(app, token, ['zap']);
    const content = Buffer.from('{"alerts":[]}');
    const up = await req(app, 'POST', `/v2/runs/${run.id}/artifacts`, token, {
      label: 'zap report',
      kind: 'report',
      path: 'reports/zap.json',
      content_base64: content.toString('base64'),
    });
    expect(up.statusCode).toBe(201);
    const index = await req(app, 'GET', `/v2/runs/${run.id}/artifacts/index.json`, token);
    const items = index.json<{ items: Record<string, unknown>[] }>().items;
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({
      label: 'zap report',
      kind: 'report',
      path: 'reports/zap.json',
    });
    expect(Object.keys(items[0]!)).toEqual(expect.arrayContaining(['id', 'created_at']));
    const bytes = await req(
      app,
      'GET',
      `/v2/runs/${run.id}/artifacts/${String(items[0]!.id)}`,
      token,
    );
    expect(bytes.rawPayload.equals(content)).toBe(true);
    for (const [method, url] of [
      ['GET', `/v2/runs/${run.id}`],
      ['GET', `/v2/runs/${run.id}/artifacts/index.json`],
      ['GET', `/v2/runs/${run.id}/artifacts/${String(items[0]!.id)}`],
      ['GET', `/v2/runs/${run.id}/findings`],
    ] as const) {
      const res = await req(app, method, url, other);
      expect(res.statusCode, url).toBe(404);
    }
    const sneaky = await req(app, 'POST', `/v2/runs/${run.id}/artifacts`, other, {
      label: 'x',
      kind: 'report',
      content_base64: '',
    });
    expect(sneaky.statusCode).toBe(404);
    const traversal = await req(app, 'POST', `/v2/runs/${run.id}/artifacts`, token, {
      label: 'x',
      kind: 'report',
      path: '../../etc/passwd',
      content_base64: '',
    });
    expect(traversal.statusCode).toBe(400);
    expect(errorCode(traversal)).toBe('INVALID_ARTIFACT');
  });

  it('normalizes findings on write and lists them', async () => {
    const { app } = setup();
    const token = await createToken(app, { tenant_id: 'acme', kinds: ['semgrep'] });
    const run = await startRun(app, token, ['semgrep']);
    const res = await req(app, 'POST', `/v2/runs/${run.id}/findings`, token, {
      findings: [
        {
          check_id: 'xss',
          severity: 'Moderate',
          message: 'reflected',
          path: 'a.js',
          tags: ['web'],
        },
        { name: 'old tls', risk: 'High', url: 'https://x' },
      ],
    });
    expect(res.statusCode).toBe(201);
    const list = (await req(app, 'GET', `/v2/runs/${run.id}/findings`, token)).json<{
      findings: unknown[];
    }>();
    expect(list.findings).toMatchObject([
      {
        title: 'xss',
        severity: 'medium',
        description: 'reflected',
        assets: ['a.js'],
        tags: ['web'],
      },
      { title: 'old tls', severity: 'high', description: '', assets: ['https://x'], tags: [] },
    ]);
    const missing = await req(app, 'GET', '/v2/runs/424242/findings', token);
    expect(missing.statusCode).toBe(404);
    expect(errorCode(missing)).toBe('RUN_NOT_FOUND');
  });
});
