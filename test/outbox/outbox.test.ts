import { expect, it } from 'vitest';
import { isOrchError } from '../../src/errors.js';
import { PlaneClient } from '../../src/integrations/plane/plane-client.js';
import { silentLogger } from '../../src/log.js';
import { OutboxStore } from '../../src/store/outbox/outbox-store.js';
import { OutboxWorker } from '../../src/outbox/outbox-worker.js';
import { effectDeliverer, effectEntries, type Effect } from '../../src/pipeline/effects.js';
import { ProjectRegistry, type Project } from '../../src/pipeline/project.js';
import type { Task } from '../../src/pipeline/task.js';
import type { Db } from '../../src/store/db.js';
import { PLANE_PROJECT_ID, TEST_PROJECTS } from '../integrations/intake-setup.js';
import { pipelineEnv } from '../helpers/pipeline-env.js';
import { PlaneStub } from '../helpers/stubs/plane-stub.js';
import { describeEachDialect } from '../helpers/test-db.js';

type Env = Awaited<ReturnType<typeof pipelineEnv>>;

const outboxRows = (db: Db, taskId: number) =>
  db.all<{ id: number; kind: string; delivered_at_ms: number | null; dead_at_ms: number | null }>(
    'select id, kind, delivered_at_ms, dead_at_ms from outbox where task_id = $1 order by id',
    [taskId],
  );

/** The env's task, re-pointed at a work item in the Plane stub (tracker = the real PlaneClient). */
async function onPlane(env: Env, stub: PlaneStub) {
  const states = stub.addProject(PLANE_PROJECT_ID);
  const item = stub.addItem({
    projectId: PLANE_PROJECT_ID,
    name: 'Export GPX',
    descriptionHtml: '<p>GPX</p>',
    stateId: states[0]!.id,
    labels: [],
  });
  const plane = new PlaneClient({
    baseUrl: stub.url,
    apiToken: stub.apiKey,
    clock: env.clock,
    projects: TEST_PROJECTS,
    botUserId: stub.userId,
  });
  const project: Project = { ...env.project, key: 'PL', tracker: plane };
  const { task } = await env.newItem();
  const planeTask: Task = {
    ...task,
    projectKey: 'PL',
    trackerProjectId: PLANE_PROJECT_ID,
    trackerItemId: item.id,
  };
  const worker = (maxAttempts = 10) =>
    new OutboxWorker({
      store: new OutboxStore(env.queue.db),
      deliver: effectDeliverer({
        projects: new ProjectRegistry([env.project, project]),
        notifier: env.notifier,
        log: silentLogger,
      }),
      clock: env.clock,
      log: silentLogger,
      enabled: () => true,
      retry: { maxAttempts, baseMs: 1000, capMs: 60_000 },
    });
  const add = (effects: Effect[]) =>
    env.outbox.add(env.queue.db, effectEntries(planeTask, effects, []), env.clock.now());
  const comments = () => stub.requestsTo('POST', /\/comments\/$/);
  const posted = () => stub.comments.filter((c) => c.issueId === item.id).map((c) => c.commentHtml);
  return { planeTask, worker, add, comments, posted };
}

describeEachDialect('transactional outbox', ({ current }) => {
  it('writes a change’s effects in the change’s transaction and delivers nothing before the worker runs', async () => {
    const env = await pipelineEnv(current().db);
    const { task } = await env.newItem();
    await env.effects();
    const before = env.notifier.events.length;
    expect((await env.core.block(task, 'no way forward')).kind).toBe('blocked');
    const pending = await outboxRows(current().db, task.id);
    expect(pending.filter((r) => r.delivered_at_ms === null).map((r) => r.kind)).toEqual([
      'tracker_state',
      'comment',
      'notify',
    ]);
    expect(env.notifier.events.length).toBe(before);
    await env.effects();
    expect(env.notifier.ofType('task_blocked').map((e) => e.message)).toEqual(['no way forward']);
    const comments = await env.tracker.listComments({
      projectId: 'ET',
      itemId: task.trackerItemId,
    });
    expect(comments.at(-1)?.body).toBe('⛔ Blocked: no way forward');
  });

  it('leaves no effect behind when the change’s transaction rolls back', async () => {
    const env = await pipelineEnv(current().db);
    const { task } = await env.newItem();
    await env.effects();
    const rowsBefore = (await outboxRows(current().db, task.id)).length;
    // A fractional re-check delay is rejected by the queue after the effects were written.
    const failed = await env.core
      .apply(task, {
        guard: { stage: task.stage },
        set: { state: 'blocked', lastError: 'x' },
        event: { type: 'blocked', message: 'x' },
        effects: [{ kind: 'comment', author: 'orch', body: 'must never be sent' }],
        recheckAfterMs: 0.5,
      })
      .catch((e: unknown) => e);
    expect(isOrchError(failed, 'INVALID_AVAILABLE_AT')).toBe(true);
    expect((await outboxRows(current().db, task.id)).length).toBe(rowsBefore);
    expect((await env.task(task.id)).state).toBe('active');
    await env.effects();
    const comments = await env.tracker.listComments({
      projectId: 'ET',
      itemId: task.trackerItemId,
    });
    expect(comments.map((c) => c.body)).not.toContain('must never be sent');
  });

  it('retries a comment the tracker refused with 503, with backoff, and then delivers it once', async () => {
    const env = await pipelineEnv(current().db);
    const stub = await new PlaneStub().start();
    try {
      const p = await onPlane(env, stub);
      const worker = p.worker();
      await p.add([{ kind: 'comment', author: 'orch', body: 'hello from the outbox' }]);
      stub.failNext({ status: 503, body: {} }, (r) => r.method === 'POST');
      stub.failNext({ status: 503, body: {} }, (r) => r.method === 'POST');
      await worker.runOnce();
      expect(await worker.status()).toMatchObject({
        pending: 1,
        retrying: 1,
        failed_attempts_total: 1,
      });
      await worker.runOnce(); // backing off: nothing due yet
      expect(p.comments()).toHaveLength(1);
      env.clock.advance(1000);
      await worker.runOnce();
      expect(p.comments()).toHaveLength(2);
      env.clock.advance(2000);
      await worker.runOnce();
      const posted = p.comments();
      expect(posted).toHaveLength(3);
      expect(p.posted()).toEqual([expect.stringContaining('hello from the outbox')]);
      expect(await worker.status()).toMatchObject({ pending: 0, retrying: 0, dead: 0 });
    } finally {
      await stub.close();
    }
  });

  it('delivers one task’s effects in order: a failing first effect holds back the later ones, not other tasks’', async () => {
    const env = await pipelineEnv(current().db);
    const stub = await new PlaneStub().start();
    try {
      const p = await onPlane(env, stub);
      const worker = p.worker();
      await p.add([
        { kind: 'comment', author: 'orch', body: 'first' },
        { kind: 'notify', event: { type: 'pipeline_warning', message: 'second' } },
        { kind: 'comment', author: 'orch', body: 'third' },
      ]);
      const { task: other } = await env.newItem('Another item');
      await env.core.block(other, 'other task');
      stub.failNext({ status: 503, body: {} }, (r) => r.method === 'POST');
      await worker.runOnce();
      expect(env.notifier.ofType('pipeline_warning')).toHaveLength(0);
      expect(env.notifier.ofType('task_blocked').map((e) => e.message)).toEqual(['other task']);
      env.clock.advance(1000);
      await worker.runOnce();
      expect(env.notifier.ofType('pipeline_warning').map((e) => e.message)).toEqual(['second']);
      expect(p.posted()).toEqual([
        expect.stringContaining('first'),
        expect.stringContaining('third'),
      ]);
    } finally {
      await stub.close();
    }
  });

  it('marks an effect dead after the retry cap, counts it, and lets the task’s later effects go', async () => {
    const env = await pipelineEnv(current().db);
    const stub = await new PlaneStub().start();
    try {
      const p = await onPlane(env, stub);
      const worker = p.worker(2);
      await p.add([
        { kind: 'comment', author: 'orch', body: 'doomed' },
        { kind: 'notify', event: { type: 'pipeline_warning', message: 'after the dead one' } },
      ]);
      stub.failNext({ status: 503, body: {} }, (r) => r.method === 'POST');
      stub.failNext({ status: 503, body: {} }, (r) => r.method === 'POST');
      await worker.runOnce();
      env.clock.advance(1000);
      await worker.runOnce();
      const rows = await outboxRows(current().db, p.planeTask.id);
      const doomed = rows.find((r) => r.kind === 'comment' && r.dead_at_ms !== null);
      expect(doomed).toBeDefined();
      expect(env.notifier.ofType('pipeline_warning').map((e) => e.message)).toEqual([
        'after the dead one',
      ]);
      expect(await worker.status()).toMatchObject({ dead: 1, dead_total: 1, pending: 0 });
    } finally {
      await stub.close();
    }
  });

  it('gives a crashed deliverer’s claimed row to another worker once the claim lease expires', async () => {
    const env = await pipelineEnv(current().db);
    const { task } = await env.newItem();
    await env.effects();
    await env.core.block(task, 'claimed then crashed');
    const store = new OutboxStore(current().db);
    // A deliverer claims the head row and dies without marking it.
    const claimed = await store.claim({ nowMs: env.clock.now(), max: 10, claimMs: 60_000 });
    expect(claimed.map((r) => r.kind)).toEqual(['tracker_state']);
    await env.effects();
    expect(env.notifier.ofType('task_blocked')).toHaveLength(0);
    env.clock.advance(60_000);
    await env.effects();
    expect(env.notifier.ofType('task_blocked')).toHaveLength(1);
    expect(await store.delivered(claimed[0]!, env.clock.now())).toBe(false);
  });

  it('delivers each row exactly once when two workers race on one database', async () => {
    const env = await pipelineEnv(current().db);
    const tasks = [];
    for (let i = 0; i < 4; i++) tasks.push((await env.newItem(`Item ${i}`)).task);
    for (const t of tasks) await env.core.block(t, `blocked ${t.workItemId}`);
    const second = new OutboxWorker({
      store: new OutboxStore(current().db),
      deliver: effectDeliverer({
        projects: new ProjectRegistry([env.project]),
        notifier: env.notifier,
        log: silentLogger,
      }),
      clock: env.clock,
      log: silentLogger,
      enabled: () => true,
    });
    await Promise.all([env.effects(), second.runOnce(), env.effects(), second.runOnce()]);
    const blocked = env.notifier.ofType('task_blocked').map((e) => e.message);
    expect(blocked.sort()).toEqual(tasks.map((t) => `blocked ${t.workItemId}`).sort());
    for (const t of tasks) {
      const comments = await env.tracker.listComments({ projectId: 'ET', itemId: t.trackerItemId });
      expect(comments.filter((c) => c.body.startsWith('⛔'))).toHaveLength(1);
    }
  });

  it('holds every effect while the kill-switch is off and delivers them when it is back on', async () => {
    const env = await pipelineEnv(current().db);
    const { task } = await env.newItem();
    let enabled = false;
    const worker = new OutboxWorker({
      store: new OutboxStore(current().db),
      deliver: effectDeliverer({
        projects: new ProjectRegistry([env.project]),
        notifier: env.notifier,
        log: silentLogger,
      }),
      clock: env.clock,
      log: silentLogger,
      enabled: () => enabled,
    });
    await env.core.block(task, 'while paused');
    expect(await worker.runOnce()).toBe(0);
    expect(await worker.status()).toMatchObject({ enabled: false, pending: 5 });
    enabled = true;
    await worker.runOnce();
    expect(env.notifier.ofType('task_blocked')).toHaveLength(1);
    expect(await worker.status()).toMatchObject({ pending: 0 });
  });
});
