import type { GateResult } from '../gates/gate.js';
import { gateCommitStatus } from '../integrations/forge/status-contexts.js';
import type {
  Notifier,
  NotifyEvent,
  PipelineNotifyEvent,
} from '../integrations/notify/notifier.js';
import type { TrackerItemRef, TrackerState } from '../integrations/tracker/tracker.js';
import type { Logger } from '../log.js';
import { OrchError } from '../errors.js';
import type { OutboxEntry, OutboxRow } from '../store/outbox/outbox-store.js';
import type { Project, ProjectRegistry } from './project.js';
import type { Task } from './task.js';

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/** Side effects the pipeline asks for with a change; delivered after it commits (the outbox). */
export type Effect =
  | { kind: 'tracker_state'; state: TrackerState }
  | { kind: 'comment'; author: string; body: string }
  | {
      kind: 'notify';
      event: DistributiveOmit<PipelineNotifyEvent, 'workItemId' | 'taskId' | 'stage'>;
    }
  /** The item is done: push the local forge's base branch to the project's `forge.pushTo`. */
  | { kind: 'push_back'; to: string };

/**
 * What an outbox row of the pipeline carries: everything the delivery needs, snapshotted when
 * the change committed (the task may have moved on by the time it is delivered).
 */
export type EffectPayload =
  | { kind: 'tracker_state'; projectKey: string; ref: TrackerItemRef; state: TrackerState }
  | { kind: 'comment'; projectKey: string; ref: TrackerItemRef; author: string; body: string }
  | { kind: 'notify'; event: NotifyEvent }
  | PushBackPayload
  | {
      kind: 'forge_statuses';
      projectKey: string;
      repo: string;
      branch: string;
      baseBranch?: string;
      statuses: { context: string; state: 'success' | 'failure'; description: string }[];
    };

/** An outbox row that pushes a done item's merged base branch back (push-back.ts). */
export interface PushBackPayload {
  kind: 'push_back';
  projectKey: string;
  repo: string;
  baseBranch: string;
  to: string;
}

/**
 * The outbox rows for a change's effects, in delivery order; the gate results become one
 * `forge_statuses` row (the stable commit status contexts of status-contexts.ts on the branch's
 * pull-request head). Pure.
 */
export function effectEntries(
  task: Task,
  effects: readonly Effect[],
  gates: readonly GateResult[],
): OutboxEntry[] {
  const ref = { projectId: task.trackerProjectId, itemId: task.trackerItemId };
  const projectKey = task.projectKey;
  const payloads: EffectPayload[] = effects.map((e): EffectPayload => {
    switch (e.kind) {
      case 'tracker_state':
        return { kind: 'tracker_state', projectKey, ref, state: e.state };
      case 'comment':
        return { kind: 'comment', projectKey, ref, author: e.author, body: e.body };
      case 'notify':
        return {
          kind: 'notify',
          event: { ...e.event, workItemId: task.workItemId, taskId: task.id, stage: task.stage },
        };
      case 'push_back':
        return {
          kind: 'push_back',
          projectKey,
          repo: task.repo,
          baseBranch: task.baseBranch,
          to: e.to,
        };
    }
  });
  // Stable contexts (orch/tests, orch/review, orch/security) that branch protection can require.
  const statuses = gates.map(gateCommitStatus).filter((st) => st !== null);
  if (statuses.length > 0)
    payloads.push({
      kind: 'forge_statuses',
      projectKey,
      repo: task.repo,
      branch: task.branch,
      baseBranch: task.baseBranch,
      statuses: statuses.map((st) => ({
        context: st.context,
        state: st.state === 'success' ? 'success' : 'failure',
        description: st.description,
      })),
    });
  return payloads.map((payload) => ({ taskId: task.id, kind: payload.kind, payload }));
}

/**
 * Delivers one pipeline outbox row through the project's tracker and forge or the notifier.
 * Throws what the integration threw (the outbox retries or gives up). A comment carries the row
 * id as its external id, so a tracker that dedups on it (Plane) keeps one copy on a redelivery.
 */
export function effectDeliverer(deps: {
  projects: ProjectRegistry;
  notifier: Notifier;
  log: Logger;
  /** Pushes a done item's base branch back (push-back.ts); absent = such rows are skipped. */
  pushBack?: (payload: PushBackPayload, taskId: number) => Promise<void>;
}) {
  const project = (key: string): Project => {
    try {
      return deps.projects.get(key);
    } catch (err) {
      throw new OrchError('OUTBOX_PROJECT_UNKNOWN', `project ${key} is not configured`, {
        cause: err,
        details: { retryable: false },
      });
    }
  };
  return async (row: OutboxRow): Promise<void> => {
    const p = row.payload as EffectPayload;
    switch (p.kind) {
      case 'tracker_state': {
        const { tracker } = project(p.projectKey);
        await tracker.setState(p.ref, p.state);
        if (tracker.upsertStatusComment) {
          await tracker.upsertStatusComment(p.ref, statusCommentBody(p.state));
        }
        return;
      }
      case 'comment':
        return project(p.projectKey).tracker.comment(p.ref, p.body, {
          author: p.author,
          externalId: `orch-outbox-${row.id}`,
        });
      case 'notify':
        return deps.notifier.deliver
          ? deps.notifier.deliver(p.event)
          : deps.notifier.notify(p.event);
      case 'push_back':
        if (deps.pushBack) return deps.pushBack(p, row.taskId);
        deps.log.warn({ taskId: row.taskId }, 'outbox: push_back row without a pusher; skipped');
        return;
      case 'forge_statuses': {
        const { forge } = project(p.projectKey);
        const pr = await forge.findPullRequest(p.repo, p.branch, p.baseBranch);
        if (!pr?.headSha) return; // no pull request yet: nothing to annotate
        for (const s of p.statuses) await forge.setStatus(p.repo, pr.headSha, s);
        return;
      }
      default:
        throw new OrchError('OUTBOX_KIND_UNKNOWN', `unknown outbox kind ${row.kind}`, {
          details: { retryable: false },
        });
    }
  };
}

const STATUS_TEXT = {
  in_progress: 'in progress: the agents are working on it',
  in_review: 'in review: waiting for a person (approval, a review or a merge)',
  needs_input: 'needs input: answer the questions above in a comment',
  blocked: 'blocked: see the latest comments; an approver comments `:resume:` to go on',
  done: 'done: merged',
} as const satisfies Record<TrackerState, string>;

/** Pure: the text of a tracker's one status comment (`upsertStatusComment`) for a state. */
export function statusCommentBody(state: TrackerState): string {
  return `**Orch status:** ${STATUS_TEXT[state]}`;
}
