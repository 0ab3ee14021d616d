import { expect, it } from 'vitest';
import { describeEachDialect } from '../helpers/test-db.js';
import { drive, fileItem, matrixRuntime } from './failure-matrix-harness.js';

/**
 * An item whose merge gate found the repository's merge lease busy waits for it (a deferred
 * re-check), and is woken the moment the lease is freed, not after its re-check delay — which
 * here is 10 minutes, far longer than the test may take. Real scripted agents, real git.
 */
describeEachDialect('merge lease wake-up', ({ current }) => {
  it('merges a waiting item as soon as the busy merge lease is released', async () => {
    const { rt } = await matrixRuntime(current().url, [{ key: 'MW', scenario: {} }], {
      env: { ORCH_MERGE_DEFER_DELAY_S: '600' },
    });
    const other = { taskId: null, branch: 'feature/someone-else' };
    try {
      const item = await fileItem(rt, 'MW');
      // Another branch is merging into the same repository while this item gets there.
      const held = await rt.recovery.leases.acquire({ repo: 'mw', holder: other, ttlMs: 900_000 });
      expect(held.kind).toBe('acquired');
      await rt.start({ daemons: false });

      const busy = async () =>
        (await rt.tasks.events(item.id)).find(
          (e) => e.type === 'deferred' && e.message.includes('merge-lock busy'),
        );
      await drive(rt, [item.id], (t) => t.stage === 'deploy-staging', 120_000);
      const deadline = Date.now() + 60_000;
      while (!(await busy())) {
        if (Date.now() > deadline) throw new Error('the merge gate never found the lease busy');
        await new Promise((r) => setTimeout(r, 100));
      }
      expect((await busy())!.message).toContain('re-check in 600s');

      expect(await rt.recovery.leases.release('mw', other)).toBe(true);
      const done = await drive(rt, [item.id], (t) => t.state === 'done', 60_000);
      expect(done.get(item.id)).toMatchObject({ stage: 'done', state: 'done' });
      expect((await rt.forge.findPullRequest('mw', item.branch))?.merged).toBe(true);
    } finally {
      await rt.stop();
    }
  }, 240_000);
});
