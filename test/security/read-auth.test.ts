import { writeFileSync } from 'node:fs';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger, redactUrl } from '../../src/log.js';
import { describeEachDialect } from '../helpers/test-db.js';
import { dashboardEnv } from '../http/dashboard-env.js';
import { ADMIN, bearer, createToken, errorCode } from '../http/http-helpers.js';

const VIEWER_TOKEN = 'viewer-token-abcdefghijklmnop';
const VIEWER = bearer(VIEWER_TOKEN);

/** Every GET route of the OpenAPI document, with its path parameters filled in. */
async function readRoutes(app: Awaited<ReturnType<typeof dashboardEnv>>['app']) {
  const doc = (await app.inject({ url: '/docs/json' })).json<{
    paths: Record<string, Record<string, unknown>>;
  }>();
  return Object.entries(doc.paths)
    .filter(([, ops]) => 'get' in ops)
    .map(([path]) => path.replace(/\{[^}]+\}/g, '1'));
}

function cookieOf(setCookie: string | string[] | undefined): string {
  const header = Array.isArray(setCookie) ? setCookie[0]! : setCookie!;
  return header.split(';')[0]!;
}

describeEachDialect('read API authentication', ({ current }) => {
  let env: Awaited<ReturnType<typeof dashboardEnv>> | undefined;
  afterEach(async () => {
    await env?.app.close();
    env = undefined;
  });
  const setup = async (o: Parameters<typeof dashboardEnv>[1] = {}) =>
    (env = await dashboardEnv(current().db, { viewerToken: VIEWER_TOKEN, ...o }));

  it('answers 401 to an anonymous read on every GET route except /health and the login ones', async () => {
    const e = await setup();
    const routes = await readRoutes(e.app);
    expect(routes).toEqual(
      expect.arrayContaining(['/queue', '/status', '/metrics', '/api/tasks', '/api/queue']),
    );
    expect(routes).toEqual(expect.arrayContaining(['/api/runs/1/log', '/api/runs/1/log/stream']));
    for (const url of routes) {
      const res = await e.app.inject({ url });
      if (url === '/health') expect(res.statusCode).toBe(200);
      else if (url === '/api/session') expect(res.json()).toEqual({ read: null });
      else if (url === '/login') expect(res.statusCode).toBe(400);
      else expect([url, res.statusCode]).toEqual([url, 401]);
    }
    const json = await e.app.inject({ url: '/metrics', headers: { accept: 'application/json' } });
    expect(errorCode(json)).toBe('AUTH_REQUIRED');
  });

  it('lets the viewer token read everything and write nothing', async () => {
    const e = await setup();
    const { task } = await e.newItem();
    const run = await e.agentRun(task.id);
    writeFileSync(run.logPath, 'a line\n');
    for (const url of ['/queue', '/status', '/metrics', '/api/tasks', `/api/tasks/${task.id}`]) {
      expect([url, (await e.app.inject({ url, headers: VIEWER })).statusCode]).toEqual([url, 200]);
    }
    const log = await e.app.inject({ url: `/api/runs/${run.id}/log`, headers: VIEWER });
    expect(log.json()).toMatchObject({ lines: ['a line'] });
    const { job } = await e.queue.enqueue({ kind: 'k' });
    await e.queue.claim({ kinds: ['k'], leaseMs: 60_000, owner: 'w' });
    const cancel = await e.app.inject({
      method: 'POST',
      url: `/admin/jobs/${job.id}/cancel`,
      headers: VIEWER,
    });
    // A known token without the right: 403, not "unknown token".
    expect(cancel.statusCode).toBe(403);
    expect(errorCode(cancel)).toBe('FORBIDDEN');
    const approve = await e.app.inject({
      method: 'POST',
      url: `/admin/tasks/${task.id}/approve`,
      headers: VIEWER,
      payload: {},
    });
    expect(approve.statusCode).toBe(403);
    expect((await e.queue.get(job.id))?.cancelRequested).toBe(false);
    expect((await e.task(task.id)).state).toBe(task.state);
  });

  it('refuses a tenant agent token on the operator read API', async () => {
    const e = await setup();
    const token = await createToken(e.app, { tenant_id: 'acme', kinds: ['scan'] });
    const res = await e.app.inject({ url: '/api/tasks', headers: bearer(token) });
    expect(res.statusCode).toBe(403);
    expect(errorCode(res)).toBe('FORBIDDEN');
  });

  it('exchanges a token once for an HttpOnly SameSite=Strict cookie that reads but never writes', async () => {
    const e = await setup();
    const wrong = await e.app.inject({
      method: 'POST',
      url: '/api/session',
      payload: { token: 'not-a-token' },
    });
    expect(errorCode(wrong)).toBe('INVALID_TOKEN');
    const res = await e.app.inject({
      method: 'POST',
      url: '/api/session',
      payload: { token: VIEWER_TOKEN },
    });
    expect(res.statusCode).toBe(204);
    const setCookie = String(res.headers['set-cookie']);
    expect(setCookie).toMatch(/^orch_session=\d+\.[0-9a-f]{64}; /);
    expect(setCookie).toContain('HttpOnly');
    expect(setCookie).toContain('SameSite=Strict');
    expect(setCookie).toContain('Path=/');
    expect(setCookie).not.toContain(VIEWER_TOKEN);
    const cookie = { cookie: cookieOf(res.headers['set-cookie']) };
    expect((await e.app.inject({ url: '/api/tasks', headers: cookie })).statusCode).toBe(200);
    expect((await e.app.inject({ url: '/api/session', headers: cookie })).json()).toEqual({
      read: 'full',
    });
    const forged = { cookie: cookie.cookie.replace(/.$/, (c) => (c === '0' ? '1' : '0')) };
    expect((await e.app.inject({ url: '/api/tasks', headers: forged })).statusCode).toBe(401);
    const write = await e.app.inject({
      method: 'POST',
      url: '/admin/jobs/1/retry',
      headers: cookie,
    });
    expect(errorCode(write)).toBe('AUTH_REQUIRED');
    const out = await e.app.inject({ method: 'DELETE', url: '/api/session', headers: cookie });
    expect(String(out.headers['set-cookie'])).toMatch(/^orch_session=; Max-Age=0; /);
  });

  it('spends a one-time login code: cookie and redirect once, 401 after', async () => {
    const e = await setup();
    const code = e.app.orchLoginCode();
    const res = await e.app.inject({ url: `/login?code=${code}` });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe('/');
    expect(res.headers['cache-control']).toBe('no-store');
    const cookie = { cookie: cookieOf(res.headers['set-cookie']) };
    expect((await e.app.inject({ url: '/queue', headers: cookie })).statusCode).toBe(200);
    const again = await e.app.inject({ url: `/login?code=${code}` });
    expect(again.statusCode).toBe(401);
    expect(again.headers['set-cookie']).toBeUndefined();
    // A browser following the spent link is sent to the login page, which explains it.
    const browser = await e.app.inject({
      url: `/login?code=${code}`,
      headers: { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' },
    });
    expect([browser.statusCode, browser.headers.location]).toEqual([303, '/?login=invalid']);
    expect(browser.headers['set-cookie']).toBeUndefined();
  });

  it('answers 403 to a rebinding Host or a foreign Origin, even with a token; /health is exempt', async () => {
    const e = await setup();
    const evilHost = await e.app.inject({
      url: '/api/tasks',
      headers: { ...ADMIN, host: 'evil.example:8500' },
    });
    expect(evilHost.statusCode).toBe(403);
    expect(errorCode(evilHost)).toBe('HOST_NOT_ALLOWED');
    const login = await e.app.inject({
      method: 'POST',
      url: '/api/session',
      headers: { host: 'rebind.evil.example' },
      payload: { token: VIEWER_TOKEN },
    });
    expect(errorCode(login)).toBe('HOST_NOT_ALLOWED');
    const origin = await e.app.inject({
      url: '/queue',
      headers: { ...ADMIN, host: '127.0.0.1:8500', origin: 'http://evil.example' },
    });
    expect(errorCode(origin)).toBe('ORIGIN_NOT_ALLOWED');
    for (const host of ['localhost:8500', '127.0.0.1', '[::1]:8500']) {
      const ok = await e.app.inject({ url: '/queue', headers: { ...ADMIN, host } });
      expect([host, ok.statusCode]).toEqual([host, 200]);
    }
    const health = await e.app.inject({ url: '/health', headers: { host: 'evil.example' } });
    expect(health.statusCode).toBe(200);
  });

  it('allows exactly the configured hosts', async () => {
    const e = await setup({ allowedHosts: ['orch.example.com'] });
    const ok = await e.app.inject({
      url: '/queue',
      headers: { ...ADMIN, host: 'orch.example.com:8500', origin: 'https://orch.example.com' },
    });
    expect(ok.statusCode).toBe(200);
    const local = await e.app.inject({ url: '/queue', headers: { ...ADMIN, host: 'localhost' } });
    expect(errorCode(local)).toBe('HOST_NOT_ALLOWED');
  });

  it('public read shows no tenant jobs, log text or gate evidence', async () => {
    const e = await setup({ publicRead: true });
    const { task } = await e.newItem();
    await e.tasks.addGateResult(current().db, task.id, task.stage, {
      gate: 'check_tests_local',
      passed: false,
      reason: 'tests failed',
      evidence: 'stack trace with internals',
      evaluatedAtMs: 1,
    });
    const run = await e.agentRun(task.id);
    writeFileSync(run.logPath, 'agent output\n');
    await e.queue.enqueue({ kind: 'scan', tenantId: 'acme' });
    const queue = (await e.app.inject({ url: '/queue' })).json<{ recent: unknown[] }>();
    expect(queue.recent).toEqual(
      expect.not.arrayContaining([expect.objectContaining({ tenant_id: 'acme' })]),
    );
    const adminQueue = await e.app.inject({ url: '/queue', headers: ADMIN });
    expect(adminQueue.json<{ recent: unknown[] }>().recent).toEqual(
      expect.arrayContaining([expect.objectContaining({ tenant_id: 'acme' })]),
    );
    const detail = await e.app.inject({ url: `/api/tasks/${task.id}` });
    expect(detail.statusCode).toBe(200);
    expect(detail.body).not.toContain('stack trace with internals');
    const full = await e.app.inject({ url: `/api/tasks/${task.id}`, headers: VIEWER });
    expect(full.body).toContain('stack trace with internals');
    const log = await e.app.inject({ url: `/api/runs/${run.id}/log` });
    expect(errorCode(log)).toBe('AUTH_REQUIRED');
    const stream = await e.app.inject({ url: `/api/runs/${run.id}/log/stream` });
    expect(errorCode(stream)).toBe('AUTH_REQUIRED');
    expect((await e.app.inject({ url: '/api/session' })).json()).toEqual({ read: 'public' });
  });

  it('serves /docs under the dashboard CSP with no inline script', async () => {
    const e = await setup();
    const page = await e.app.inject({ url: '/docs' });
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
    expect(page.body).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(page.body).not.toMatch(/<style/);
    const js = await e.app.inject({ url: '/docs/docs.js' });
    expect(js.headers['content-type']).toBe('text/javascript; charset=utf-8');
  });

  it('never logs the value of an auth-like query key', async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(chunk.toString('utf8'));
        done();
      },
    });
    const logger = createLogger('debug', { destination: sink });
    const e = await setup({ logger });
    await e.app.inject({ url: '/login?code=SECRET-CODE-123&next=%2F' });
    await e.app.inject({ url: '/api/tasks?limit=5&access_token=SECRET-TOKEN-456' });
    const text = lines.join('');
    expect(text).toContain('/login?code=[redacted]&next=%2F');
    expect(text).toContain('/api/tasks?limit=5&access_token=[redacted]');
    expect(text).not.toMatch(/SECRET-(CODE|TOKEN)/);
  });
});

describe('redactUrl', () => {
  it('redacts the values of auth-like keys and keeps everything else', () => {
    expect(redactUrl('/a?token=x&limit=2&API_KEY=y&sig=z&password=p&tail=5')).toBe(
      '/a?token=[redacted]&limit=2&API_KEY=[redacted]&sig=[redacted]&password=[redacted]&tail=5',
    );
    expect(redactUrl('/plain')).toBe('/plain');
    expect(redactUrl('/a?%74oken=x')).toBe('/a?%74oken=[redacted]');
  });
});
