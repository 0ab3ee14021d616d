import { afterEach, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { describeEachDialect } from '../helpers/test-db.js';
import { ADMIN, errorCode, makeServer } from './http-helpers.js';

describeEachDialect('http server', ({ current }) => {
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

  it('answers /health', async () => {
    const { app } = setup();
    const res = await app.inject({ method: 'GET', url: '/health' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: 'ok', service: 'orch' });
  });

  it('reports every queue block, with all statuses counted and no lease tokens', async () => {
    const { app, queue } = setup();
    await queue.enqueue({ kind: 'semgrep' });
    await queue.enqueue({ kind: 'semgrep' });
    await queue.claim({ kinds: ['semgrep'], leaseMs: 60_000, owner: 'w' });
    const res = await app.inject({ method: 'GET', url: '/queue', headers: ADMIN });
    expect(res.statusCode).toBe(200);
    const body = res.json<Record<string, unknown>>();
    expect(body.counts).toEqual({ queued: 1, running: 1, done: 0, failed: 0, cancelled: 0 });
    expect(body.max_concurrency).toBe(2);
    expect(body.poll_interval).toBe(2);
    expect(body.recent).toHaveLength(2);
    expect(res.body).not.toContain('lease_token');
  });

  it('keeps /queue at 200 when a registered block throws, reporting the error in that block', async () => {
    const { app } = setup({
      statusBlocks: {
        reaper: () => ({ enabled: true, reaped_total: 3 }),
        broken: () => {
          throw new Error('boom');
        },
        slow_fail: () => Promise.reject(new Error('later')),
      },
    });
    const res = await app.inject({ method: 'GET', url: '/queue', headers: ADMIN });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      reaper: { enabled: true, reaped_total: 3 },
      broken: { error: 'boom' },
      slow_fail: { error: 'later' },
      counts: { queued: 0 },
    });
  });

  it('serves Prometheus text by default and the JSON snapshot for Accept: application/json', async () => {
    const { app, queue } = setup({
      metricsSources: { breakerStates: () => ({ developer: 'open' as const }) },
    });
    await queue.enqueue({ kind: 'zap' });
    const text = await app.inject({ method: 'GET', url: '/metrics', headers: ADMIN });
    expect(text.statusCode).toBe(200);
    expect(text.headers['content-type']).toContain('text/plain');
    expect(text.body).toContain('orch_queue_depth{kind="zap",status="queued"} 1');
    expect(text.body).toContain('orch_queue_oldest_queued_age_seconds{kind="zap"}');
    expect(text.body).toContain('orch_breaker_state{kind="developer"} 2');
    expect(text.body).toContain('orch_stale_lease_rejections_total');

    const json = await app.inject({
      method: 'GET',
      url: '/metrics',
      headers: { ...ADMIN, accept: 'application/json' },
    });
    expect(json.json()).toMatchObject({
      schema_version: 1,
      stages: [],
      agents: [],
      cost: {},
      queue: {
        counts: { queued: 1 },
        by_kind: [{ kind: 'zap', queued: 1 }],
        breakers: { developer: 'open' },
      },
    });
  });

  it('serves the OpenAPI document generated from the route schemas', async () => {
    const { app } = setup();
    const doc = await app.inject({ method: 'GET', url: '/docs/json' });
    expect(doc.statusCode).toBe(200);
    const paths = Object.keys(doc.json<{ paths: Record<string, unknown> }>().paths);
    expect(paths).toEqual(
      expect.arrayContaining([
        '/health',
        '/v2/agents/lease2',
        '/v2/runs/{id}',
        '/admin/jobs/{id}/retry',
      ]),
    );
    const page = await app.inject({ method: 'GET', url: '/docs' });
    expect(page.headers['content-type']).toContain('text/html');
  });

  it('answers unknown routes with 404 ROUTE_NOT_FOUND', async () => {
    const { app } = setup();
    const res = await app.inject({ method: 'GET', url: '/nope' });
    expect(res.statusCode).toBe(404);
    expect(errorCode(res)).toBe('ROUTE_NOT_FOUND');
  });

  it('maps malformed JSON and non-JSON bodies to 400, unknown media types to 415, oversized bodies to 413', async () => {
    const { app } = setup({ limits: { bodyBytes: 1024 } });
    const bad = await app.inject({
      method: 'POST',
      url: '/v2/agent_tokens',
      headers: { ...ADMIN, 'content-type': 'application/json' },
      payload: '{"tenant_id":',
    });
    expect(bad.statusCode).toBe(400);
    expect(errorCode(bad)).toBe('INVALID_JSON');
    const big = await app.inject({
      method: 'POST',
      url: '/v2/agent_tokens',
      headers: ADMIN,
      payload: { tenant_id: 't', name: 'x'.repeat(4096), kinds: ['a'] },
    });
    expect(big.statusCode).toBe(413);
    expect(errorCode(big)).toBe('PAYLOAD_TOO_LARGE');
    const text = await app.inject({
      method: 'POST',
      url: '/v2/agent_tokens',
      headers: { ...ADMIN, 'content-type': 'text/plain' },
      payload: 'hello',
    });
    expect(text.statusCode).toBe(400);
    expect(errorCode(text)).toBe('INVALID_BODY');
    const xml = await app.inject({
      method: 'POST',
      url: '/v2/agent_tokens',
      headers: { ...ADMIN, 'content-type': 'application/xml' },
      payload: '<a/>',
    });
    expect(xml.statusCode).toBe(415);
    expect(errorCode(xml)).toBe('UNSUPPORTED_MEDIA_TYPE');
  });
});
