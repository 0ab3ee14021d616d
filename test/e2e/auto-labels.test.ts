import { expect, it } from 'vitest';
import { readAutoLabelStats } from '../../src/store/flow-stats.js';
import { describeEachDialect } from '../helpers/test-db.js';
import {
  deliverOutbox,
  fileItem,
  matrixRuntime,
  type Scenario,
  waitForTask,
} from './failure-matrix-harness.js';

/**
 * Label auto-mode (issue 16, ORCH-089) with real scripted agents: a label routes an item to the
 * bug track, another to a project track that skips stages, another approves the analysis with no
 * human; with the kill-switch off, labels change nothing.
 */
const PROJECT: Scenario = {
  key: 'AL',
  scenario: {},
  labels: { tracks: { defect: 'bug', docs: 'docs' }, autoApprove: ['trivial'] },
  tracks: { docs: ['created', 'analysis', 'development', 'review', 'deploy', 'done'] },
};

describeEachDialect('label auto-mode', ({ current }) => {
  it('routes by label and auto-approves a labelled analysis; others wait for a human', async () => {
    const { rt, notifier } = await matrixRuntime(current().url, [PROJECT]);
    try {
      const defect = await fileItem(rt, 'AL', ['Defect']);
      const docs = await fileItem(rt, 'AL', ['docs', 'trivial']);
      const plain = await fileItem(rt, 'AL', ['ui']);
      expect([defect.track, docs.track, plain.track]).toEqual(['bug', 'docs', 'full']);
      await rt.start({ daemons: false });

      // The trivial one passes analysis with no approval and takes its track (no architecture).
      const auto = await waitForTask(rt, docs.id, (t) => t.stage === 'development');
      expect(auto.state).not.toBe('blocked');
      const events = await rt.db.all<{ type: string; message: string }>(
        `select type, message from task_events where task_id = $1 order by id`,
        [docs.id],
      );
      expect(events.map((e) => e.type)).toContain('auto_approved');
      const architects = await rt.admin.list({ taskId: docs.id, kind: 'architect' });
      expect(architects).toEqual([]);

      // The others wait at analysis for a person.
      for (const t of [defect, plain]) {
        expect((await waitForTask(rt, t.id, (x) => x.state === 'awaiting_approval')).stage).toBe(
          'analysis',
        );
      }
      await deliverOutbox(rt);
      expect(notifier.ofType('approval_requested')).toHaveLength(2);
      // The bug track skips architecture once a person approves.
      await rt.pipeline.onComment(defect.id, { body: ':approved:', authorIds: ['alice'] });
      expect((await rt.tasks.get(defect.id))!.stage).toBe('development');
      expect(await readAutoLabelStats(rt.db)).toEqual({ routed: 2, autoApproved: 1 });
    } finally {
      await rt.stop();
    }
  }, 240_000);

  it('changes nothing when label auto-mode is switched off', async () => {
    const { rt } = await matrixRuntime(current().url, [PROJECT], {
      env: { ORCH_AUTO_LABELS_ENABLED: 'false' },
    });
    try {
      const t = await fileItem(rt, 'AL', ['defect', 'trivial']);
      expect(t.track).toBe('full');
      await rt.start({ daemons: false });
      const after = await waitForTask(rt, t.id, (x) => x.state === 'awaiting_approval');
      expect(after.stage).toBe('analysis');
      expect(await readAutoLabelStats(rt.db)).toEqual({ routed: 0, autoApproved: 0 });
    } finally {
      await rt.stop();
    }
  }, 240_000);
});
