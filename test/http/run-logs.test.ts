import { appendFileSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { afterEach, expect, it } from 'vitest';
import { addFindings } from '../../src/remote/findings-store.js';
import { createRun } from '../../src/remote/runs-store.js';
import { storeArtifact } from '../../src/remote/artifacts-store.js';
import { describeEachDialect } from '../helpers/test-db.js';
import { dashboardEnv } from './dashboard-env.js';
import { ADMIN, errorCode } from './http-helpers.js';

/** Reads a server-sent event stream until `until(text)` holds or the stream ends. */
function readSse(url: string, onData: (text: string) => void): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { headers: ADMIN }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        text += chunk;
        onData(text);
      });
      res.on('end', () => resolve(text));
    });
    req.on('error', reject);
    req.end();
  });
}

describeEachDialect('dashboard run logs and v2 runs', ({ current }) => {
  let env: Awaited<ReturnType<typeof dashboardEnv>> | undefined;
  afterEach(async () => {
    await env?.app.close();
    env = undefined;
  });
  const setup = async () => (env = await dashboardEnv(current().db));

  it("returns the last lines of a run's log", async () => {
    const e = await setup();
    const run = await e.agentRun(null);
    writeFileSync(run.logPath, 'one\ntwo\nthree\n');
    const res = await e.app.inject({ url: `/api/runs/${run.id}/log?tail=2`, headers: ADMIN });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ run_id: run.id, running: false, lines: ['two', 'three'] });
  });

  it('never reads a log path outside <dataDir>/runs and answers 4xx for bad input', async () => {
    const e = await setup();
    const outside = await e.agentRun(null, { logPath: join(e.root, 'seed', 'README.md') });
    const tail = await e.app.inject({ url: `/api/runs/${outside.id}/log`, headers: ADMIN });
    expect(tail.json()).toMatchObject({ available: false, lines: [] });
    const stream = await e.app.inject({
      url: `/api/runs/${outside.id}/log/stream`,
      headers: ADMIN,
    });
    expect(stream.statusCode).toBe(404);
    expect(errorCode(stream)).toBe('RUN_LOG_UNAVAILABLE');
    const missing = await e.app.inject({ url: '/api/runs/999/log', headers: ADMIN });
    expect(missing.statusCode).toBe(404);
    expect(errorCode(missing)).toBe('AGENT_RUN_NOT_FOUND');
    for (const url of ['/api/runs/abc/log', '/api/runs/..%2F..%2Fetc/log']) {
      const bad = await e.app.inject({ url, headers: ADMIN });
      expect(bad.statusCode).toBe(400);
      expect(errorCode(bad)).toBe('INVALID_PARAMS');
    }
    const badTail = await e.app.inject({
      url: `/api/runs/${outside.id}/log?tail=-1`,
      headers: ADMIN,
    });
    expect(badTail.statusCode).toBe(400);
    expect(errorCode(badTail)).toBe('INVALID_QUERY');
  });

  it('streams a finished run as its tail followed by an end event', async () => {
    const e = await setup();
    const run = await e.agentRun(null);
    writeFileSync(run.logPath, 'alpha\nbeta\n');
    const res = await e.app.inject({ url: `/api/runs/${run.id}/log/stream`, headers: ADMIN });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/event-stream/);
    expect(res.body).toContain('data: alpha\n\ndata: beta\n\n');
    expect(res.body).toMatch(/event: end\ndata: \{"outcome":"success","exit_code":0\}/);
  });

  it('streams lines appended to a running log and ends when the run finishes', async () => {
    const e = await setup();
    const run = await e.agentRun(null, { finished: false });
    writeFileSync(run.logPath, 'started\n');
    await e.app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = e.app.server.address() as AddressInfo;
    let appended = false;
    const body = await readSse(`http://127.0.0.1:${port}/api/runs/${run.id}/log/stream`, (text) => {
      if (appended || !text.includes('data: started')) return;
      appended = true;
      appendFileSync(run.logPath, 'working…\npartial');
      setTimeout(() => {
        appendFileSync(run.logPath, ' line\n');
        void e.finish(run.id);
      }, 400);
    });
    expect(body).toContain('data: started\n\ndata: working…\n\ndata: partial line\n\n');
    expect(body).toContain('event: end');
  });

  it('serves the dashboard files from a whitelist with their content types, and nothing else', async () => {
    const e = await setup();
    const index = await e.app.inject({ url: '/' });
    expect(index.statusCode).toBe(200);
    expect(index.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(index.headers['content-security-policy']).toContain("script-src 'self'");
    expect(index.body).toContain('<main id="main"');
    const js = await e.app.inject({ url: '/web/views/tasks.js' });
    expect(js.statusCode).toBe(200);
    expect(js.headers['content-type']).toBe('text/javascript; charset=utf-8');
    const css = await e.app.inject({ url: '/web/style.css' });
    expect(css.headers['content-type']).toBe('text/css; charset=utf-8');
    for (const url of [
      '/web/../package.json',
      '/web/..%2Fpackage.json',
      '/web/%2e%2e/%2e%2e/etc/passwd',
      '/web//etc/passwd',
      '/web/missing.js',
      '/web/',
    ]) {
      const res = await e.app.inject({ url });
      expect(res.statusCode, url).toBe(404);
      expect(errorCode(res), url).toBe('ROUTE_NOT_FOUND');
    }
  });

  it('lists v2 runs of every tenant and shows one with artifacts and findings (admin only)', async () => {
    const e = await setup();
    const db = current().db;
    const a = await createRun(db, { tenantId: 'acme', plan: [{ kind: 'semgrep' }] }, 1000);
    await createRun(db, { tenantId: 'globex', plan: [{ kind: 'trivy' }, { kind: 'zap' }] }, 2000);
    const content = Buffer.from('report');
    await storeArtifact(
      db,
      e.dataDir,
      { tenantId: 'acme', runId: a.runId, label: 'r.txt', kind: 'report', content },
      3000,
    );
    await addFindings(
      db,
      { tenantId: 'acme', runId: a.runId, findings: [{ title: 'XSS', severity: 'high' }] },
      3000,
    );
    const anonymous = await e.app.inject({ url: '/api/v2runs' });
    expect(anonymous.statusCode).toBe(401);
    const list = await e.app.inject({ url: '/api/v2runs', headers: ADMIN });
    expect(list.statusCode).toBe(200);
    const runs = list.json<{ runs: { tenant_id: string; jobs: number }[] }>().runs;
    expect(runs.map((r) => [r.tenant_id, r.jobs])).toEqual([
      ['globex', 2],
      ['acme', 1],
    ]);
    const detail = await e.app.inject({ url: `/api/v2runs/${a.runId}`, headers: ADMIN });
    expect(detail.statusCode).toBe(200);
    expect(detail.json()).toMatchObject({
      run: { id: a.runId, tenant_id: 'acme', jobs: [{ kind: 'semgrep' }] },
      artifacts: [{ label: 'r.txt', size_bytes: 6 }],
      findings: [{ title: 'XSS', severity: 'high' }],
    });
    const missing = await e.app.inject({ url: '/api/v2runs/999', headers: ADMIN });
    expect(missing.statusCode).toBe(404);
    expect(errorCode(missing)).toBe('RUN_NOT_FOUND');
  });
});
