import { afterEach, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { describeEachDialect } from '../helpers/test-db.js';
import { ADMIN, bearer, createToken, errorCode, lease, makeServer } from './http-helpers.js';

describeEachDialect('v2 agent protocol', ({ current }) => {
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
  const post = (a: FastifyInstance, url: string, token: string, payload: unknown) =>
    a.inject({ method: 'POST', url, headers: bearer(token), payload: payload as object });

  it('leases only the token tenant’s jobs of its kinds, with a lease token, and records last_seen', async () => {
    const { app, queue, deps } = setup();
    const token = await createToken(app, { tenant_id: 'acme', kinds: ['semgrep'], name: 'sg' });
    await queue.enqueue({ kind: 'semgrep', tenantId: 'other', payload: { n: 0 } });
    await queue.enqueue({ kind: 'zap', tenantId: 'acme', payload: { n: 1 } });
    const mine = await queue.enqueue({ kind: 'semgrep', tenantId: 'acme', payload: { n: 2 } });
    const jobs = await lease(app, token, { max: 5 });
    expect(jobs).toHaveLength(1);
    expect(jobs[0]).toMatchObject({ id: mine.job.id, kind: 'semgrep', payload: { n: 2 } });
    expect(jobs[0]!.lease_token).toBeTruthy();
    expect(Date.parse(jobs[0]!.lease_expires_at)).toBeGreaterThan(Date.now());
    const agents = await deps.db.all<{ name: string; last_seen_ms: number }>(
      'select * from agents',
    );
    expect(agents).toMatchObject([{ name: 'sg' }]);
    const denied = await post(app, '/v2/agents/lease2', token, { kinds: ['zap'] });
    expect(denied.statusCode).toBe(403);
    expect(errorCode(denied)).toBe('KIND_NOT_ALLOWED');
  });

  it('long-polls until a job arrives', async () => {
    const { app, queue } = setup();
    const token = await createToken(app, { tenant_id: 'acme', kinds: ['k'] });
    const started = Date.now();
    const pending = lease(app, token, { wait_ms: 5000 });
    setTimeout(() => void queue.enqueue({ kind: 'k', tenantId: 'acme' }), 200);
    const jobs = await pending;
    expect(jobs).toHaveLength(1);
    expect(Date.now() - started).toBeLessThan(4000);
    const empty = await lease(app, token, { wait_ms: 100 });
    expect(empty).toEqual([]);
  });

  it('gives concurrent long-polls distinct jobs, each leased exactly once', async () => {
    const { app, queue } = setup();
    const token = await createToken(app, { tenant_id: 'acme', kinds: ['k'] });
    const polls = Array.from({ length: 20 }, () => lease(app, token, { wait_ms: 10_000, max: 2 }));
    // All 20 must be waiting before the jobs arrive: a poll that registers late finds the jobs
    // gone. The /metrics gauge says how many are waiting.
    for (let waiting = 0; waiting < 20;) {
      await new Promise((r) => setTimeout(r, 20));
      const m = await app.inject({ method: 'GET', url: '/metrics', headers: ADMIN });
      waiting = Number(/^orch_v2_long_polls_waiting (\d+)$/m.exec(m.body)?.[1] ?? 0);
    }
    await queue.enqueueBatch(Array.from({ length: 30 }, () => ({ kind: 'k', tenantId: 'acme' })));
    const results = await Promise.all(polls);
    const ids = results.flat().map((j) => j.id);
    expect(results.every((r) => r.length >= 1 && r.length <= 2)).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.length).toBe(30);
  });

  it('rejects a bad or missing agent token with 401, and the admin token with 403', async () => {
    const { app } = setup();
    const none = await app.inject({ method: 'POST', url: '/v2/agents/lease2', payload: {} });
    expect(none.statusCode).toBe(401);
    expect(errorCode(none)).toBe('AUTH_REQUIRED');
    const bad = await post(app, '/v2/agents/lease2', 'orch_at_nope', {});
    expect(bad.statusCode).toBe(401);
    expect(errorCode(bad)).toBe('INVALID_TOKEN');
    const admin = await app.inject({
      method: 'POST',
      url: '/v2/agents/lease2',
      headers: ADMIN,
      payload: {},
    });
    expect(admin.statusCode).toBe(403);
  });

  it('heartbeats, delivers a cancel request, and refuses a stale token with 409 LEASE_LOST', async () => {
    const { app, queue, admin } = setup();
    const token = await createToken(app, { tenant_id: 'acme', kinds: ['k'] });
    await queue.enqueue({ kind: 'k', tenantId: 'acme' });
    const [job] = await lease(app, token);
    const hb = await post(app, `/v2/jobs/${job!.id}/heartbeat`, token, {
      lease_token: job!.lease_token,
    });
    expect(hb.statusCode).toBe(200);
    expect(hb.json()).toMatchObject({ cancel: false });
    await admin.requestCancel(job!.id);
    const hb2 = await post(app, `/v2/jobs/${job!.id}/heartbeat`, token, {
      lease_token: job!.lease_token,
    });
    expect(hb2.json()).toMatchObject({ cancel: true });
    const stale = await post(app, `/v2/jobs/${job!.id}/heartbeat`, token, { lease_token: 'stale' });
    expect(stale.statusCode).toBe(409);
    expect(errorCode(stale)).toBe('LEASE_LOST');
    const metrics = await app.inject({ method: 'GET', url: '/metrics', headers: ADMIN });
    expect(metrics.body).toContain('orch_stale_lease_rejections_total{endpoint="heartbeat"} 1');
    expect(metrics.body).toContain('orch_job_claims_total{kind="k",source="v2"} 1');
  });

  it('stores events from the holder only and completes once; a later stale complete is 409', async () => {
    const { app, queue, deps } = setup();
    const token = await createToken(app, { tenant_id: 'acme', kinds: ['k'] });
    await queue.enqueue({ kind: 'k', tenantId: 'acme', maxAttempts: 1 });
    const [job] = await lease(app, token);
    const url = (what: string) => `/v2/jobs/${job!.id}/${what}`;
    const ev = await post(app, url('events'), token, {
      lease_token: job!.lease_token,
      type: 'job.started',
    });
    expect(ev.statusCode).toBe(202);
    await post(app, url('events'), token, {
      lease_token: job!.lease_token,
      type: 'job.progress',
      data: { pct: 50 },
    });
    const staleEv = await post(app, url('events'), token, {
      lease_token: 'x',
      type: 'job.progress',
    });
    expect(staleEv.statusCode).toBe(409);
    const events = await deps.db.all<{ type: string }>('select type from job_events order by id');
    expect(events.map((e) => e.type)).toEqual(['job.started', 'job.progress']);
    const done = await post(app, url('complete'), token, {
      lease_token: job!.lease_token,
      status: 'succeeded',
      result: { findings: 0 },
    });
    expect(done.statusCode).toBe(200);
    expect(done.json()).toMatchObject({ job: { status: 'done' } });
    expect((await queue.get(job!.id))?.result).toEqual({ findings: 0 });
    const again = await post(app, url('complete'), token, { lease_token: 'old', status: 'failed' });
    expect(again.statusCode).toBe(409);
    expect(errorCode(again)).toBe('LEASE_LOST');
  });

  it('answers 404 for another tenant’s job even with its real lease token', async () => {
    const { app, queue } = setup();
    const acme = await createToken(app, { tenant_id: 'acme', kinds: ['k'] });
    const evil = await createToken(app, { tenant_id: 'evil', kinds: ['k'], name: 'e' });
    await queue.enqueue({ kind: 'k', tenantId: 'acme' });
    const [job] = await lease(app, acme);
    for (const what of ['heartbeat', 'events', 'complete']) {
      const res = await post(app, `/v2/jobs/${job!.id}/${what}`, evil, {
        lease_token: job!.lease_token,
        type: 'job.running',
        status: 'succeeded',
      });
      expect(res.statusCode, what).toBe(404);
      expect(errorCode(res)).toBe('JOB_NOT_FOUND');
    }
    expect((await queue.get(job!.id))?.status).toBe('running');
  });

  it('validates bodies with stable codes', async () => {
    const { app } = setup();
    const token = await createToken(app, { tenant_id: 'acme', kinds: ['k'] });
    const res = await post(app, '/v2/agents/lease2', token, { max: 0 });
    expect(res.statusCode).toBe(400);
    expect(errorCode(res)).toBe('INVALID_BODY');
    const hb = await post(app, '/v2/jobs/1/heartbeat', token, {});
    expect(errorCode(hb)).toBe('INVALID_BODY');
    const c = await post(app, '/v2/jobs/1/complete', token, { lease_token: 'x', status: 'great' });
    expect(errorCode(c)).toBe('INVALID_BODY');
  });
});
