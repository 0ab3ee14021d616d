import Fastify from 'fastify';
import { expect, it } from 'vitest';
import { webhookRoutes } from '../../src/http/routes/webhooks.js';
import { describeEachDialect } from '../helpers/test-db.js';
import {
  giteaDelivery,
  planeDelivery,
  planeIssueCreated,
} from '../helpers/stubs/webhook-deliveries.js';
import {
  GITEA_SECRET,
  PLANE_PROJECT_ID,
  PLANE_SECRET,
  countRows,
  makeIntake,
} from './intake-setup.js';

const push = {
  ref: 'refs/heads/main',
  after: 'c'.repeat(40),
  commits: [],
  repository: { full_name: 'gordon/hello-world' },
  sender: { login: 'gordon' },
};

describeEachDialect('webhook routes', ({ current }) => {
  const build = async (maxBodyBytes?: number) => {
    const { intake } = makeIntake(current().db, maxBodyBytes === undefined ? {} : { maxBodyBytes });
    const app = Fastify({ logger: false });
    await app.register(webhookRoutes(intake));
    return app;
  };

  it('answers 202 with the job id, then 200 duplicate for the same delivery', async () => {
    const app = await build();
    const d = giteaDelivery(push, { secret: GITEA_SECRET, event: 'push' });
    const first = await app.inject({
      method: 'POST',
      url: '/webhook/gitea',
      headers: d.headers,
      payload: d.rawBody,
    });
    expect(first.statusCode).toBe(202);
    expect(first.json()).toMatchObject({
      status: 'accepted',
      jobId: expect.any(Number) as unknown,
    });
    const again = await app.inject({
      method: 'POST',
      url: '/webhook/gitea',
      headers: d.headers,
      payload: d.rawBody,
    });
    expect(again.statusCode).toBe(200);
    expect(again.json()).toEqual({ status: 'duplicate' });
    await app.close();
  });

  it('verifies Plane signatures over the exact bytes sent (Python spacing and escapes)', async () => {
    const app = await build();
    const payload = planeIssueCreated({
      projectId: PLANE_PROJECT_ID,
      title: 'Ünïcode “quotes”',
      actorId: 'u-1',
    });
    const d = planeDelivery(payload, { secret: PLANE_SECRET });
    const res = await app.inject({
      method: 'POST',
      url: '/webhook/plane',
      headers: d.headers,
      payload: d.rawBody,
    });
    expect(res.statusCode).toBe(202);
    await app.close();
  });

  it('maps a bad signature to 401 WEBHOOK_SIGNATURE_INVALID and writes nothing', async () => {
    const app = await build();
    const d = giteaDelivery(push, { secret: 'not-the-secret', event: 'push' });
    const res = await app.inject({
      method: 'POST',
      url: '/webhook/gitea',
      headers: d.headers,
      payload: d.rawBody,
    });
    expect(res.statusCode).toBe(401);
    expect(res.json()).toEqual({
      error: { code: 'WEBHOOK_SIGNATURE_INVALID', message: expect.any(String) as unknown },
    });
    expect(await countRows(current().db, 'webhook_inbox')).toBe(0);
    await app.close();
  });

  it('maps non-JSON to 400 INVALID_JSON, whatever the content type', async () => {
    const app = await build();
    const d = giteaDelivery(Buffer.from('payload=%7B%7D'), { secret: GITEA_SECRET, event: 'push' });
    const res = await app.inject({
      method: 'POST',
      url: '/webhook/gitea',
      headers: { ...d.headers, 'content-type': 'application/x-www-form-urlencoded' },
      payload: d.rawBody,
    });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ error: { code: 'INVALID_JSON' } });
    await app.close();
  });

  it('maps an oversized body to 413 PAYLOAD_TOO_LARGE', async () => {
    const app = await build(512);
    const d = giteaDelivery(
      { ...push, pad: 'x'.repeat(4096) },
      { secret: GITEA_SECRET, event: 'push' },
    );
    const res = await app.inject({
      method: 'POST',
      url: '/webhook/gitea',
      headers: d.headers,
      payload: d.rawBody,
    });
    expect(res.statusCode).toBe(413);
    expect(res.json()).toMatchObject({ error: { code: 'PAYLOAD_TOO_LARGE' } });
    expect(await countRows(current().db, 'webhook_inbox')).toBe(0);
    await app.close();
  });

  it('answers 200 ignored for the bot and for unknown repositories', async () => {
    const app = await build();
    const d = giteaDelivery(
      { ...push, repository: { full_name: 'x/y' } },
      { secret: GITEA_SECRET, event: 'push' },
    );
    const res = await app.inject({
      method: 'POST',
      url: '/webhook/gitea',
      headers: d.headers,
      payload: d.rawBody,
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: 'ignored', reason: 'unknown_repo' });
    await app.close();
  });

  it('does not change JSON parsing for routes outside the plugin', async () => {
    const { intake } = makeIntake(current().db);
    const app = Fastify({ logger: false });
    await app.register(webhookRoutes(intake));
    app.post('/echo', (req) => ({ got: req.body }));
    const res = await app.inject({ method: 'POST', url: '/echo', payload: { a: 1 } });
    expect(res.json()).toEqual({ got: { a: 1 } });
    await app.close();
  });
});
