import type { Clock } from '../../clock.js';
import type { ProjectsConfig } from '../../config/projects.js';
import type { Logger } from '../../log.js';
import { createHash } from 'node:crypto';
import { MAX_PAYLOAD_BYTES } from '../../queue/enqueue-input.js';
import type { JobQueue } from '../../queue/job-queue.js';
import { isSafeJson, isSafeText } from '../../store/safe-text.js';
import {
  classifyGiteaDelivery,
  classifyGithubDelivery,
  classifyPlaneDelivery,
  type BotIdentity,
  type DeliveryDecision,
} from './classify-delivery.js';
import type { WebhookHeaders } from './headers.js';
import { verifySignature, WEBHOOK_SOURCES, type WebhookSource } from './signature.js';
import { fitPayload } from './fit-payload.js';
import { WEBHOOK_JOB_KINDS } from './webhook-event.js';
import { insertInboxRow, setInboxJob } from '../../store/webhooks/webhook-inbox.js';

export const WEBHOOK_REJECT_CODES = [
  'WEBHOOK_SIGNATURE_INVALID',
  'INVALID_JSON',
  'INVALID_PAYLOAD',
  'PAYLOAD_TOO_LARGE',
] as const;
export type WebhookRejectCode = (typeof WEBHOOK_REJECT_CODES)[number];

/**
 * What happened to one delivery. Every kind but `rejected` is a success for the sender (2xx):
 * - accepted: inbox row + `webhook.<source>` job committed together; the delivery survives kill -9.
 * - duplicate: this delivery key was seen before; nothing written.
 * - ignored: recorded in the inbox, no job (Orch's own bot, unknown project/repo, unsupported event).
 * - rejected: nothing written at all.
 */
export type IntakeResult =
  | { kind: 'accepted'; jobId: number; event: string }
  | { kind: 'duplicate' }
  | { kind: 'ignored'; reason: string }
  | { kind: 'rejected'; code: WebhookRejectCode; status: 400 | 401 | 413; message: string };

export interface WebhookIntakeOptions {
  queue: JobQueue;
  clock: Clock;
  log: Logger;
  projects: ProjectsConfig;
  /** Per-source webhook secret; an unsigned or badly signed delivery is rejected (401). */
  secrets: Partial<Record<WebhookSource, string | undefined>>;
  /**
   * Accept unsigned deliveries for a source that has no secret (local development only).
   * Default false: a source without a secret rejects every delivery, so an unconfigured
   * endpoint cannot be used to enqueue work.
   */
  allowUnsigned?: boolean;
  bot: BotIdentity;
  /** Default 1 MiB (the job payload limit). */
  maxBodyBytes?: number;
  /** Attempts for the processing job; default 5. */
  jobMaxAttempts?: number;
}

export const DEFAULT_WEBHOOK_MAX_BODY_BYTES = 1024 * 1024;

const CLASSIFIERS = {
  plane: classifyPlaneDelivery,
  gitea: classifyGiteaDelivery,
  github: classifyGithubDelivery,
} as const satisfies Record<WebhookSource, unknown>;

/**
 * Webhook intake, framework-independent: verify, parse, deduplicate, record and enqueue, then
 * return. It does no processing, so it answers well inside Gitea's 5 s and GitHub's 10 s delivery
 * timeouts.
 */
export class WebhookIntake {
  readonly #o: WebhookIntakeOptions;
  readonly maxBodyBytes: number;

  constructor(options: WebhookIntakeOptions) {
    this.#o = options;
    this.maxBodyBytes = options.maxBodyBytes ?? DEFAULT_WEBHOOK_MAX_BODY_BYTES;
    for (const source of WEBHOOK_SOURCES) {
      if (!options.secrets[source] && options.allowUnsigned === true) {
        options.log.warn({ source }, 'webhook secret not set: deliveries are not authenticated');
      }
    }
  }

  async receive(input: {
    source: WebhookSource;
    headers: WebhookHeaders;
    rawBody: Buffer;
  }): Promise<IntakeResult> {
    const { source, headers, rawBody } = input;
    const log = this.#o.log.child({ source });
    if (rawBody.length > this.maxBodyBytes) {
      return reject('PAYLOAD_TOO_LARGE', 413, `body exceeds ${this.maxBodyBytes} bytes`);
    }
    const secret = this.#o.secrets[source];
    if (secret) {
      const check = verifySignature({ source, headers, rawBody, secret });
      if (check.kind !== 'valid') {
        log.warn({ signature: check.kind }, 'webhook rejected: bad signature');
        return reject('WEBHOOK_SIGNATURE_INVALID', 401, `signature ${check.kind}`);
      }
    } else if (this.#o.allowUnsigned !== true) {
      log.warn('webhook rejected: no secret configured for this source');
      return reject('WEBHOOK_SIGNATURE_INVALID', 401, `no webhook secret configured for ${source}`);
    }
    let body: unknown;
    try {
      body = JSON.parse(rawBody.toString('utf8'));
    } catch {
      return reject(
        'INVALID_JSON',
        400,
        'body is not JSON (configure the webhook as application/json)',
      );
    }
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      return reject('INVALID_PAYLOAD', 400, 'body must be a JSON object');
    }
    const classify = CLASSIFIERS[source];
    const receivedAtMs = this.#o.clock.now();
    const decision = classify({
      headers,
      rawBody,
      body,
      receivedAtMs,
      projects: this.#o.projects,
      bot: this.#o.bot,
    });
    // Store-level guard: delivery ids, event names and every string the job carries are written
    // as text (PostgreSQL refuses NUL: a signed Plane event_id with one used to be a 500).
    if (!isSafeText(decision.deliveryKey) || !isSafeJson(decision)) {
      return reject('INVALID_PAYLOAD', 400, 'body contains NUL bytes or unpaired surrogates');
    }
    const bodySha256 = createHash('sha256').update(rawBody).digest('hex');
    return this.#record({ source, decision, receivedAtMs, bodySha256 }, log);
  }

  /** One transaction: inbox row (the dedup point) + processing job, or nothing on a duplicate. */
  async #record(
    d: {
      source: WebhookSource;
      decision: DeliveryDecision;
      receivedAtMs: number;
      bodySha256: string;
    },
    log: Logger,
  ): Promise<IntakeResult> {
    const { source, decision, receivedAtMs, bodySha256 } = d;
    const { queue } = this.#o;
    const result = await queue.db.tx(async (q): Promise<IntakeResult> => {
      const row = await insertInboxRow(q, {
        source,
        deliveryKey: decision.deliveryKey,
        event: decision.eventType,
        receivedAtMs,
        outcome: decision.kind === 'accept' ? 'accepted' : 'ignored',
        reason: decision.kind === 'ignore' ? decision.reason : null,
        bodySha256,
      });
      if (row.kind === 'duplicate') return { kind: 'duplicate' };
      if (decision.kind === 'ignore') return { kind: 'ignored', reason: decision.reason };
      const { job } = await queue.enqueueIn(q, {
        kind: WEBHOOK_JOB_KINDS[source],
        // Within the body limit, the job must fit the queue's payload limit too.
        payload: fitPayload(decision.payload, MAX_PAYLOAD_BYTES - 1024),
        idempotencyKey: `webhook:${source}:${decision.deliveryKey}`,
        maxAttempts: this.#o.jobMaxAttempts ?? 5,
      });
      await setInboxJob(q, row.id, job.id);
      return { kind: 'accepted', jobId: job.id, event: decision.eventType };
    });
    if (result.kind === 'accepted') queue.wake.notify();
    const detail = decision.kind === 'ignore' ? decision.detail : undefined;
    log.info(
      {
        deliveryKey: decision.deliveryKey,
        event: decision.eventType,
        outcome: result.kind,
        detail,
      },
      `webhook ${result.kind}`,
    );
    return result;
  }
}

function reject(code: WebhookRejectCode, status: 400 | 401 | 413, message: string): IntakeResult {
  return { kind: 'rejected', code, status, message };
}
