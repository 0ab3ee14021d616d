import { expect, it } from 'vitest';
import { serverForRuntime } from '../../src/http/runtime-server.js';
import { AgentRunStore } from '../../src/store/agent-runs/agent-run-store.js';
import { describeEachDialect } from '../helpers/test-db.js';
import { drive, fileItem, matrixRuntime, type Scenario } from './failure-matrix-harness.js';

/**
 * The housekeeping and verification blocks of /queue (issue 17) on a real runtime: a bug-labelled
 * item walks the short track through the merge gate to done, and /queue shows what it did —
 * `merge_verify` (the merge gate's verdict), `bug_fast_track` (one architecture stage skipped),
 * `disk_monitor` (the data directory's file system), `fs_ownership` (the start-up walk) — and an
 * agent run orphaned by an earlier crash is announced through the notifier at start-up.
 */
const project: Scenario = {
  key: 'SB',
  scenario: {},
  labels: { tracks: { bug: 'bug' }, autoApprove: ['bug'] },
};

describeEachDialect('status blocks of /queue', ({ current }) => {
  it('shows the merge verdicts, the skipped architecture stages, the disks and the ownership walk', async () => {
    const { rt, notifier, dataDir } = await matrixRuntime(current().url, [project], {
      env: { ORCH_ADMIN_TOKEN: 'blocks-admin-token' },
    });
    try {
      // An agent run left unfinished two hours ago by a crashed Orch.
      const { job } = await rt.queue.enqueue({
        kind: 'agent.developer',
        availableAtMs: Date.now() + 3_600_000,
      });
      const orphan = await new AgentRunStore(rt.db).create({
        jobId: job.id,
        taskId: null,
        attempt: 1,
        kind: 'developer',
        adapter: 'scripted',
        startedAtMs: Date.now() - 2 * 3_600_000,
      });
      await rt.start({ daemons: false });
      expect(notifier.ofType('orphan_runs')).toEqual([
        { type: 'orphan_runs', count: 1, runIds: [orphan.id] },
      ]);

      const bug = await fileItem(rt, 'SB', ['bug']);
      await drive(rt, [bug.id], (t) => t.state === 'done', 240_000);
      await rt.diskMonitor.runOnce();

      const app = serverForRuntime(rt);
      const res = await app.inject({
        method: 'GET',
        url: '/queue',
        headers: { authorization: 'Bearer blocks-admin-token' },
      });
      await app.close();
      expect(res.statusCode).toBe(200);
      const q = res.json<Record<string, Record<string, unknown>>>();

      expect(q.merge_verify).toMatchObject({ passed: 1, failed: 0, held: [] });
      expect(q.merge_verify!.recent).toMatchObject([{ workItemId: bug.workItemId, passed: true }]);

      expect(q.bug_fast_track).toEqual({
        tracks: { SB: ['bug'] },
        items: 1,
        active: 0,
        architectureSkipped: 1,
        escalated: 0,
      });

      expect(q.disk_monitor).toMatchObject({ enabled: true, alert_percent: 90, alerts_total: 0 });
      const paths = q.disk_monitor!.paths as { path: string; totalBytes: number; error?: string }[];
      expect(paths.map((p) => p.path)).toEqual([dataDir]);
      expect(paths[0]!.error).toBeUndefined();
      expect(paths[0]!.totalBytes).toBeGreaterThan(0);

      expect(q.fs_ownership).toMatchObject({
        enabled: true,
        uid: process.getuid!(),
        foreign: 0,
        fix: null,
      });
      expect(q.fs_ownership!.scanned as number).toBeGreaterThan(0);
      expect(q.fs_ownership!.checkedAtMs).not.toBeNull();
    } finally {
      await rt.stop();
    }
  }, 300_000);
});
