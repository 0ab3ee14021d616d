import { expect, it } from 'vitest';
import type { Runtime } from '../../src/runtime.js';
import type { Task } from '../../src/pipeline/task.js';
import { describeEachDialect } from '../helpers/test-db.js';
import {
  deliverOutbox,
  drive,
  fileItem,
  matrixRuntime,
  type Scenario,
} from './failure-matrix-harness.js';

/**
 * The usage comment (issue 17): after every agent run of an item — a crashed one included — the
 * tracker gets a comment with the run's tokens, cost and time and the item's running total, and
 * the timeline an `agent_usage` entry; `ORCH_USAGE_COMMENTS_ENABLED=false` posts none.
 */
const project = (key: string): Scenario => ({
  key,
  scenario: { developer: 'crash_once' },
  labels: { tracks: { quick: 'quick' }, autoApprove: ['quick'] },
  tracks: { quick: ['created', 'analysis', 'development', 'done'] },
});

async function usageOf(rt: Runtime, t: Task) {
  await deliverOutbox(rt);
  const comments = await rt.projects
    .get(t.projectKey)
    .tracker.listComments({ projectId: t.projectKey, itemId: t.trackerItemId });
  const runs = await rt.db.all<{ id: number; cost_usd: number | string | null; outcome: string }>(
    'select id, cost_usd, outcome from agent_runs where task_id = $1 and finished_at_ms is not null order by id',
    [t.id],
  );
  const events = await rt.db.all<{ message: string }>(
    "select message from task_events where task_id = $1 and type = 'agent_usage' order by id",
    [t.id],
  );
  return { usage: comments.filter((c) => c.body.startsWith('📊')), runs, events };
}

describeEachDialect('usage comments', ({ current }) => {
  it('comments every run with its spend and the running total, failed runs included', async () => {
    const { rt } = await matrixRuntime(current().url, [project('UC')]);
    try {
      await rt.start({ daemons: false });
      const t = await fileItem(rt, 'UC', ['quick']);
      await drive(rt, [t.id], (x) => x.state === 'done', 240_000);
      const { usage, runs, events } = await usageOf(rt, t);
      // analyst, developer (crashed), developer (retried): three runs, three comments.
      expect(runs.map((r) => r.outcome)).toEqual(['success', 'permanent', 'success']);
      expect(usage).toHaveLength(3);
      expect(events).toHaveLength(3);
      expect(usage.every((c) => c.byOrch)).toBe(true);
      expect(usage[0]!.body).toMatch(
        /^📊 UC-\d+: analyst run \d+ \(attempt 1, success\) — [\d,]+ in \/ [\d,]+ out tokens, \$/,
      );
      expect(usage[1]!.body).toMatch(/developer run \d+ \(attempt 1, permanent\)/);
      expect(usage[2]!.body).toContain('Item so far: 3 runs,');
      // The running total is the sum of the runs' costs as the store has them.
      const sum = runs.reduce((s, r) => s + Number(r.cost_usd ?? 0), 0);
      const shown = /Item so far: 3 runs, [\d,]+ tokens, \$([\d.]+),/.exec(usage[2]!.body)![1]!;
      expect(Number(shown)).toBeCloseTo(sum, sum < 1 ? 4 : 2);
    } finally {
      await rt.stop();
    }
  }, 300_000);

  it('posts nothing when switched off', async () => {
    const { rt } = await matrixRuntime(current().url, [project('UO')], {
      env: { ORCH_USAGE_COMMENTS_ENABLED: 'false' },
    });
    try {
      await rt.start({ daemons: false });
      const t = await fileItem(rt, 'UO', ['quick']);
      await drive(rt, [t.id], (x) => x.state === 'done', 240_000);
      const { usage, runs, events } = await usageOf(rt, t);
      expect(runs.length).toBe(3);
      expect(usage).toEqual([]);
      expect(events).toEqual([]);
    } finally {
      await rt.stop();
    }
  }, 300_000);
});
