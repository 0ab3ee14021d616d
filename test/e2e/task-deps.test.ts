import { expect, it } from 'vitest';
import { isOrchError } from '../../src/errors.js';
import {
  addTaskDependencies,
  removeTaskDependencies,
  taskDepsSnapshot,
} from '../../src/pipeline/task-deps.js';
import type { Task } from '../../src/pipeline/task.js';
import type { Runtime } from '../../src/runtime.js';
import { describeEachDialect } from '../helpers/test-db.js';
import {
  APPROVER,
  fileItem,
  matrixRuntime,
  type Scenario,
  waitForTask,
} from './failure-matrix-harness.js';

/**
 * Task dependencies (issue 16, ORCH-026) with real scripted agents: an item waits after its
 * analysis until the item it depends on is done, then starts by itself; a cycle is refused when
 * declared by hand and reported on the items when it comes from the tracker.
 */
const PROJECT: Scenario = {
  key: 'TD',
  scenario: {},
  labels: { tracks: { quick: 'quick' }, autoApprove: [] },
  tracks: { quick: ['created', 'analysis', 'development', 'done'] },
};

const approve = (rt: Runtime, t: Task) =>
  rt.pipeline.onComment(t.id, { body: ':approved:', authorIds: [APPROVER] });

describeEachDialect('task dependencies', ({ current }) => {
  it('an item waits for its dependency to be done, then starts by itself', async () => {
    const { rt } = await matrixRuntime(current().url, [PROJECT]);
    try {
      const a = await fileItem(rt, 'TD', ['quick']);
      const b = await fileItem(rt, 'TD', ['quick']);
      const deps = await addTaskDependencies(rt.pipeline, b, [a.workItemId]);
      expect(deps.map((d) => d.dependsOnWorkItemId)).toEqual([a.workItemId]);
      const cycle = await addTaskDependencies(rt.pipeline, a, [b.workItemId]).catch(
        (e: unknown) => e,
      );
      expect(isOrchError(cycle, 'DEPENDENCY_CYCLE')).toBe(true);
      const self = await addTaskDependencies(rt.pipeline, a, [a.workItemId]).catch(
        (e: unknown) => e,
      );
      expect(isOrchError(self, 'DEPENDENCY_INVALID')).toBe(true);

      await rt.start({ daemons: false });
      for (const t of [a, b]) await waitForTask(rt, t.id, (x) => x.state === 'awaiting_approval');
      const held = await approve(rt, b);
      expect(held.result).toMatchObject({ kind: 'waiting' });
      expect((held.result as { reason: string }).reason).toBe(
        `depends on ${a.workItemId} (analysis, awaiting_approval)`,
      );
      expect((await taskDepsSnapshot(rt.pipeline)).unmet).toEqual([
        {
          workItem: b.workItemId,
          dependsOn: a.workItemId,
          state: 'awaiting_approval',
          source: 'cli',
        },
      ]);
      await rt.recovery.reconciler.runOnce();
      expect((await rt.tasks.get(b.id))!.state).toBe('waiting');

      expect((await approve(rt, a)).result.kind).toBe('advanced');
      await waitForTask(rt, a.id, (x) => x.state === 'done');
      const bDone = await waitForTask(rt, b.id, (x) => x.state === 'done');
      expect(bDone.stage).toBe('done');
      expect((await taskDepsSnapshot(rt.pipeline)).unmet).toEqual([]);
    } finally {
      await rt.stop();
    }
  }, 240_000);

  it('a cycle from the tracker is reported on the items; removing one edge lets one start', async () => {
    const { rt } = await matrixRuntime(current().url, [PROJECT]);
    try {
      const c = await fileItem(rt, 'TD', ['quick']);
      const d = await fileItem(rt, 'TD', ['quick']);
      // As a tracker's "blocked by" relations would set them (nothing refuses them there).
      const now = rt.clock.now();
      await rt.serialGate.repo.syncTrackerDependencies(c.id, [d.id], now);
      await rt.serialGate.repo.syncTrackerDependencies(d.id, [c.id], now);
      await rt.start({ daemons: false });
      for (const t of [c, d]) await waitForTask(rt, t.id, (x) => x.state === 'awaiting_approval');
      for (const t of [c, d]) {
        const r = await approve(rt, t);
        expect(r.result).toMatchObject({ kind: 'waiting' });
        expect((r.result as { reason: string }).reason).toContain('dependency cycle');
      }
      const snap = await taskDepsSnapshot(rt.pipeline);
      expect(snap.cycles).toHaveLength(1);
      expect(new Set(snap.cycles[0])).toEqual(new Set([c.workItemId, d.workItemId]));

      await removeTaskDependencies(rt.pipeline, d, [c.workItemId]);
      // D no longer waits for anything and starts; C still waits for D.
      await waitForTask(rt, d.id, (x) => x.state === 'done');
      await waitForTask(rt, c.id, (x) => x.state === 'done');
    } finally {
      await rt.stop();
    }
  }, 240_000);

  it('switched off, dependencies hold nothing', async () => {
    const { rt } = await matrixRuntime(current().url, [PROJECT], {
      env: { ORCH_TASK_DEPS_ENABLED: 'false' },
    });
    try {
      const a = await fileItem(rt, 'TD', ['quick']);
      const b = await fileItem(rt, 'TD', ['quick']);
      await addTaskDependencies(rt.pipeline, b, [a.workItemId]);
      await rt.start({ daemons: false });
      await waitForTask(rt, b.id, (x) => x.state === 'awaiting_approval');
      expect((await approve(rt, b)).result.kind).toBe('advanced');
    } finally {
      await rt.stop();
    }
  }, 240_000);
});
