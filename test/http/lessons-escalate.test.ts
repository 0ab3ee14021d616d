import { expect, it } from 'vitest';
import { escalateRoutes } from '../../src/http/routes/escalate.js';
import { lessonRoutes } from '../../src/http/routes/lessons.js';
import { buildServer } from '../../src/http/server.js';
import { LessonStore } from '../../src/store/lessons/lesson-store.js';
import { intake } from '../../src/pipeline/intake.js';
import { silentLogger } from '../../src/log.js';
import { ANALYSIS, pipelineEnv } from '../helpers/pipeline-env.js';
import { describeEachDialect } from '../helpers/test-db.js';
import { ADMIN_TOKEN } from './http-helpers.js';

const auth = { authorization: `Bearer ${ADMIN_TOKEN}` };

describeEachDialect('admin: lessons and bug fast-track escalation', ({ current }) => {
  async function server(options: { lessonsEnabled?: boolean } = {}) {
    const env = await pipelineEnv(current().db);
    const app = buildServer({
      db: current().db,
      queue: env.queue,
      admin: env.admin,
      clock: env.clock,
      dataDir: env.root,
      adminToken: ADMIN_TOKEN,
      leaseMs: 60_000,
      maxConcurrency: 1,
      pollIntervalMs: 1000,
      adminRoutes: [
        lessonRoutes(new LessonStore(current().db, env.clock), options.lessonsEnabled ?? true),
        escalateRoutes(env.pipeline),
      ],
    });
    return { env, app };
  }

  it('records, filters and re-classifies lessons; source is always manual', async () => {
    const { app } = await server();
    const rec = await app.inject({
      method: 'POST',
      url: '/lessons',
      headers: auth,
      payload: {
        lesson_type: 'gate_failure',
        work_item_id: 'ET-001',
        repo: 'demo',
        root_cause: 'flaky test',
      },
    });
    expect(rec.statusCode).toBe(201);
    const { id } = rec.json<{ id: number }>();
    await app.inject({
      method: 'POST',
      url: '/lessons',
      headers: auth,
      payload: { lesson_type: 'merge_hold', repo: 'other' },
    });
    const list = await app.inject({
      method: 'GET',
      url: '/lessons?type=gate_failure',
      headers: auth,
    });
    expect(list.json()).toMatchObject({
      enabled: true,
      lessons: [
        {
          id,
          lesson_type: 'gate_failure',
          source: 'manual',
          root_cause: 'flaky test',
          status: 'open',
        },
      ],
    });
    expect(
      (await app.inject({ method: 'GET', url: '/lessons?repo=other', headers: auth })).json<{
        lessons: unknown[];
      }>().lessons,
    ).toHaveLength(1);
    const upd = await app.inject({
      method: 'POST',
      url: `/lessons/${id}`,
      headers: auth,
      payload: { status: 'resolved', attribution: 'test-infra' },
    });
    expect(upd.json()).toEqual({ ok: true });
    expect(
      (await app.inject({ method: 'GET', url: '/lessons?status=resolved', headers: auth })).json(),
    ).toMatchObject({ lessons: [{ id, attribution: 'test-infra' }] });
  });

  it('rejects bad lesson input with a code and writes nothing', async () => {
    const { app } = await server();
    const cases = [
      { payload: {}, code: 'INVALID_BODY' },
      { payload: { lesson_type: 'x', source: 'auto' }, code: 'INVALID_BODY' },
      { payload: { lesson_type: 'x', id: 5 }, code: 'INVALID_BODY' },
    ];
    for (const c of cases) {
      const res = await app.inject({
        method: 'POST',
        url: '/lessons',
        headers: auth,
        payload: c.payload,
      });
      expect(res.statusCode).toBe(400);
      expect(res.json()).toMatchObject({ error: { code: c.code } });
    }
    expect(
      (
        await app.inject({
          method: 'POST',
          url: '/lessons/999',
          headers: auth,
          payload: { status: 'x' },
        })
      ).json(),
    ).toMatchObject({ error: { code: 'LESSON_NOT_FOUND' } });
    expect(
      (await app.inject({ method: 'POST', url: '/lessons', payload: { lesson_type: 'x' } }))
        .statusCode,
    ).toBe(401);
    expect((await app.inject({ method: 'GET', url: '/lessons', headers: auth })).json()).toEqual({
      enabled: true,
      lessons: [],
    });
  });

  it('answers disabled when the lessons journal is switched off', async () => {
    const { app } = await server({ lessonsEnabled: false });
    expect((await app.inject({ method: 'GET', url: '/lessons', headers: auth })).json()).toEqual({
      enabled: false,
      lessons: [],
    });
    expect(
      (
        await app.inject({
          method: 'POST',
          url: '/lessons',
          headers: auth,
          payload: { lesson_type: 'x' },
        })
      ).json(),
    ).toEqual({ enabled: false });
  });

  it('escalates a bug-track task to the full track while in analysis, idempotently', async () => {
    const { env, app } = await server();
    const item = await env.tracker.createItem('ET', { title: 'Crash' });
    const { task } = await intake(
      env.core,
      env.workspace,
      env.project,
      { trackerItemId: item.ref.itemId, title: 'Crash', description: '', track: 'bug' },
      silentLogger,
    );
    const first = await app.inject({
      method: 'POST',
      url: `/bug-fast-track/escalate?work_item=${task.workItemId}`,
      headers: auth,
    });
    expect(first.json()).toEqual({
      ok: true,
      work_item: task.workItemId,
      track: 'full',
      was: 'bug',
    });
    expect(
      (
        await app.inject({
          method: 'POST',
          url: `/bug-fast-track/escalate?work_item=${task.workItemId}`,
          headers: auth,
        })
      ).json(),
    ).toMatchObject({ was: 'full' });
    // Now the approved analysis leads to architecture, not straight to development.
    await env.agent(task.id, 'analyst', ANALYSIS(env));
    expect(await env.pipeline.approve(task.id, 'alice')).toMatchObject({
      kind: 'advanced',
      to: 'architecture',
    });
    const unknown = await app.inject({
      method: 'POST',
      url: '/bug-fast-track/escalate?work_item=ET-999',
      headers: auth,
    });
    expect(unknown.statusCode).toBe(404);
    expect(
      (await app.inject({ method: 'POST', url: '/bug-fast-track/escalate', headers: auth }))
        .statusCode,
    ).toBe(400);
  });

  it('refuses to escalate a bug-track task that has left analysis', async () => {
    const { env, app } = await server();
    const item = await env.tracker.createItem('ET', { title: 'Crash' });
    const { task } = await intake(
      env.core,
      env.workspace,
      env.project,
      { trackerItemId: item.ref.itemId, title: 'Crash', description: '', track: 'bug' },
      silentLogger,
    );
    await env.agent(task.id, 'analyst', ANALYSIS(env));
    await env.pipeline.approve(task.id, 'alice');
    const res = await app.inject({
      method: 'POST',
      url: `/bug-fast-track/escalate?work_item=${task.workItemId}`,
      headers: auth,
    });
    expect(res.statusCode).toBe(409);
    expect(res.json()).toMatchObject({ error: { code: 'INVALID_TRANSITION' } });
  });
});
