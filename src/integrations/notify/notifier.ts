import { maskDeep, type SecretMasker } from '../../config/secret-masker.js';
import type { Logger } from '../../log.js';

/**
 * Events Orch reports to humans (chat, tracker, log). A small closed union: each member names
 * what happened and carries the ids an operator needs to act on it.
 */
export type NotifyEvent =
  | {
      type: 'job_failed';
      jobId: number;
      kind: string;
      taskId: number | null;
      attempts: number;
      error: string;
    }
  | {
      type: 'breaker_open';
      kind: string;
      consecutiveTransient: number;
      openUntilMs: number;
      reason: string;
    }
  | { type: 'kind_paused'; kind: string; pausedUntilMs: number; reason: string }
  | { type: 'agent_started'; jobId: number; runId: number; kind: string; taskId: number | null }
  | { type: 'repo_freeze'; repo: string; frozen: boolean; by: string; reason: string }
  | {
      type: 'disk_alert';
      path: string;
      usedPercent: number;
      thresholdPercent: number;
      freeBytes: number;
    }
  | { type: 'fs_ownership'; count: number; examples: string[]; fix: string }
  | { type: 'orphan_runs'; count: number; runIds: number[] }
  | PipelineNotifyEvent;

/** What the pipeline reports about a work item (timeline highlights humans act on). */
export type PipelineNotifyEvent = {
  workItemId: string;
  taskId: number;
  stage: string;
  message: string;
} & (
  | { type: 'stage_changed'; from: string }
  | { type: 'approval_requested' }
  | { type: 'needs_input' }
  | { type: 'gate_failed'; gate: string }
  | { type: 'rollback'; to: string }
  | { type: 'task_blocked' }
  | { type: 'task_done' }
  | { type: 'task_cancelled' }
  | { type: 'pipeline_warning' }
  | { type: 'post_deploy'; status: 'HEALTHY' | 'DEGRADED'; action: string }
);

export type NotifyEventType = NotifyEvent['type'];

/**
 * The notification contract. Implementations may fail (network, rate limits); callers never
 * depend on delivery and should go through `safeNotify`, which swallows and logs failures.
 */
export interface Notifier {
  notify(event: NotifyEvent): Promise<void>;
  /**
   * Sends the event now and resolves only once it was delivered; throws a classified
   * integration error otherwise (the outbox retries). Notifiers whose `notify` already resolves
   * on delivery (or that cannot fail) need not implement it: the outbox then calls `notify`.
   */
  deliver?(event: NotifyEvent): Promise<void>;
}

/** Writes every event as one structured log line. */
export class LogNotifier implements Notifier {
  readonly #log: Logger;

  constructor(log: Logger) {
    this.#log = log.child({ daemon: 'notifier' });
  }

  notify(event: NotifyEvent): Promise<void> {
    this.#log.info({ event }, `notify: ${event.type}`);
    return Promise.resolve();
  }
}

/** Keeps every event in memory, for tests. */
export class RecordingNotifier implements Notifier {
  readonly events: NotifyEvent[] = [];

  notify(event: NotifyEvent): Promise<void> {
    this.events.push(event);
    return Promise.resolve();
  }

  ofType<T extends NotifyEventType>(type: T): Extract<NotifyEvent, { type: T }>[] {
    return this.events.filter((e): e is Extract<NotifyEvent, { type: T }> => e.type === type);
  }
}

/**
 * A notifier that masks every string of an event (config/secret-masker.ts) before handing it on:
 * failure messages quote agent and tool output, and a chat is outside Orch's boundary.
 */
export function maskingNotifier(inner: Notifier, mask: SecretMasker): Notifier {
  const deliver = inner.deliver?.bind(inner);
  return {
    notify: (event) => inner.notify(maskDeep(event, mask)),
    ...(deliver && { deliver: (event: NotifyEvent) => deliver(maskDeep(event, mask)) }),
  };
}

/** Delivers an event; a notifier failure is logged and never reaches the caller. */
export async function safeNotify(
  notifier: Notifier,
  event: NotifyEvent,
  log: Logger,
): Promise<void> {
  try {
    await notifier.notify(event);
  } catch (err) {
    log.warn({ err, eventType: event.type }, 'notifier failed; event dropped');
  }
}
