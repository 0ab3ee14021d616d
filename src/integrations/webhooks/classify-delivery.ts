import { createHash } from 'node:crypto';
import type { ProjectsConfig, TrackerConfig } from '../../config/projects.js';
import { normalizeGiteaEvent } from '../gitea/gitea-events.js';
import { normalizeGithubEvent, type GithubSender } from '../github/github-events.js';
import { normalizePlaneEvent } from '../plane/plane-events.js';
import { headerValue, type WebhookHeaders } from './headers.js';
import type { WebhookSource } from './signature.js';
import type { WebhookJobPayload } from './webhook-event.js';

/** Orch's own accounts: events they cause are never acted upon (no feedback loops). */
export interface BotIdentity {
  /** Plane user id (uuid) of the API token's user. */
  planeUserId?: string | undefined;
  /** Gitea login of the token's user. */
  giteaUsername?: string | undefined;
  /** GitHub login of the token's user, or the App's slug (its events come from `<slug>[bot]`). */
  githubLogin?: string | undefined;
}

/** The `external_source` Orch stamps on its Plane comments. */
export const ORCH_EXTERNAL_SOURCE = 'orch';

export const IGNORE_REASONS = [
  'unsupported_event',
  'bot_actor',
  'own_comment',
  'unknown_project',
  'unknown_repo',
  'ping',
  'not_labelled',
  'not_assigned',
  'issue_closed',
] as const;
export type IgnoreReason = (typeof IGNORE_REASONS)[number];

export type DeliveryDecision =
  | { kind: 'accept'; deliveryKey: string; eventType: string; payload: WebhookJobPayload }
  | {
      kind: 'ignore';
      deliveryKey: string;
      eventType: string;
      reason: IgnoreReason;
      detail: string;
    };

const GITEA_DELIVERY_HEADERS = ['x-gitea-delivery', 'x-gogs-delivery', 'x-github-delivery'];
const DELIVERY_HEADERS: Record<'gitea' | 'github', readonly string[]> = {
  gitea: GITEA_DELIVERY_HEADERS,
  github: ['x-github-delivery'],
};

function bodyHash(rawBody: Buffer): string {
  return `body:${createHash('sha256').update(rawBody).digest('hex')}`;
}

/**
 * The key a delivery is deduplicated by. Gitea: `X-Gitea-Delivery` (a redelivery from the UI
 * reuses it). GitHub: `X-GitHub-Delivery` (a redelivery reuses it too). Plane v2: `event_id`,
 * stable across retries (`delivery_id` is not). Plane v1: `X-Plane-Delivery` is new on every
 * attempt, so the sha256 of the raw body, which a retry repeats byte for byte, is the key. Every
 * source is deduplicated by the body's sha256 as well (the inbox, migration 0010).
 */
export function deliveryKeyOf(
  source: WebhookSource,
  headers: WebhookHeaders,
  rawBody: Buffer,
  eventId: string | null,
): string {
  if (source === 'plane') return eventId !== null ? `event:${eventId}` : bodyHash(rawBody);
  for (const name of DELIVERY_HEADERS[source]) {
    const id = headerValue(headers, name);
    if (id !== null && id.length <= 100) return `delivery:${id}`;
  }
  return bodyHash(rawBody);
}

interface ClassifyInput {
  headers: WebhookHeaders;
  rawBody: Buffer;
  body: unknown;
  receivedAtMs: number;
  projects: ProjectsConfig;
  bot: BotIdentity;
}

export function classifyPlaneDelivery(input: ClassifyInput): DeliveryDecision {
  const env = normalizePlaneEvent(input.body, headerValue(input.headers, 'x-plane-event'));
  const deliveryKey = deliveryKeyOf('plane', input.headers, input.rawBody, env.eventId);
  const ev = env.event;
  const ignore = (reason: IgnoreReason, detail: string): DeliveryDecision => ({
    kind: 'ignore',
    deliveryKey,
    eventType: ev.type,
    reason,
    detail,
  });
  if (ev.type === 'unknown')
    return ignore('unsupported_event', `plane event ${ev.event}/${ev.action ?? '-'}`);
  const project = ev.projectId === null ? null : input.projects.byPlaneProject(ev.projectId);
  // A payload without a project id (v2 comments) is kept only if some project uses Plane.
  const anyPlane = input.projects.projects.some((p) => p.tracker.kind === 'plane');
  if ((ev.projectId !== null && !project) || !anyPlane) {
    return ignore('unknown_project', `plane project ${ev.projectId ?? '(none in payload)'}`);
  }
  if (input.bot.planeUserId !== undefined && ev.actor.id === input.bot.planeUserId) {
    return ignore('bot_actor', `plane user ${ev.actor.id}`);
  }
  if (ev.type === 'comment.created' && ev.externalSource === ORCH_EXTERNAL_SOURCE) {
    return ignore('own_comment', `comment ${ev.commentId}`);
  }
  const payload: WebhookJobPayload = {
    source: 'plane',
    deliveryKey,
    receivedAtMs: input.receivedAtMs,
    projectKey: project?.key ?? null,
    event: ev,
  };
  return { kind: 'accept', deliveryKey, eventType: ev.type, payload };
}

export function classifyGiteaDelivery(input: ClassifyInput): DeliveryDecision {
  const ev = normalizeGiteaEvent(input.body, headerValue(input.headers, 'x-gitea-event'));
  const deliveryKey = deliveryKeyOf('gitea', input.headers, input.rawBody, null);
  const ignore = (reason: IgnoreReason, detail: string): DeliveryDecision => ({
    kind: 'ignore',
    deliveryKey,
    eventType: ev.type,
    reason,
    detail,
  });
  if (ev.type === 'unknown')
    return ignore('unsupported_event', `gitea event ${ev.event}/${ev.action ?? '-'}`);
  const project = input.projects.byGiteaRepo(ev.repo);
  if (!project) return ignore('unknown_repo', `gitea repo ${ev.repo}`);
  const bot = input.bot.giteaUsername?.toLowerCase();
  if (bot !== undefined && ev.actor.login?.toLowerCase() === bot) {
    return ignore('bot_actor', `gitea user ${ev.actor.login}`);
  }
  const payload: WebhookJobPayload = {
    source: 'gitea',
    deliveryKey,
    receivedAtMs: input.receivedAtMs,
    projectKey: project.key,
    event: ev,
  };
  return { kind: 'accept', deliveryKey, eventType: ev.type, payload };
}

/** The sender is Orch's own GitHub account: its login, or its App's `<slug>[bot]`. */
function isGithubBot(sender: GithubSender, botLogin: string | undefined): boolean {
  if (botLogin === undefined || sender.login === null) return false;
  const strip = (login: string) => login.toLowerCase().replace(/\[bot\]$/, '');
  const same = strip(sender.login) === strip(botLogin);
  // `<slug>[bot]` names an App; a plain login with the same name would be a user account.
  return same && (sender.type === 'Bot') === sender.login.toLowerCase().endsWith('[bot]');
}

/**
 * A GitHub delivery: `ping` and unsupported events are ignored with a reason; a repository no
 * project names is `unknown_repo`; Orch's own events are `bot_actor`; an issue is taken in only
 * when it carries the project's label (`issues.opened`) or gets it (`issues.labeled`).
 */
type GithubIssueIntake = Extract<
  ReturnType<typeof normalizeGithubEvent>['event'],
  { type: 'issue.opened' | 'issue.labeled' | 'issue.assigned' }
>;

/**
 * Pure: why a GitHub issue event does not take the issue in (null = it does): an open issue is a
 * work item when it carries the project's label or is assigned to its `assignee` login. Opened: either
 * already holds; labeled / assigned: the label or login just added is the one.
 */
export function githubIntakeRefusal(
  ev: GithubIssueIntake,
  tracker: TrackerConfig,
): { reason: IgnoreReason; detail: string } | null {
  const n = `issue #${ev.issueNumber}`;
  if (tracker.kind !== 'github')
    return { reason: 'unsupported_event', detail: `${n}: the tracker is not GitHub` };
  if (ev.closed) return { reason: 'issue_closed', detail: `${n} is closed` };
  const label = tracker.label.toLowerCase();
  const bot = tracker.assignee?.toLowerCase();
  const same = (a: string | null, b: string | undefined) =>
    a !== null && b !== undefined && a.toLowerCase() === b;
  switch (ev.type) {
    case 'issue.opened': {
      if (ev.labels.some((l) => same(l, label)) || ev.assignees.some((a) => same(a, bot)))
        return null;
      const detail = bot
        ? `${n} without ${label}, not assigned to ${bot}`
        : `${n} without ${label}`;
      return { reason: 'not_labelled', detail };
    }
    case 'issue.labeled':
      if (same(ev.addedLabel, label)) return null;
      return {
        reason: 'not_labelled',
        detail: `${n} labelled ${ev.addedLabel ?? '?'}, not ${label}`,
      };
    case 'issue.assigned': {
      if (same(ev.addedAssignee, bot)) return null;
      const detail = bot
        ? `${n} assigned to ${ev.addedAssignee ?? '?'}, not ${bot}`
        : `${n} assigned, and the project names no assignee`;
      return { reason: 'not_assigned', detail };
    }
  }
}

export function classifyGithubDelivery(input: ClassifyInput): DeliveryDecision {
  const { event: ev, sender } = normalizeGithubEvent(
    input.body,
    headerValue(input.headers, 'x-github-event'),
  );
  const deliveryKey = deliveryKeyOf('github', input.headers, input.rawBody, null);
  const ignore = (reason: IgnoreReason, detail: string): DeliveryDecision => ({
    kind: 'ignore',
    deliveryKey,
    eventType: ev.type,
    reason,
    detail,
  });
  if (ev.type === 'ping') return ignore('ping', `github hook ${ev.hookId ?? '?'}`);
  if (ev.type === 'unknown')
    return ignore('unsupported_event', `github event ${ev.event}/${ev.action ?? '-'}`);
  const project = input.projects.byGithubRepo(ev.repo);
  if (!project) return ignore('unknown_repo', `github repo ${ev.repo}`);
  if (isGithubBot(sender, input.bot.githubLogin))
    return ignore('bot_actor', `github user ${sender.login ?? '?'}`);
  const onIssues = ev.type.startsWith('issue.') || ev.type === 'comment.created';
  const side = onIssues ? project.tracker : project.forge;
  if (side.kind !== 'github' || side.repo.toLowerCase() !== ev.repo.toLowerCase())
    return ignore(
      'unsupported_event',
      `${ev.type}: project ${project.key} does not use ${ev.repo}`,
    );
  if (ev.type === 'issue.opened' || ev.type === 'issue.labeled' || ev.type === 'issue.assigned') {
    const refused = githubIntakeRefusal(ev, project.tracker);
    if (refused) return ignore(refused.reason, refused.detail);
  }
  const payload: WebhookJobPayload = {
    source: 'github',
    deliveryKey,
    receivedAtMs: input.receivedAtMs,
    projectKey: project.key,
    event: ev,
  };
  return { kind: 'accept', deliveryKey, eventType: ev.type, payload };
}
