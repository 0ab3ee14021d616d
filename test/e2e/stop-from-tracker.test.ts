import { execFileSync } from 'node:child_process';
import { expect, it } from 'vitest';
import type { Runtime } from '../../src/runtime.js';
import type { Task } from '../../src/pipeline/task.js';
import { readStopStats } from '../../src/store/flow-stats.js';
import { describeEachDialect } from '../helpers/test-db.js';
import {
  deliverOutbox,
  APPROVER,
  drive,
  fileItem,
  matrixRuntime,
  remoteHead,
} from './failure-matrix-harness.js';

/**
 * STOP from the tracker (issue 16, ORCH-090): an approver's `STOP` comment cancels a work item
 * while its developer agent is running — the agent process is stopped, and what it wrote is
 * neither committed nor pushed. A STOP from anyone else, or with STOP
 * switched off, changes nothing but is recorded.
 */
const AGENTS = {
  defaults: { adapter: 'scripted', timeoutS: 120, idleTimeoutS: 120, killGraceS: 1 },
  roles: {
    // Writes a change into the worktree at once, then keeps working.
    developer: { adapter: 'command', command: ['sh', '-c', 'echo change > feature.txt; sleep 90'] },
  },
};

async function runningDeveloper(rt: Runtime, task: Task): Promise<number> {
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    await drive(rt, [task.id], () => true, 1_000);
    const [job] = await rt.admin.list({ taskId: task.id, kind: 'developer', status: 'running' });
    if (job) {
      const runs = await rt.db.all<{ pid: number | null }>(
        'select pid from agent_runs where job_id = $1',
        [job.id],
      );
      if (runs.some((r) => r.pid !== null)) return job.id;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error('the developer agent never started');
}

/** The files of a branch in the local forge's bare repository. */
function remoteFiles(rt: Runtime, repo: string, branch: string): string[] {
  return execFileSync('git', ['ls-tree', '-r', '--name-only', `refs/heads/${branch}`], {
    cwd: rt.forge.cloneUrl(repo),
    encoding: 'utf8',
  }).split('\n');
}

describeEachDialect('STOP from the tracker', ({ current }) => {
  it('cancels a running item at an approver’s STOP: the agent is stopped and nothing is pushed', async () => {
    const { rt, notifier } = await matrixRuntime(current().url, [{ key: 'ST', scenario: {} }], {
      agents: AGENTS,
    });
    try {
      const task = await fileItem(rt, 'ST');
      await rt.start({ daemons: false });
      const jobId = await runningDeveloper(rt, task);
      // The analysis and architecture work was pushed (and its PR opened) before the developer.
      const headBefore = remoteHead(rt, 'st', task.branch);
      const prBefore = (await rt.tasks.get(task.id))!.prNumber;

      const ignored = await rt.pipeline.onComment(task.id, {
        body: 'STOP',
        authorIds: ['mallory'],
      });
      expect(ignored.result).toMatchObject({ kind: 'noop' });
      expect((await rt.tasks.get(task.id))!.state).toBe('active');

      const { intent, result } = await rt.pipeline.onComment(task.id, {
        body: 'STOP: wrong repository',
        authorIds: [APPROVER],
      });
      expect(intent).toEqual({ kind: 'stop', reason: 'wrong repository' });
      expect(result).toEqual({
        kind: 'cancelled',
        reason: `STOP by ${APPROVER}: wrong repository`,
      });

      await drive(rt, [task.id], () => true, 100);
      for (let i = 0; i < 100 && (await rt.queue.get(jobId))!.status === 'running'; i++) {
        await new Promise((r) => setTimeout(r, 200));
      }
      expect((await rt.queue.get(jobId))!.status).toBe('cancelled');
      await rt.worker.whenIdle();
      await deliverOutbox(rt);

      const after = (await rt.tasks.get(task.id))!;
      expect(after).toMatchObject({ state: 'cancelled', prNumber: prBefore });
      expect(after.lastError).toBe(`STOP by ${APPROVER}: wrong repository`);
      // What the stopped developer wrote was neither committed nor pushed.
      expect(remoteHead(rt, 'st', task.branch)).toBe(headBefore);
      expect(remoteFiles(rt, 'st', task.branch)).not.toContain('feature.txt');
      expect(notifier.ofType('task_cancelled')).toHaveLength(1);
      const comments = await rt.tracker.listComments({
        projectId: task.trackerProjectId,
        itemId: task.trackerItemId,
      });
      expect(comments.map((c) => c.body)).toContain(
        `🛑 Cancelled: STOP by ${APPROVER}: wrong repository`,
      );

      const stats = await readStopStats(rt.db);
      expect(stats).toMatchObject({ cancelled: 1, ignored: 1 });
      expect(stats.recent.map((r) => [r.workItemId, r.message])).toEqual([
        [task.workItemId, `STOP by ${APPROVER}: wrong repository`],
      ]);
      expect(stats.recent[0]!.atMs).toBeGreaterThan(0);
    } finally {
      await rt.stop();
    }
  }, 240_000);

  it.each([
    ['switched off', { ORCH_STOP_ENABLED: 'false' }, /STOP is switched off/],
    ['out of scope', { ORCH_STOP_REPOS: 'other, another' }, /STOP does not apply to so/],
  ])(
    'records and ignores a STOP when STOP is %s',
    async (_name, env, why) => {
      const { rt } = await matrixRuntime(current().url, [{ key: 'SO', scenario: {} }], { env });
      try {
        const task = await fileItem(rt, 'SO');
        const { result } = await rt.pipeline.onComment(task.id, {
          body: 'STOP',
          authorIds: [APPROVER],
        });
        expect(result.kind).toBe('noop');
        expect((await rt.tasks.get(task.id))!.state).not.toBe('cancelled');
        const events = await rt.db.all<{ message: string }>(
          `select message from task_events where task_id = $1 and type = 'stop_ignored'`,
          [task.id],
        );
        expect(events).toHaveLength(1);
        expect(events[0]!.message).toMatch(why);
        expect(await readStopStats(rt.db)).toMatchObject({ cancelled: 0, ignored: 1 });
      } finally {
        await rt.stop();
      }
    },
    120_000,
  );
});
