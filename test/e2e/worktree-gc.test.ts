import { execFileSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { serverForRuntime } from '../../src/http/runtime-server.js';
import type { Task } from '../../src/pipeline/task.js';
import type { Runtime } from '../../src/runtime.js';
import { describeEachDialect } from '../helpers/test-db.js';
import {
  drive,
  fileItem,
  matrixRuntime,
  remoteHead,
  type Scenario,
} from './failure-matrix-harness.js';

/**
 * Worktree garbage collection (issue 17) with real agents and real git: a finished item's
 * worktree and local branch go after the retention, the branch stays on the forge, an unfinished
 * item's worktree and a finished item with a live job are never touched, and the `worktrees`
 * block of /queue shows what is left and what was freed.
 */
const project: Scenario = {
  key: 'WG',
  scenario: {},
  labels: { tracks: { quick: 'quick' }, autoApprove: ['quick'] },
  tracks: { quick: ['created', 'analysis', 'development', 'done'] },
};

const localBranches = (clone: string) =>
  execFileSync('git', ['branch', '--format=%(refname:short)'], { cwd: clone, encoding: 'utf8' })
    .split('\n')
    .filter(Boolean);

async function worktreeOf(rt: Runtime, t: Task) {
  const project = rt.projects.get(t.projectKey);
  return rt.workspace.ensure(t, project);
}

describeEachDialect('worktree garbage collection', ({ current }) => {
  it('removes finished items after the retention, never unfinished or busy ones', async () => {
    const { rt } = await matrixRuntime(current().url, [project], {
      env: { ORCH_WORKTREE_RETENTION_S: '0', ORCH_ADMIN_TOKEN: 'gc-admin-token' },
    });
    try {
      await rt.start({ daemons: false });
      const done = await fileItem(rt, 'WG', ['quick']);
      const busy = await fileItem(rt, 'WG', ['quick']);
      await drive(rt, [done.id, busy.id], (t) => t.state === 'done', 240_000);
      const open = await fileItem(rt, 'WG'); // full track: waits for approval after analysis
      while ((await rt.tasks.get(open.id))!.state !== 'awaiting_approval')
        await new Promise((r) => setTimeout(r, 200));
      const doneTree = await worktreeOf(rt, done);
      const busyTree = await worktreeOf(rt, busy);
      const openTree = await worktreeOf(rt, open);
      writeFileSync(join(doneTree, 'scratch.txt'), 'an uncommitted leftover\n');
      // A finished item with a live job (a post-deploy probe, say) is left alone.
      await rt.queue.enqueue({
        kind: 'pipeline.post_deploy',
        taskId: busy.id,
        availableAtMs: Date.now() + 3_600_000,
      });
      const clone = join(rt.config.dataDir, 'repos', 'wg');
      expect(localBranches(clone)).toContain(done.branch);

      const pass = await rt.worktreeGc.runOnce();
      expect(pass.removed.map((r) => r.workItemId)).toEqual([done.workItemId]);
      expect(pass.removed[0]!.bytes).toBeGreaterThan(0);
      expect(existsSync(doneTree)).toBe(false);
      expect(localBranches(clone)).not.toContain(done.branch);
      expect(remoteHead(rt, 'wg', done.branch)).not.toBeNull(); // the forge keeps the branch
      expect(existsSync(busyTree)).toBe(true);
      expect(existsSync(openTree)).toBe(true);

      const app = serverForRuntime(rt);
      const res = await app.inject({
        method: 'GET',
        url: '/queue',
        headers: { authorization: 'Bearer gc-admin-token' },
      });
      const block = res.json<{ worktrees: Record<string, unknown> }>().worktrees;
      expect(block).toMatchObject({
        enabled: true,
        retention_s: 0,
        count: 2,
        removed_total: 1,
        bytes_freed_total: pass.removed[0]!.bytes,
      });
      expect(block.bytes as number).toBeGreaterThan(0);
      await app.close();

      // A second pass finds nothing new; the dashboard can still recreate the removed worktree.
      expect((await rt.worktreeGc.runOnce()).removed).toEqual([]);
      expect(existsSync(await worktreeOf(rt, done))).toBe(true);
    } finally {
      await rt.stop();
    }
  }, 300_000);

  it('keeps finished worktrees within the retention and when switched off', async () => {
    for (const env of [
      { ORCH_WORKTREE_RETENTION_S: '3600' },
      { ORCH_WORKTREE_RETENTION_S: '0', ORCH_WORKTREE_GC_ENABLED: 'false' },
    ]) {
      const { rt } = await matrixRuntime(current().url, [project], { env });
      try {
        await rt.start({ daemons: false });
        const t = await fileItem(rt, 'WG', ['quick']);
        await drive(rt, [t.id], (x) => x.state === 'done', 240_000);
        const tree = await worktreeOf(rt, t);
        expect((await rt.worktreeGc.runOnce()).removed).toEqual([]);
        expect(existsSync(tree)).toBe(true);
        expect(rt.worktreeGc.status().count).toBe(1);
      } finally {
        await rt.stop();
      }
    }
  }, 300_000);
});
