import { assertNever } from '../errors.js';
import type {
  AcceptedGiteaEvent,
  AcceptedGithubEvent,
  AcceptedPlaneEvent,
  WebhookJobPayload,
} from '../integrations/webhooks/webhook-event.js';
import type { PlaneActor } from '../integrations/plane/plane-events.js';
import type { Logger } from '../log.js';
import { onCommitStatus } from './ci-status.js';
import type { AdvanceResult } from './engine.js';
import type { GitWorkspace } from './git-workspace.js';
import { intake } from './intake.js';
import type { Pipeline } from './pipeline.js';
import type { Project } from './project.js';
import type { Task } from './task.js';
import {
  claimCommentForWebhook,
  recordCommentOutcome,
  releaseComment,
} from '../store/tasks/processed-comments.js';

export type WebhookOutcome =
  | { kind: 'intake'; workItemId: string; created: boolean }
  | { kind: 'pipeline'; workItemId: string; result: AdvanceResult }
  | { kind: 'recorded'; workItemId: string; note: string }
  | { kind: 'ignored'; reason: string };

/**
 * Processes one accepted webhook delivery (a `webhook.plane` / `webhook.gitea` / `webhook.github`
 * job): Plane items and labelled GitHub issues become tasks, their comments are approvals /
 * rejections / answers, Gitea and GitHub reviews, merges and commit statuses feed the pipeline.
 * Every path is idempotent, because a job may run twice after a crash.
 */
export class WebhookHandler {
  readonly #pipeline: Pipeline;
  readonly #workspace: GitWorkspace;
  readonly #log: Logger;
  readonly #ciStatusEvents: () => boolean;

  constructor(
    pipeline: Pipeline,
    workspace: GitWorkspace,
    log: Logger,
    /** `ciStatusEvents`: ORCH_CI_STATUS_EVENTS_ENABLED, read per delivery (default on). */
    options: { ciStatusEvents?: () => boolean } = {},
  ) {
    this.#pipeline = pipeline;
    this.#workspace = workspace;
    this.#log = log;
    this.#ciStatusEvents = options.ciStatusEvents ?? (() => true);
  }

  handle(payload: WebhookJobPayload): Promise<WebhookOutcome> {
    switch (payload.source) {
      case 'plane':
        return this.#plane(payload.projectKey, payload.event);
      case 'gitea':
        return this.#gitea(payload.projectKey, payload.event);
      case 'github':
        return this.#github(payload.projectKey, payload.event);
      default:
        return assertNever(payload, 'webhook source');
    }
  }

  #projects(): Project[] {
    return this.#pipeline.core.deps.projects.all();
  }

  async #planeTask(projectKey: string | null, itemId: string): Promise<Task | undefined> {
    const { tasks } = this.#pipeline.core.deps;
    for (const p of this.#projects()) {
      if (p.tracker.kind !== 'plane' || (projectKey !== null && p.key !== projectKey)) continue;
      const task = await tasks.byTrackerItem('plane', p.trackerProjectId, itemId);
      if (task) return task;
    }
    return undefined;
  }

  async #plane(projectKey: string | null, e: AcceptedPlaneEvent): Promise<WebhookOutcome> {
    switch (e.type) {
      case 'work_item.created': {
        const project = this.#projects().find(
          (p) => p.key === projectKey && p.tracker.kind === 'plane',
        );
        if (!project) return { kind: 'ignored', reason: `no Plane project ${projectKey ?? '?'}` };
        const r = await intake(
          this.#pipeline.core,
          this.#workspace,
          project,
          { trackerItemId: e.itemId, title: e.title, description: e.description, labels: e.labels },
          this.#log,
        );
        return { kind: 'intake', workItemId: r.task.workItemId, created: r.created };
      }
      case 'comment.created': {
        const task = await this.#planeTask(projectKey, e.itemId);
        if (!task) return { kind: 'ignored', reason: `no task for Plane item ${e.itemId}` };
        const ids = await this.#identities(task, e.actor);
        return this.#comment(task, e.commentId, e.body, ids);
      }
      case 'work_item.updated':
      case 'work_item.deleted':
        return { kind: 'ignored', reason: `${e.type} needs no action` };
      default:
        return assertNever(e, 'plane event');
    }
  }

  /**
   * Every identifier of a comment's author: what the delivery carries, plus what the tracker
   * knows of that user (a v2 delivery names only the id; approvers may be listed by email). A
   * failed lookup keeps what the delivery gave (logged): an approval then waits for the poller.
   */
  async #identities(task: Task, actor: PlaneActor): Promise<(string | null)[]> {
    const given = [actor.id, actor.name, actor.email];
    const tracker = this.#pipeline.core.project(task).tracker;
    if (actor.id === null || (actor.name !== null && actor.email !== null)) return given;
    if (!tracker.userIdentities) return given;
    try {
      return [...given, ...(await tracker.userIdentities(task.trackerProjectId, actor.id))];
    } catch (err) {
      this.#log.warn({ err, taskId: task.id }, 'could not look up the comment author');
      return given;
    }
  }

  /**
   * Applies a tracker comment once: it is claimed in `processed_comments` first — the table the
   * reconciler's comment polling claims in too — so a comment seen by both the webhook and the
   * poller is acted on by exactly one of them. A failed action gives the claim back (the job retries).
   */
  async #comment(
    task: Task,
    commentId: string,
    body: string,
    authorIds: (string | null)[],
  ): Promise<WebhookOutcome> {
    const { db, clock } = this.#pipeline.core.deps;
    const ref = { taskId: task.id, commentId };
    if (!(await claimCommentForWebhook(db, { ...ref, nowMs: clock.now() })))
      return { kind: 'ignored', reason: `comment ${commentId} already processed` };
    try {
      const { intent, result } = await this.#pipeline.onComment(task.id, { body, authorIds });
      await recordCommentOutcome(db, { ...ref, outcome: `${intent.kind}: ${result.kind}` });
      return { kind: 'pipeline', workItemId: task.workItemId, result };
    } catch (err) {
      await releaseComment(db, ref);
      throw err;
    }
  }

  /**
   * GitHub: a labelled or assigned issue becomes a task (`issues.opened` with the label or the
   * configured assignee, or either added later: intake is idempotent), an issue comment is read like a Plane comment, and pull
   * requests, reviews, pushes and statuses (check suites and runs included) are Gitea's.
   */
  async #github(projectKey: string, e: AcceptedGithubEvent): Promise<WebhookOutcome> {
    const project = this.#projects().find((p) => p.key === projectKey);
    if (!project) return { kind: 'ignored', reason: `no project ${projectKey}` };
    switch (e.type) {
      case 'issue.opened':
      case 'issue.labeled':
      case 'issue.assigned': {
        const r = await intake(
          this.#pipeline.core,
          this.#workspace,
          project,
          {
            trackerItemId: String(e.issueNumber),
            title: e.title,
            description: e.body,
            labels: e.labels,
          },
          this.#log,
        );
        return { kind: 'intake', workItemId: r.task.workItemId, created: r.created };
      }
      case 'comment.created': {
        if (e.isPull) return { kind: 'ignored', reason: 'pull request comment: nothing to do' };
        const { tasks } = this.#pipeline.core.deps;
        const itemId = String(e.issueNumber);
        const task = await tasks.byTrackerItem(
          project.tracker.kind,
          project.trackerProjectId,
          itemId,
        );
        if (!task) return { kind: 'ignored', reason: `no task for GitHub issue #${itemId}` };
        const ids = [e.actor.login, e.actor.id === null ? null : String(e.actor.id)];
        return this.#comment(task, String(e.commentId), e.body, ids);
      }
      case 'issue.closed':
      case 'issue.edited':
        return { kind: 'ignored', reason: `${e.type} needs no action` };
      case 'push':
      case 'pull_request.opened':
      case 'pull_request.synchronized':
      case 'pull_request.merged':
      case 'pull_request.closed':
      case 'pull_request.reviewed':
      case 'status':
        return this.#gitea(projectKey, e);
      default:
        return assertNever(e, 'github event');
    }
  }

  async #giteaTask(projectKey: string, branch: string): Promise<Task | undefined> {
    const project = this.#projects().find((p) => p.key === projectKey);
    if (!project) return undefined;
    return this.#pipeline.core.deps.tasks.byBranch(project.repo, branch);
  }

  async #gitea(projectKey: string, e: AcceptedGiteaEvent): Promise<WebhookOutcome> {
    switch (e.type) {
      case 'pull_request.reviewed': {
        const task = await this.#giteaTask(projectKey, e.pr.head);
        if (!task) return { kind: 'ignored', reason: `no task for branch ${e.pr.head}` };
        if (e.verdict === 'rejected') {
          const result = await this.#pipeline.changesRequested(
            task.id,
            e.body || 'changes requested on the pull request',
            e.actor.login ?? 'reviewer',
          );
          return { kind: 'pipeline', workItemId: task.workItemId, result };
        }
        if (e.verdict === 'approved') {
          const result = await this.#pipeline.reconcile(task.id);
          return { kind: 'pipeline', workItemId: task.workItemId, result };
        }
        return { kind: 'recorded', workItemId: task.workItemId, note: 'review comment' };
      }
      case 'pull_request.merged': {
        const task = await this.#giteaTask(projectKey, e.pr.head);
        if (!task) return { kind: 'ignored', reason: `no task for branch ${e.pr.head}` };
        await this.#pipeline.core.record(task, {
          type: 'merged',
          message: `PR #${e.pr.number} merged${e.mergeSha ? ` as ${e.mergeSha.slice(0, 12)}` : ''}`,
        });
        return { kind: 'recorded', workItemId: task.workItemId, note: 'merged' };
      }
      case 'status':
        return this.#commitStatus(projectKey, e);
      case 'push':
      case 'pull_request.opened':
      case 'pull_request.synchronized':
      case 'pull_request.closed':
      case 'comment.created':
        return { kind: 'ignored', reason: `${e.type}: nothing to do` };
      default:
        return assertNever(e, 'gitea event');
    }
  }

  /**
   * A commit status (CI) on the head of an item waiting on `check_ci_green` re-evaluates it
   * (ci-status.ts). A pending status decides nothing and moves nothing.
   */
  async #commitStatus(
    projectKey: string,
    e: Extract<AcceptedGiteaEvent, { type: 'status' }>,
  ): Promise<WebhookOutcome> {
    if (!this.#ciStatusEvents())
      return { kind: 'ignored', reason: 'status: CI status events are off' };
    if (e.state === 'pending') return { kind: 'ignored', reason: `status ${e.context}: pending` };
    const project = this.#projects().find((p) => p.key === projectKey);
    if (!project) return { kind: 'ignored', reason: `no project ${projectKey}` };
    const moved = await onCommitStatus(this.#pipeline, project, e.sha);
    const first = moved[0];
    if (!first)
      return { kind: 'ignored', reason: `status: no item waits on CI at ${e.sha.slice(0, 12)}` };
    return { kind: 'pipeline', workItemId: first.task.workItemId, result: first.result };
  }
}
