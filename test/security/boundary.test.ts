import type { FastifyInstance } from 'fastify';
import { afterEach, expect, it } from 'vitest';
import { PIPELINE_ROLES } from '../../src/agents/agents-config.js';
import { ManualClock } from '../../src/clock.js';
import { silentLogger } from '../../src/log.js';
import { ORCH_TENANT } from '../../src/queue/enqueue-input.js';
import { HandlerWorker } from '../../src/queue/handler-worker.js';
import { withTenant } from '../../src/store/v2/tenant-scope.js';
import { makeHarness, type Harness } from '../agents/agent-harness.js';
import { jobCount } from '../helpers/queue.js';
import { describeEachDialect } from '../helpers/test-db.js';
import { ADMIN, bearer, createToken, errorCode, lease, makeServer } from '../http/http-helpers.js';

const INTERNAL_KINDS = [...PIPELINE_ROLES, 'webhook.plane', 'webhook.gitea', 'pipeline.recheck'];

describeEachDialect('security boundary: kinds, tenants, tokens', ({ current }) => {
  let app: FastifyInstance | undefined;
  let harness: Harness | undefined;
  afterEach(async () => {
    await app?.close();
    app = undefined;
    harness?.cleanup();
    harness = undefined;
  });
  const setup = (clock?: ManualClock) => {
    const s = makeServer(current().db, clock ? { clock } : {});
    app = s.app;
    return s;
  };
  const post = (a: FastifyInstance, url: string, headers: object, payload: unknown) =>
    a.inject({ method: 'POST', url, headers: headers as never, payload: payload as object });

  it('refuses every internal kind from a tenant token with 403 KIND_NOT_ALLOWED and enqueues nothing', async () => {
    const s = setup();
    const token = await createToken(s.app, { tenant_id: 'acme', kinds: ['scan'] });
    for (const kind of [...INTERNAL_KINDS, 'not-granted']) {
      const plan = [{ kind: 'scan' }, { kind, payload: { repo: 'http://127.0.0.1:1/x.git' } }];
      const res = await post(s.app, '/v2/runs', bearer(token), { plan });
      expect(res.statusCode, kind).toBe(403);
      expect(errorCode(res), kind).toBe('KIND_NOT_ALLOWED');
    }
    const admin = await post(
      s.app,
      '/v2/runs',
      { ...ADMIN, 'x-tenant-id': 'acme' },
      { plan: [{ kind: 'developer' }] },
    );
    expect(errorCode(admin)).toBe('KIND_NOT_ALLOWED');
    const asOrch = await post(
      s.app,
      '/v2/runs',
      { ...ADMIN, 'x-tenant-id': ORCH_TENANT },
      { plan: [{ kind: 'scan' }] },
    );
    expect(errorCode(asOrch)).toBe('TENANT_REQUIRED');
    expect(await jobCount(s.deps.db)).toBe(0);
    const ok = await post(s.app, '/v2/runs', bearer(token), { plan: [{ kind: 'scan' }] });
    expect(ok.statusCode).toBe(201);
  });

  it('grants no token an internal kind or Orch’s own tenant', async () => {
    const s = setup();
    const cases = [
      { body: { tenant_id: 'acme', name: 'a', kinds: ['developer'] }, code: 'KIND_RESERVED' },
      { body: { tenant_id: 'acme', name: 'a', kinds: ['webhook.x'] }, code: 'KIND_RESERVED' },
      { body: { tenant_id: ORCH_TENANT, name: 'a', kinds: ['scan'] }, code: 'TENANT_RESERVED' },
    ];
    for (const c of cases) {
      const res = await post(s.app, '/v2/agent_tokens', ADMIN, c.body);
      expect(res.statusCode).toBe(400);
      expect(errorCode(res)).toBe(c.code);
    }
    expect(await s.deps.db.all('select * from agent_tokens')).toEqual([]);
  });

  it('lets no remote agent lease Orch’s own jobs, even of a kind its token lists', async () => {
    const s = setup();
    await s.queue.enqueue({ kind: 'scan' });
    await s.queue.enqueue({ kind: 'scan', tenantId: 'evil' });
    const token = await createToken(s.app, { tenant_id: 'acme', kinds: ['scan'] });
    expect(await lease(s.app, token, { max: 10 })).toEqual([]);
  });

  it('has handler workers claim only Orch’s own jobs, never a tenant’s job of a handler kind', async () => {
    const s = setup();
    const handled: number[] = [];
    const worker = new HandlerWorker({
      queue: s.queue,
      log: silentLogger,
      owner: 'test',
      handlers: { 'webhook.plane': (job) => Promise.resolve(handled.push(job.id)) },
      classify: () => ({ kind: 'permanent' }),
      leaseMs: 60_000,
      pollIntervalMs: 50,
    });
    // A row as an older Orch would have accepted it from POST /v2/runs.
    const planted = await s.queue.enqueue({ kind: 'webhook.plane', tenantId: 'acme' });
    const own = await s.queue.enqueue({ kind: 'webhook.plane' });
    expect((await worker.runOnce())?.id).toBe(own.job.id);
    expect(await worker.runOnce()).toBeNull();
    expect(handled).toEqual([own.job.id]);
    expect((await s.queue.get(planted.job.id))?.status).toBe('queued');
  });

  it('has the local agent worker claim only Orch’s own jobs, and only configured repositories', async () => {
    let sampleRepo = '';
    const h: Harness = (harness = makeHarness(current().db, {
      allowRepo: (repo: string): boolean => repo === sampleRepo,
    }));
    sampleRepo = h.repo;
    const planted = await h.queue.enqueue({
      kind: 'developer',
      tenantId: 'acme',
      payload: { repo: h.repo, branch: 'feature/ET-1-x', role: 'developer', prompt: 'p' },
    });
    const ssrf = await h.enqueue(
      'developer',
      { repo: 'http://127.0.0.1:9/evil.git' },
      { maxAttempts: 1 },
    );
    const tick = await h.tick();
    expect(tick.claimed.map((j) => j.id)).toEqual([ssrf.job.id]);
    expect(await h.queue.get(ssrf.job.id)).toMatchObject({ status: 'failed' });
    expect((await h.queue.get(ssrf.job.id))?.error).toMatch(/no project/);
    expect((await h.queue.get(planted.job.id))?.status).toBe('queued');
  });

  it('answers 404 to every cross-tenant read, lease, event, complete, artifact and finding', async () => {
    const s = setup();
    const acme = await createToken(s.app, { tenant_id: 'acme', kinds: ['scan'] });
    const evil = await createToken(s.app, { tenant_id: 'evil', kinds: ['scan'], name: 'e' });
    const run = await post(s.app, '/v2/runs', bearer(acme), { plan: [{ kind: 'scan' }] });
    const runId = run.json<{ id: number }>().id;
    expect(await lease(s.app, evil, { max: 5 })).toEqual([]);
    const [job] = await lease(s.app, acme);
    const lt = { lease_token: job!.lease_token };
    const art = await post(s.app, `/v2/runs/${runId}/artifacts`, bearer(acme), {
      label: 'r',
      kind: 'report',
      content_base64: 'aGk=',
    });
    const artId = art.json<{ id: number }>().id;
    const e = bearer(evil);
    const attempts = [
      s.app.inject({ url: `/v2/runs/${runId}`, headers: e }),
      s.app.inject({ url: `/v2/runs/${runId}/artifacts/index.json`, headers: e }),
      s.app.inject({ url: `/v2/runs/${runId}/artifacts/${artId}`, headers: e }),
      s.app.inject({ url: `/v2/runs/${runId}/findings`, headers: e }),
      post(s.app, `/v2/jobs/${job!.id}/heartbeat`, e, lt),
      post(s.app, `/v2/jobs/${job!.id}/events`, e, { ...lt, type: 'job.progress' }),
      post(s.app, `/v2/jobs/${job!.id}/complete`, e, { ...lt, status: 'succeeded' }),
      post(s.app, `/v2/runs/${runId}/findings`, e, { findings: [{ title: 't' }] }),
      post(s.app, `/v2/runs/${runId}/artifacts`, e, {
        label: 'x',
        kind: 'report',
        content_base64: 'aGk=',
      }),
    ];
    for (const res of await Promise.all(attempts)) {
      expect(res.statusCode, res.body).toBe(404);
    }
    expect((await s.queue.get(job!.id))?.status).toBe('running');
  });

  it('refuses an artifact or finding naming a job of another run or tenant with 404', async () => {
    const s = setup();
    const acme = await createToken(s.app, { tenant_id: 'acme', kinds: ['scan'] });
    const evil = await createToken(s.app, { tenant_id: 'evil', kinds: ['scan'], name: 'e' });
    const mkRun = async (token: string) => {
      const res = await post(s.app, '/v2/runs', bearer(token), { plan: [{ kind: 'scan' }] });
      return res.json<{ id: number; job_ids: number[] }>();
    };
    const a1 = await mkRun(acme);
    const a2 = await mkRun(acme);
    const ev = await mkRun(evil);
    for (const jobId of [a2.job_ids[0], ev.job_ids[0], 999_999]) {
      const art = await post(s.app, `/v2/runs/${a1.id}/artifacts`, bearer(acme), {
        label: 'r',
        kind: 'report',
        job_id: jobId,
        content_base64: 'aGk=',
      });
      expect(errorCode(art)).toBe('JOB_NOT_FOUND');
      const fin = await post(s.app, `/v2/runs/${a1.id}/findings`, bearer(acme), {
        job_id: jobId,
        findings: [{ title: 't' }],
      });
      expect(errorCode(fin)).toBe('JOB_NOT_FOUND');
    }
    const own = await post(s.app, `/v2/runs/${a1.id}/findings`, bearer(acme), {
      job_id: a1.job_ids[0],
      findings: [{ title: 't' }],
    });
    expect(own.statusCode).toBe(201);
    expect(await s.deps.db.all('select id from artifacts')).toEqual([]);
  });

  it('lists tokens with last use, and a revoked token is refused at once (401)', async () => {
    const s = setup();
    const token = await createToken(s.app, { tenant_id: 'acme', kinds: ['scan'] });
    expect(await lease(s.app, token)).toEqual([]);
    const list = await s.app.inject({ url: '/v2/agent_tokens', headers: ADMIN });
    const [info] = list.json<{ items: { id: number; last_used_at: string | null }[] }>().items;
    expect(info!.last_used_at).not.toBeNull();
    expect(list.body).not.toContain(token);
    const del = await s.app.inject({
      method: 'DELETE',
      url: `/v2/agent_tokens/${info!.id}`,
      headers: ADMIN,
    });
    expect(del.json<{ revoked_at: string | null }>().revoked_at).not.toBeNull();
    const after = await post(s.app, '/v2/agents/lease2', bearer(token), {});
    expect(after.statusCode).toBe(401);
    expect(errorCode(after)).toBe('INVALID_TOKEN');
    const unknown = await s.app.inject({
      method: 'DELETE',
      url: '/v2/agent_tokens/999999',
      headers: ADMIN,
    });
    expect(errorCode(unknown)).toBe('TOKEN_NOT_FOUND');
  });

  it('refuses a token after its expiry, though it was cached as valid', async () => {
    const clock = new ManualClock(Date.now());
    const s = setup(clock);
    const res = await post(s.app, '/v2/agent_tokens', ADMIN, {
      tenant_id: 'acme',
      name: 'short',
      kinds: ['scan'],
      expires_in_seconds: 60,
    });
    const { token, expires_at } = res.json<{ token: string; expires_at: string }>();
    expect(Date.parse(expires_at)).toBe(clock.now() + 60_000);
    expect(await lease(s.app, token)).toEqual([]);
    clock.advance(60_000);
    const after = await post(s.app, '/v2/agents/lease2', bearer(token), {});
    expect(errorCode(after)).toBe('INVALID_TOKEN');
  });

  it('keeps Orch’s own jobs out of a tenant-scoped transaction (RLS on PostgreSQL)', async () => {
    const s = setup();
    await s.queue.enqueue({ kind: 'developer' });
    await s.queue.enqueue({ kind: 'scan', tenantId: 'acme' });
    const seen = await withTenant(s.deps.db, 'acme', (q) =>
      // No tenant filter on purpose: on PostgreSQL row-level security must hide the rest.
      q.all<{ tenant_id: string }>(
        current().dialect === 'postgres'
          ? 'select tenant_id from jobs'
          : "select tenant_id from jobs where tenant_id = 'acme'",
      ),
    );
    expect(seen.map((r) => r.tenant_id)).toEqual(['acme']);
  });
});
