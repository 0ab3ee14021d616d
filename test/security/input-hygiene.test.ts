import { request } from 'node:http';
import type { AddressInfo } from 'node:net';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, expect, it } from 'vitest';
import { systemClock } from '../../src/clock.js';
import { lessonRoutes } from '../../src/http/routes/lessons.js';
import { webhookRoutes } from '../../src/http/routes/webhooks.js';
import { LessonStore } from '../../src/store/lessons/lesson-store.js';
import { jobCount } from '../helpers/queue.js';
import { giteaDelivery, planeDelivery } from '../helpers/stubs/webhook-deliveries.js';
import { describeEachDialect } from '../helpers/test-db.js';
import { dashboardEnv } from '../http/dashboard-env.js';
import { ADMIN, bearer, createToken, errorCode, lease, makeServer } from '../http/http-helpers.js';
import {
  GITEA_SECRET,
  PLANE_PROJECT_ID,
  PLANE_SECRET,
  countRows,
  makeIntake,
} from '../integrations/intake-setup.js';

/** A NUL byte and an unpaired surrogate: PostgreSQL refuses the first, UTF-8 cannot encode the second. */
const BAD = ['a\u0000b', 'a\ud800b'];

const push = (ref = 'refs/heads/main') => ({
  ref,
  after: 'c'.repeat(40),
  commits: [],
  repository: { full_name: 'gordon/hello-world' },
  sender: { login: 'gordon' },
});

describeEachDialect('security boundary: input hygiene', ({ current }) => {
  let apps: FastifyInstance[] = [];
  afterEach(async () => {
    for (const a of apps) await a.close();
    apps = [];
  });
  const track = <T extends { app: FastifyInstance }>(s: T) => (apps.push(s.app), s);

  it('answers 400 INVALID_BODY to a NUL or lone surrogate in every string field, on both stores', async () => {
    const lessons = lessonRoutes(new LessonStore(current().db, systemClock), true);
    const s = track(makeServer(current().db, { adminRoutes: [lessons] }));
    const token = await createToken(s.app, { tenant_id: 'acme', kinds: ['scan'] });
    const run = await s.app.inject({
      method: 'POST',
      url: '/v2/runs',
      headers: bearer(token),
      payload: { plan: [{ kind: 'scan' }] },
    });
    const runId = run.json<{ id: number }>().id;
    const [job] = await lease(s.app, token);
    const lt = job!.lease_token;
    const agent = bearer(token);
    for (const bad of BAD) {
      const cases: [string, Record<string, string>, unknown][] = [
        ['/v2/agent_tokens', ADMIN, { tenant_id: 'acme', name: bad, kinds: ['scan'] }],
        [`/v2/runs/${runId}/artifacts`, agent, { label: bad, kind: 'r', content_base64: '' }],
        [
          `/v2/runs/${runId}/artifacts`,
          agent,
          { label: 'l', path: `a/${bad}`, kind: 'r', content_base64: '' },
        ],
        [`/v2/runs/${runId}/findings`, agent, { findings: [{ title: bad }] }],
        [`/v2/runs/${runId}/findings`, agent, { findings: [{ title: 't', [bad]: 1 }] }],
        [`/v2/jobs/${job!.id}/complete`, agent, { lease_token: lt, status: 'failed', error: bad }],
        [`/v2/jobs/${job!.id}/events`, agent, { lease_token: lt, type: 'x', data: { m: bad } }],
        [`/v2/jobs/${job!.id}/heartbeat`, agent, { lease_token: bad }],
        ['/v2/runs', agent, { plan: [{ kind: 'scan', payload: { p: [bad] } }] }],
        ['/lessons', ADMIN, { lesson_type: bad }],
        ['/lessons', ADMIN, { lesson_type: 'manual', what_happened: bad }],
      ];
      for (const [url, headers, payload] of cases) {
        const res = await s.app.inject({
          method: 'POST',
          url,
          headers,
          payload: payload as object,
        });
        expect(res.statusCode, `${url} ${JSON.stringify(payload)}`).toBe(400);
        expect(errorCode(res)).toBe('INVALID_BODY');
      }
    }
    const query = await s.app.inject({ url: '/lessons?repo=a%00b', headers: ADMIN });
    expect(errorCode(query)).toBe('INVALID_QUERY');
    // The refused complete left the job running, and its holder can still finish it.
    expect((await s.queue.get(job!.id))?.status).toBe('running');
    const done = await s.app.inject({
      method: 'POST',
      url: `/v2/jobs/${job!.id}/complete`,
      headers: agent,
      payload: { lease_token: lt, status: 'failed', error: 'plain' },
    });
    expect(done.statusCode).toBe(200);
    expect(await s.deps.db.all('select id from findings')).toEqual([]);
  });

  it('answers 400 to a NUL in a task cancel reason', async () => {
    const env = track(await dashboardEnv(current().db));
    const { task } = await env.newItem();
    for (const bad of BAD) {
      const res = await env.app.inject({
        method: 'POST',
        url: `/admin/tasks/${task.workItemId}/cancel`,
        headers: ADMIN,
        payload: { reason: bad },
      });
      expect(errorCode(res)).toBe('INVALID_BODY');
    }
  });

  const webhookApp = async (maxBodyBytes?: number) => {
    const made = makeIntake(current().db, maxBodyBytes ? { maxBodyBytes } : {});
    const app = Fastify({ logger: false });
    await app.register(webhookRoutes(made.intake));
    apps.push(app);
    return { app, ...made };
  };

  it('refuses a signed Plane delivery whose event_id holds a NUL with 400, writing nothing', async () => {
    const { app } = await webhookApp();
    const body = {
      version: 'v2',
      event: 'workitem.created',
      event_id: 'ev\u0000id',
      data: { id: 'x', name: 't', project: PLANE_PROJECT_ID },
    };
    const d = planeDelivery(body, { secret: PLANE_SECRET, event: 'workitem.created' });
    const res = await app.inject({
      method: 'POST',
      url: '/webhook/plane',
      headers: d.headers,
      payload: d.rawBody,
    });
    expect(res.statusCode).toBe(400);
    expect(errorCode(res)).toBe('INVALID_PAYLOAD');
    expect(await countRows(current().db, 'webhook_inbox')).toBe(0);
  });

  it('processes a Gitea body replayed with a new X-Gitea-Delivery once', async () => {
    const { app } = await webhookApp();
    const d = giteaDelivery(push(), { secret: GITEA_SECRET, event: 'push' });
    const send = (headers: Record<string, string>) =>
      app.inject({ method: 'POST', url: '/webhook/gitea', headers, payload: d.rawBody });
    expect((await send(d.headers)).statusCode).toBe(202);
    const replay = await send({ ...d.headers, 'x-gitea-delivery': 'attacker-chosen-id' });
    expect(replay.statusCode).toBe(200);
    expect(replay.json()).toEqual({ status: 'duplicate' });
    expect(await jobCount(current().db)).toBe(1);
  });

  it('accepts a signed 902 KB push within the 1 MiB body limit (its ref is also its branch)', async () => {
    const { app } = await webhookApp();
    const d = giteaDelivery(push(`refs/heads/${'b'.repeat(902 * 1024)}`), {
      secret: GITEA_SECRET,
      event: 'push',
    });
    expect(d.rawBody.length).toBeGreaterThan(900 * 1024);
    expect(d.rawBody.length).toBeLessThan(1024 * 1024);
    const res = await app.inject({
      method: 'POST',
      url: '/webhook/gitea',
      headers: d.headers,
      payload: d.rawBody,
    });
    expect(res.statusCode).toBe(202);
    const over = giteaDelivery(push(`refs/heads/${'b'.repeat(1024 * 1024)}`), {
      secret: GITEA_SECRET,
      event: 'push',
    });
    const big = await app.inject({
      method: 'POST',
      url: '/webhook/gitea',
      headers: over.headers,
      payload: over.rawBody,
    });
    expect(big.statusCode).toBe(413);
  });

  it('hands a long-poll’s lease back at once when its client disconnected', async () => {
    const s = track(makeServer(current().db));
    const token = await createToken(s.app, { tenant_id: 'acme', kinds: ['k'] });
    await s.app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = s.app.server.address() as AddressInfo;
    const req = request({
      host: '127.0.0.1',
      port,
      method: 'POST',
      path: '/v2/agents/lease2',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    });
    req.on('error', () => undefined);
    req.end(JSON.stringify({ wait_ms: 30_000 }));
    // The poll is waiting once its agent has been recorded (that happens before the wait).
    while (!(await s.deps.db.get('select 1 as x from agents'))) {
      await new Promise((r) => setTimeout(r, 20));
    }
    // Disconnect and enqueue together: the claim races the server noticing the disconnect.
    req.destroy();
    const { job } = await s.queue.enqueue({ kind: 'k', tenantId: 'acme' });
    // Whether or not the gone poll claimed it first, a new poll gets the job within seconds (its
    // lease runs for minutes), and a claim handed back was not counted as an attempt.
    const again = await lease(s.app, token, { wait_ms: 5_000 });
    expect(again.map((j) => j.id)).toEqual([job.id]);
    expect(await s.queue.get(job.id)).toMatchObject({ status: 'running', attempts: 1 });
  });
});
