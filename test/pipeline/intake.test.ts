import { execFileSync } from 'node:child_process';
import { expect, it } from 'vitest';
import { silentLogger } from '../../src/log.js';
import { intake } from '../../src/pipeline/intake.js';
import { pipelineEnv } from '../helpers/pipeline-env.js';
import { describeEachDialect } from '../helpers/test-db.js';

describeEachDialect('intake', ({ current }) => {
  it('holds the analyst job until the branch and the business request are pushed', async () => {
    const env = await pipelineEnv(current().db);
    const claimable: number[] = [];
    const probe = async () =>
      claimable.push(
        (await env.queue.claim({ kinds: ['analyst'], leaseMs: 60_000, owner: 'racer' })).length,
      );
    // Intake's own git work, with a would-be analyst trying to start at every step of it.
    const workspace = new Proxy(env.workspace, {
      get(target, prop) {
        const v: unknown = Reflect.get(target, prop);
        if (typeof v !== 'function') return v;
        const fn = v as (...a: unknown[]) => Promise<unknown>;
        return async (...args: unknown[]) => {
          await probe();
          const out = await fn.apply(target, args);
          await probe();
          return out;
        };
      },
    });
    const item = await env.tracker.createItem('ET', { title: 'Race', description: 'd' });
    const { task, jobId } = await intake(
      env.core,
      workspace,
      env.project,
      { trackerItemId: item.ref.itemId, title: 'Race', description: 'the request' },
      silentLogger,
    );
    expect(claimable.length).toBeGreaterThanOrEqual(4);
    expect(claimable.every((n) => n === 0)).toBe(true);
    const [job] = await env.queue.claim({ kinds: ['analyst'], leaseMs: 60_000, owner: 'analyst' });
    expect(job?.id).toBe(jobId);
    const pushed = execFileSync(
      'git',
      ['show', `${task.branch}:docs/work-items/${task.workItemId}/00-business-request.md`],
      { cwd: env.forge.cloneUrl('demo'), encoding: 'utf8' },
    );
    expect(pushed).toContain('the request');
  });
});
