import type { GiteaEvent } from '../gitea/gitea-events.js';
import type { GithubEvent } from '../github/github-events.js';
import type { PlaneEvent } from '../plane/plane-events.js';

export const WEBHOOK_JOB_KINDS = {
  plane: 'webhook.plane',
  gitea: 'webhook.gitea',
  github: 'webhook.github',
} as const;
export type WebhookJobKind = (typeof WEBHOOK_JOB_KINDS)[keyof typeof WEBHOOK_JOB_KINDS];

export type AcceptedPlaneEvent = Exclude<PlaneEvent, { type: 'unknown' }>;
export type AcceptedGiteaEvent = Exclude<GiteaEvent, { type: 'unknown' }>;
export type AcceptedGithubEvent = Exclude<GithubEvent, { type: 'unknown' | 'ping' }>;

/**
 * The payload of a `webhook.plane` / `webhook.gitea` / `webhook.github` job: one accepted
 * delivery, normalized. The pipeline's job handler switches on `source`, then on `event.type`. `projectKey` is the Orch
 * project (`ET`) the delivery belongs to; null only for Plane payloads that carry no project id
 * (the handler then finds the task by `event.itemId`).
 */
export type WebhookJobPayload =
  | {
      source: 'plane';
      deliveryKey: string;
      receivedAtMs: number;
      projectKey: string | null;
      event: AcceptedPlaneEvent;
    }
  | {
      source: 'gitea';
      deliveryKey: string;
      receivedAtMs: number;
      projectKey: string;
      event: AcceptedGiteaEvent;
    }
  | {
      source: 'github';
      deliveryKey: string;
      receivedAtMs: number;
      projectKey: string;
      event: AcceptedGithubEvent;
    };

/**
 * Narrows a job payload read back from the queue (JSON) to a WebhookJobPayload. Shallow: the
 * intake wrote it, so only the discriminants are checked.
 */
export function isWebhookJobPayload(value: unknown): value is WebhookJobPayload {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as { source?: unknown; deliveryKey?: unknown; event?: unknown };
  const event = v.event as { type?: unknown } | null | undefined;
  return (
    (v.source === 'plane' || v.source === 'gitea' || v.source === 'github') &&
    typeof v.deliveryKey === 'string' &&
    typeof event?.type === 'string' &&
    event.type !== 'unknown' &&
    event.type !== 'ping'
  );
}
