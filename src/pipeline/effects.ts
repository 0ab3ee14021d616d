import type { GateResult } from '../gates/gate.js';
import { gateCommitStatus } from '../integrations/forge/status-contexts.js';
import {
  safeNotify,
  type Notifier,
  type PipelineNotifyEvent,
} from '../integrations/notify/notifier.js';
import type { TrackerState } from '../integrations/tracker/tracker.js';
import type { Logger } from '../log.js';
import type { Project } from './project.js';
import type { Task } from './task.js';

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/** Side effects the pipeline asks for after a committed change. */
export type Effect =
  | { kind: 'tracker_state'; state: TrackerState }
  | { kind: 'comment'; author: string; body: string }
  | {
      kind: 'notify';
      event: DistributiveOmit<PipelineNotifyEvent, 'workItemId' | 'taskId' | 'stage'>;
    };

/**
 * Runs side effects best-effort: the database is the truth; a tracker or chat outage is logged and
 * never fails or repeats a pipeline step. Gate results are published as forge commit statuses
 * on the branch head (see `publishStatuses`).
 */
export class Effects {
  readonly #notifier: Notifier;
  readonly #log: Logger;

  constructor(notifier: Notifier, log: Logger) {
    this.#notifier = notifier;
    this.#log = log;
  }

  async run(
    task: Task,
    project: Project,
    effects: readonly Effect[],
    gates: readonly GateResult[],
  ): Promise<void> {
    const ref = { projectId: task.trackerProjectId, itemId: task.trackerItemId };
    const log = this.#log.child({ taskId: task.id, workItemId: task.workItemId });
    for (const e of effects) {
      try {
        switch (e.kind) {
          case 'tracker_state':
            await project.tracker.setState(ref, e.state);
            break;
          case 'comment':
            await project.tracker.comment(ref, e.body, { author: e.author });
            break;
          case 'notify':
            await safeNotify(
              this.#notifier,
              {
                ...e.event,
                workItemId: task.workItemId,
                taskId: task.id,
                stage: task.stage,
              },
              log,
            );
            break;
        }
      } catch (err) {
        log.warn({ err, effect: e.kind }, 'pipeline side effect failed; continuing');
      }
    }
    if (gates.length > 0) await this.publishStatuses(task, project, gates, log);
  }

  /**
   * Gate results as commit statuses on the PR head, under Orch's stable contexts (`orch/tests`,
   * `orch/review`, `orch/security`; status-contexts.ts); gates without a context post nothing.
   */
  async publishStatuses(
    task: Task,
    project: Project,
    gates: readonly GateResult[],
    log: Logger,
  ): Promise<void> {
    const statuses = gates.map(gateCommitStatus).filter((s) => s !== null);
    if (statuses.length === 0) return;
    try {
      const pr = await project.forge.findPullRequest(task.repo, task.branch, task.baseBranch);
      if (!pr?.headSha) return;
      for (const status of statuses) await project.forge.setStatus(task.repo, pr.headSha, status);
    } catch (err) {
      log.warn({ err }, 'could not publish gate statuses');
    }
  }
}
