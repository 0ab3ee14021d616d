import { expect, it } from 'vitest';
import { serverForRuntime } from '../../src/http/runtime-server.js';
import { freezeRepo, serialGateSnapshot, unfreezeRepo } from '../../src/pipeline/serial-gate.js';
import type { Task } from '../../src/pipeline/task.js';
import type { Runtime } from '../../src/runtime.js';
import { describeEachDialect } from '../helpers/test-db.js';
import {
  deliverOutbox,
  APPROVER,
  fileItem,
  matrixRuntime,
  type Scenario,
  waitForTask,
} from './failure-matrix-harness.js';

/**
 * Serial gate per repository (issue 16, ORCH-088) with real scripted agents and real git: two
 * items of one serial repository run one after the other; a frozen repository starts nothing new
 * until it is unfrozen (CLI/HTTP path), and the `serial_gate` block of /queue shows it all.
 */
const QUICK = ['created', 'analysis', 'development', 'done'];
const project = (key: string, serial?: number): Scenario => ({
  key,
  scenario: {},
  labels: { tracks: { quick: 'quick' }, autoApprove: [] },
  tracks: { quick: QUICK },
  ...(serial !== undefined && { serial }),
});

const approve = (rt: Runtime, t: Task) =>
  rt.pipeline.onComment(t.id, { body: ':approved:', authorIds: [APPROVER] });

async function eventsOf(rt: Runtime, id: number) {
  return rt.db.all<{ type: string; message: string; at_ms: number | string }>(
    `select type, message, at_ms from task_events where task_id = $1 order by id`,
    [id],
  );
}

describeEachDialect('serial gate', ({ current }) => {
  it('runs two items of one serial repository one after the other, in filing order', async () => {
    const { rt } = await matrixRuntime(current().url, [project('SG', 1)]);
    try {
      const a = await fileItem(rt, 'SG', ['quick']);
      const b = await fileItem(rt, 'SG', ['quick']);
      await rt.start({ daemons: false });
      for (const t of [a, b]) await waitForTask(rt, t.id, (x) => x.state === 'awaiting_approval');

      expect((await approve(rt, a)).result.kind).toBe('advanced');
      const parked = await approve(rt, b);
      expect(parked.result).toMatchObject({ kind: 'waiting' });
      const waiting = (await rt.tasks.get(b.id))!;
      expect([waiting.stage, waiting.state]).toEqual(['analysis', 'waiting']);
      const waitEvent = (await eventsOf(rt, b.id)).find((e) => e.type === 'waiting')!;
      expect(waitEvent.message).toContain(`${a.workItemId} (development`);

      const snap = await serialGateSnapshot(rt.serialGate, rt.db, rt.projects.all());
      expect(snap.repos).toEqual([
        expect.objectContaining({
          repo: 'sg',
          limit: 1,
          active: [expect.objectContaining({ workItemId: a.workItemId })],
          waiting: [expect.objectContaining({ workItemId: b.workItemId })],
          frozen: null,
        }),
      ]);
      // The reconciler does not let it through while A holds the gate.
      await rt.recovery.reconciler.runOnce();
      expect((await rt.tasks.get(b.id))!.state).toBe('waiting');

      await waitForTask(rt, a.id, (x) => x.state === 'done');
      const bDone = await waitForTask(rt, b.id, (x) => x.state === 'done');
      expect(bDone.stage).toBe('done');
      const aDoneAt = Number(
        (await eventsOf(rt, a.id)).find((e) => e.message.endsWith('→ done'))!.at_ms,
      );
      const started = (await eventsOf(rt, b.id)).find((e) =>
        e.message.includes('serial gate open'),
      )!;
      expect(Number(started.at_ms)).toBeGreaterThanOrEqual(aDoneAt);
      const developers = await rt.admin.list({ taskId: b.id, kind: 'developer' });
      expect(developers.every((j) => (j.createdAtMs ?? 0) >= aDoneAt)).toBe(true);
      await deliverOutbox(rt);
      const comments = (await rt.tracker.listComments({ projectId: 'SG', itemId: b.trackerItemId }))
        .map((c) => c.body)
        .join('\n');
      expect(comments).toContain('waits for its turn');
    } finally {
      await rt.stop();
    }
  }, 240_000);

  it('a frozen repository starts nothing new until it is unfrozen', async () => {
    const { rt, notifier } = await matrixRuntime(current().url, [project('FZ')], {
      env: { ORCH_ADMIN_TOKEN: 'serial-gate-admin-token' },
    });
    try {
      const app = serverForRuntime(rt);
      const auth = { authorization: 'Bearer serial-gate-admin-token' };
      const frozen = await app.inject({
        method: 'POST',
        url: '/serial-gate/freeze?repo=fz&reason=staging%20is%20down',
        headers: auth,
      });
      expect(frozen.statusCode).toBe(200);
      expect(frozen.json()).toMatchObject({ ok: true, repo: 'fz', frozen: true, created: true });
      // Idempotent.
      expect((await freezeRepo(rt, 'fz', { reason: 'again', by: 'bob' })).created).toBe(false);
      // A repository no project uses is a 404, and freezes nothing.
      const typo = await app.inject({
        method: 'POST',
        url: '/serial-gate/freeze?repo=FZ',
        headers: auth,
      });
      expect([typo.statusCode, typo.json<{ error: { code: string } }>().error.code]).toEqual([
        404,
        'REPO_NOT_FOUND',
      ]);

      const c = await fileItem(rt, 'FZ', ['quick']);
      await rt.start({ daemons: false });
      await waitForTask(rt, c.id, (x) => x.state === 'awaiting_approval');
      const r = await approve(rt, c);
      expect(r.result).toMatchObject({ kind: 'waiting' });
      expect((r.result as { reason: string }).reason).toContain('frozen');
      await rt.recovery.reconciler.runOnce();
      expect((await rt.tasks.get(c.id))!.state).toBe('waiting');
      expect(await rt.admin.list({ taskId: c.id, kind: 'developer' })).toEqual([]);

      const queue = await app.inject({ method: 'GET', url: '/queue', headers: auth });
      const block = queue.json<{
        serial_gate: {
          repos: { repo: string; frozen: { reason: string }; waiting: { workItemId: string }[] }[];
        };
      }>().serial_gate;
      expect(block.repos.map((r) => r.repo)).toEqual(['fz']);
      expect(block.repos[0]!.frozen.reason).toBe('staging is down');
      expect(block.repos[0]!.waiting.map((w) => w.workItemId)).toEqual([c.workItemId]);

      const bad = await app.inject({ method: 'POST', url: '/serial-gate/unfreeze', headers: auth });
      expect(bad.statusCode).toBe(400);
      const un = await app.inject({
        method: 'POST',
        url: '/serial-gate/unfreeze?repo=fz',
        headers: auth,
      });
      expect(un.json()).toEqual({ ok: true, repo: 'fz', cleared: 1, frozen: false, started: 1 });
      expect(await unfreezeRepo(rt, 'fz', 'bob')).toMatchObject({ cleared: 0, started: 0 });
      await waitForTask(rt, c.id, (x) => x.state === 'done');
      expect(notifier.ofType('repo_freeze').map((e) => e.frozen)).toEqual([true, false]);
      await app.close();
    } finally {
      await rt.stop();
    }
  }, 240_000);

  it('switched off, waiting items start and nothing waits', async () => {
    const { rt } = await matrixRuntime(current().url, [project('OF', 1)], {
      env: { ORCH_SERIAL_GATE_ENABLED: 'false' },
    });
    try {
      await freezeRepo(rt, 'of', { reason: 'ignored while switched off', by: 'bob' });
      const a = await fileItem(rt, 'OF', ['quick']);
      const b = await fileItem(rt, 'OF', ['quick']);
      await rt.start({ daemons: false });
      for (const t of [a, b]) await waitForTask(rt, t.id, (x) => x.state === 'awaiting_approval');
      expect((await approve(rt, a)).result.kind).toBe('advanced');
      expect((await approve(rt, b)).result.kind).toBe('advanced');
    } finally {
      await rt.stop();
    }
  }, 240_000);
});
