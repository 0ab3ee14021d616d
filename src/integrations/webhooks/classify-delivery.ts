import { createHash } from 'node:crypto';
import type { ProjectsConfig } from '../../config/projects.js';
import { normalizeGiteaEvent } from '../gitea/gitea-events.js';
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
}

/** The `external_source` Orch stamps on its Plane comments. */
export const ORCH_EXTERNAL_SOURCE = 'orch';

export const IGNORE_REASONS = [
  'unsupported_event',
  'bot_actor',
  'own_comment',
  'unknown_project',
  'unknown_repo',
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

function bodyHash(rawBody: Buffer): string {
  return `body:${createHash('sha256').update(rawBody).digest('hex')}`;
}

/**
 * The key a delivery is deduplicated by. Gitea: `X-Gitea-Delivery` (a redelivery from the UI
 * reuses it). Plane v2: `event_id`, stable across retries (`delivery_id` is not). Plane v1:
 * `X-Plane-Delivery` is new on every attempt, so the sha256 of the raw body, which a retry
 * repeats byte for byte, is the key.
 */
export function deliveryKeyOf(
  source: WebhookSource,
  headers: WebhookHeaders,
  rawBody: Buffer,
  eventId: string | null,
): string {
  if (source === 'plane') return eventId !== null ? `event:${eventId}` : bodyHash(rawBody);
  for (const name of GITEA_DELIVERY_HEADERS) {
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
