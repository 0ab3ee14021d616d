import { afterEach, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { describeEachDialect } from '../helpers/test-db.js';
import { ADMIN, bearer, createToken, errorCode, makeServer } from './http-helpers.js';

describeEachDialect('http admin api', ({ current }) => {
  let app: FastifyInstance | undefined;
  afterEach(async () => {
    await app?.close();
    app = undefined;
  });
  const setup = (overrides: Parameters<typeof makeServer>[1] = {}) => {
    const s = makeServer(current().db, overrides);
    app = s.app;
    return s;
  };

  it('refuses admin routes with 403 ADMIN_DISABLED when no admin token is configured', async () => {
    const { app } = setup({ adminToken: undefined });
    const res = await app.inject({ method: 'POST', url: '/admin/jobs/1/retry', headers: ADMIN });
    expect(res.statusCode).toBe(403);
    expect(errorCode(res)).toBe('ADMIN_DISABLED');
  });

  it('answers 401 without a token or with a wrong one, and 403 for an agent token', async () => {
    const { app } = setup();
    const none = await app.inject({ method: 'POST', url: '/admin/jobs/1/retry' });
    expect(none.statusCode).toBe(401);
    expect(errorCode(none)).toBe('AUTH_REQUIRED');
    const wrong = await app.inject({
      method: 'POST',
      url: '/admin/jobs/1/retry',
      headers: bearer('not-the-admin-token'),
    });
    expect(wrong.statusCode).toBe(401);
    expect(errorCode(wrong)).toBe('INVALID_TOKEN');
    const agent = await createToken(app, { tenant_id: 'acme', kinds: ['semgrep'] });
    const forbidden = await app.inject({
      method: 'POST',
      url: '/admin/jobs/1/retry',
      headers: bearer(agent),
    });
    expect(forbidden.statusCode).toBe(403);
    expect(errorCode(forbidden)).toBe('FORBIDDEN');
  });

  it('retries a failed job and refuses to retry a queued one with 409', async () => {
    const { app, queue } = setup();
    const { job } = await queue.enqueue({ kind: 'k', maxAttempts: 1 });
    const [held] = await queue.claim({ kinds: ['k'], leaseMs: 60_000, owner: 'w' });
    await queue.fail(job.id, held!.leaseToken!, { kind: 'permanent', error: 'x' });
    const ok = await app.inject({
      method: 'POST',
      url: `/admin/jobs/${job.id}/retry`,
      headers: ADMIN,
    });
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toMatchObject({ job: { id: job.id, status: 'queued', attempts: 0 } });
    const again = await app.inject({
      method: 'POST',
      url: `/admin/jobs/${job.id}/retry`,
      headers: ADMIN,
    });
    expect(again.statusCode).toBe(409);
    expect(errorCode(again)).toBe('INVALID_TRANSITION');
  });

  it('cancels a queued job at once and a running one by request; unknown ids are 404', async () => {
    const { app, queue } = setup();
    const a = await queue.enqueue({ kind: 'k' });
    const res = await app.inject({
      method: 'POST',
      url: `/admin/jobs/${a.job.id}/cancel`,
      headers: ADMIN,
    });
    expect(res.json()).toMatchObject({ immediate: true, job: { status: 'cancelled' } });
    const b = await queue.enqueue({ kind: 'k' });
    await queue.claim({ kinds: ['k'], leaseMs: 60_000, owner: 'w' });
    const running = await app.inject({
      method: 'POST',
      url: `/admin/jobs/${b.job.id}/cancel`,
      headers: ADMIN,
    });
    expect(running.json()).toMatchObject({
      immediate: false,
      job: { status: 'running', cancel_requested: true },
    });
    const missing = await app.inject({
      method: 'POST',
      url: '/admin/jobs/999999/cancel',
      headers: ADMIN,
    });
    expect(missing.statusCode).toBe(404);
    expect(errorCode(missing)).toBe('JOB_NOT_FOUND');
    const badId = await app.inject({
      method: 'POST',
      url: '/admin/jobs/abc/cancel',
      headers: ADMIN,
    });
    expect(badId.statusCode).toBe(400);
    expect(errorCode(badId)).toBe('INVALID_PARAMS');
  });

  it('creates agent tokens that are stored only as hashes', async () => {
    const { app, deps } = setup();
    const res = await app.inject({
      method: 'POST',
      url: '/v2/agent_tokens',
      headers: ADMIN,
      payload: { tenant_id: 'acme', name: 'scanner', kinds: ['semgrep', 'zap'], labels: ['linux'] },
    });
    expect(res.statusCode).toBe(201);
    const body = res.json<{ token: string; kinds: string[] }>();
    expect(body.token).toMatch(/^orch_at_/);
    const rows = await deps.db.all<Record<string, unknown>>('select * from agent_tokens');
    expect(rows).toHaveLength(1);
    expect(JSON.stringify(rows)).not.toContain(body.token);
    expect(rows[0]!.token_hash).toMatch(/^[0-9a-f]{64}$/);
    const invalid = await app.inject({
      method: 'POST',
      url: '/v2/agent_tokens',
      headers: ADMIN,
      payload: { tenant_id: 'acme', name: 'scanner', kinds: [] },
    });
    expect(invalid.statusCode).toBe(400);
    expect(errorCode(invalid)).toBe('INVALID_BODY');
  });
});
