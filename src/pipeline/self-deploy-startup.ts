import type { SelfDeploy } from '../gates/self-deploy/self-deploy.js';
import type { Logger } from '../log.js';
import type { QueueAdmin } from '../queue/queue-admin.js';
import type { TaskStore } from '../store/tasks/task-store.js';
import type { Pipeline } from './pipeline.js';
import { recheck } from './recheck.js';

export interface SelfDeployFinished {
  workItemId: string;
  /** What the re-evaluation did (`advanced` to done, `blocked`, `deferred`, …). */
  result: string;
}

/**
 * The self-deploy finaliser at start-up (ORCH-036), after recovery: a self-deploy hook restarts
 * Orch, so its result is usually waiting on disk when Orch comes back. Every item with a pending
 * launch that is still active in the launch's stage is re-evaluated at once, through the same
 * path as a re-check (the gate writes `14-deploy-log.md`; SUCCESS → done, FAILED → Blocked),
 * instead of at its queued re-check's time. A launch still running is left to its queued re-check,
 * unless the item has no live job at all (Orch died before the deferral committed): then it is
 * re-evaluated too, which defers it again. Nothing here launches a hook that has already been
 * launched for the visit; a second start-up finds nothing pending. A failure is logged per item.
 */
export async function finishSelfDeploys(d: {
  selfDeploy: SelfDeploy;
  tasks: TaskStore;
  admin: QueueAdmin;
  pipeline: Pipeline;
  log: Logger;
}): Promise<SelfDeployFinished[]> {
  const done: SelfDeployFinished[] = [];
  for (const p of await d.selfDeploy.pending()) {
    try {
      const task = p.taskId === null ? undefined : await d.tasks.get(p.taskId);
      if (!task || task.stage !== p.stage || task.state !== 'active') continue;
      if (!p.ready) {
        const live = [
          ...(await d.admin.list({ taskId: task.id, status: 'queued' })),
          ...(await d.admin.list({ taskId: task.id, status: 'running' })),
        ];
        if (live.length > 0) continue;
      }
      const r = await recheck(d.pipeline, { taskId: task.id, stage: task.stage });
      d.log.warn(
        { taskId: task.id, workItemId: task.workItemId, result: r },
        `self-deploy finaliser at start-up: ${r.kind}`,
      );
      done.push({ workItemId: task.workItemId, result: r.kind });
    } catch (err) {
      d.log.error({ err, taskId: p.taskId }, 'self-deploy finaliser at start-up failed');
    }
  }
  return done;
}
