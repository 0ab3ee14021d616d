import { afterEach, expect, it } from 'vitest';
import { serverForRuntime } from '../../src/http/runtime-server.js';
import type { Runtime } from '../../src/runtime.js';
import { describeEachDialect } from '../helpers/test-db.js';
import { fileItem, matrixRuntime } from './failure-matrix-harness.js';

/**
 * Concurrency caps (issue 18) on a real runtime: `agents.roles.<role>.maxConcurrent` and a
 * project's `maxConcurrent` reach the local worker, which leaves a capped project's second job
 * queued, and `/queue` shows the caps with the worker's running counts in its `concurrency` block.
 */
describeEachDialect('concurrency caps on a runtime', ({ current }) => {
  let rt: Runtime | undefined;
  afterEach(async () => {
    await rt?.worker.whenIdle();
    await rt?.stop();
    rt = undefined;
  });

  it('holds a project at its cap and shows the caps and running counts in /queue', async () => {
    const setup = await matrixRuntime(
      current().url,
      [
        { key: 'CA', scenario: {}, maxConcurrent: 1 },
        { key: 'CB', scenario: {} },
      ],
      {
        env: { ORCH_ADMIN_TOKEN: 'caps-admin-token' },
        agents: {
          defaults: { adapter: 'scripted', timeoutS: 20, idleTimeoutS: 12, killGraceS: 1 },
          roles: { developer: { maxConcurrent: 2 } },
        },
      },
    );
    rt = setup.rt;
    const items = [await fileItem(rt, 'CA'), await fileItem(rt, 'CA'), await fileItem(rt, 'CB')];
    const jobs = await rt.admin.list({ status: 'queued', limit: 10 });
    for (const j of jobs) await rt.queue.release(j.id); // the intake hold is not what is tested

    const tick = await rt.worker.runOnce();
    const byTask = (taskId: number) => tick.claimed.filter((j) => j.taskId === taskId);
    expect(tick.claimed).toHaveLength(2);
    expect(byTask(items[0]!.id)).toHaveLength(1);
    expect(byTask(items[2]!.id)).toHaveLength(1);
    // Read at once: the runs need process and git I/O before any can finish.
    expect(rt.worker.concurrency()).toMatchObject({
      running: 2,
      per_role: { analyst: { cap: null, running: 2 }, developer: { cap: 2, running: 0 } },
      per_project: { CA: { cap: 1, running: 1 }, CB: { cap: null, running: 1 } },
    });
    const [held] = await rt.admin.list({ taskId: items[1]!.id, status: 'queued', limit: 1 });
    expect(held).toMatchObject({ attempts: 0 });

    const app = serverForRuntime(rt);
    const res = await app.inject({
      method: 'GET',
      url: '/queue',
      headers: { authorization: 'Bearer caps-admin-token' },
    });
    await app.close();
    expect(res.statusCode).toBe(200);
    const block = res.json<{ concurrency: Record<string, unknown> }>().concurrency;
    expect(block).toMatchObject({
      max: 6,
      per_role: { developer: { cap: 2 } },
      per_project: { CA: { cap: 1 } },
    });
    // Counts are the worker's own: at most what it claimed, never above a cap.
    const perProject = block.per_project as Record<string, { running: number }>;
    expect(perProject.CA!.running).toBeLessThanOrEqual(1);
    expect(block.running).toBeLessThanOrEqual(2);
  });
});
