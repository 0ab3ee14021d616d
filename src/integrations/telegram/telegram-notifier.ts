import type { Clock } from '../../clock.js';
import type { Logger } from '../../log.js';
import { integrationError } from '../http/integration-error.js';
import { httpJson, realSleep, type FetchFn, type HttpJsonResponse } from '../http/http-json.js';
import { asNumber, asString, pick } from '../webhooks/loose-json.js';
import type { Notifier, NotifyEvent } from '../notify/notifier.js';
import { formatNotifyEvent, truncateForTelegram } from './telegram-format.js';

export interface TelegramNotifierOptions {
  /** Bot token; without it (or without a chat id) the notifier is disabled and drops everything. */
  token?: string | undefined;
  chatId?: string | undefined;
  /** Default https://api.telegram.org; tests point it at a stub. */
  apiUrl?: string;
  clock: Clock;
  log: Logger;
  fetch?: FetchFn;
  sleep?: (ms: number) => Promise<void>;
  /** Minimum gap between two messages to one chat; default 1000 ms (~1 msg/s per chat). */
  minIntervalMs?: number;
  /** Messages waiting per chat beyond this are dropped, oldest first; default 100. */
  maxQueue?: number;
  /** 429 (`retry_after`) and network retries per message before it is dropped; default 5. */
  maxRetries?: number;
  timeoutMs?: number;
}

interface ChatQueue {
  messages: string[];
  lastSentAtMs: number;
  draining: Promise<void> | null;
  /** The last synchronous `deliver` of this chat (settled: never rejects). */
  sending: Promise<void>;
}

/**
 * Telegram `sendMessage` behind a per-chat queue. `send`/`notify` return at once: messages go
 * out in order, at most one per `minIntervalMs` per chat, and a 429 waits the `retry_after`
 * Telegram asks for. Failures are logged (never with the token, which is part of the URL) and
 * never reach the caller, so a chat outage cannot fail a pipeline step.
 */
export class TelegramNotifier implements Notifier {
  readonly enabled: boolean;
  readonly #o: TelegramNotifierOptions;
  readonly #fetch: FetchFn;
  readonly #sleep: (ms: number) => Promise<void>;
  readonly #chats = new Map<string, ChatQueue>();
  #dropped = 0;

  constructor(options: TelegramNotifierOptions) {
    this.#o = options;
    this.enabled = Boolean(options.token) && Boolean(options.chatId);
    this.#fetch = options.fetch ?? fetch;
    this.#sleep = options.sleep ?? realSleep;
    if (!this.enabled) options.log.info('telegram notifier disabled (no bot token or chat id)');
  }

  /** Messages dropped so far (queue overflow or failures), for status blocks. */
  get droppedCount(): number {
    return this.#dropped;
  }

  notify(event: NotifyEvent): Promise<void> {
    this.send(formatNotifyEvent(event));
    return Promise.resolve();
  }

  /**
   * One message now, for the outbox: waits out the chat's gap, makes one attempt, and throws a
   * classified integration error (retryable for 429 with its `retry_after`, 5xx and network
   * errors) instead of retrying itself: the outbox row keeps the message across a crash.
   */
  async deliver(event: NotifyEvent): Promise<void> {
    const chatId = this.#o.chatId;
    if (!this.enabled || chatId === undefined) return;
    const chat = this.#chat(chatId);
    // Concurrent deliveries (several tasks' outbox rows) take turns, so the gap holds.
    const turn = chat.sending.then(() => this.#deliverOnce(chatId, chat, event));
    chat.sending = turn.catch(() => undefined);
    return turn;
  }

  async #deliverOnce(chatId: string, chat: ChatQueue, event: NotifyEvent): Promise<void> {
    const waitMs = chat.lastSentAtMs + (this.#o.minIntervalMs ?? 1000) - this.#o.clock.now();
    if (waitMs > 0) await this.#sleep(waitMs);
    chat.lastSentAtMs = this.#o.clock.now();
    const outcome = await this.#attempt(chatId, truncateForTelegram(formatNotifyEvent(event)), 0);
    if (outcome.kind === 'sent') return;
    throw integrationError('NOTIFIER_UNAVAILABLE', `sendMessage failed: ${outcome.reason}`, {
      retryable: outcome.kind === 'retry',
      retryAfterMs: outcome.kind === 'retry' ? outcome.waitMs : null,
    });
  }

  /** Queues one message for the configured chat (or `chatId`); never throws, never waits. */
  send(text: string, chatId: string | undefined = this.#o.chatId): void {
    if (!this.enabled || chatId === undefined) return;
    const chat = this.#chat(chatId);
    chat.messages.push(truncateForTelegram(text));
    const max = this.#o.maxQueue ?? 100;
    while (chat.messages.length > max) {
      chat.messages.shift();
      this.#dropped++;
      this.#o.log.warn({ chatId }, 'telegram queue full: oldest message dropped');
    }
    chat.draining ??= this.#drain(chatId, chat).finally(() => {
      chat.draining = null;
    });
  }

  /** Resolves when every queued message was sent or dropped (tests, graceful shutdown). */
  async flush(): Promise<void> {
    for (;;) {
      const pending = [...this.#chats.values()].map((c) => c.draining).filter((d) => d !== null);
      if (pending.length === 0) return;
      await Promise.all(pending);
    }
  }

  #chat(chatId: string): ChatQueue {
    let chat = this.#chats.get(chatId);
    if (!chat) {
      chat = {
        messages: [],
        lastSentAtMs: Number.NEGATIVE_INFINITY,
        draining: null,
        sending: Promise.resolve(),
      };
      this.#chats.set(chatId, chat);
    }
    return chat;
  }

  async #drain(chatId: string, chat: ChatQueue): Promise<void> {
    for (let text = chat.messages.shift(); text !== undefined; text = chat.messages.shift()) {
      const waitMs = chat.lastSentAtMs + (this.#o.minIntervalMs ?? 1000) - this.#o.clock.now();
      if (waitMs > 0) await this.#sleep(waitMs);
      try {
        await this.#deliver(chatId, text);
      } catch (err) {
        this.#dropped++;
        this.#o.log.warn({ chatId, err: String(err) }, 'telegram message dropped');
      }
      chat.lastSentAtMs = this.#o.clock.now();
    }
  }

  /** One message with retries: 429 waits `retry_after`; 5xx and network errors back off 1 s, 2 s… */
  async #deliver(chatId: string, text: string): Promise<void> {
    const maxRetries = this.#o.maxRetries ?? 5;
    for (let attempt = 0; ; attempt++) {
      const outcome = await this.#attempt(chatId, text, attempt);
      if (outcome.kind === 'sent') return;
      if (outcome.kind === 'failed' || attempt >= maxRetries) {
        throw new Error(`sendMessage failed after ${attempt + 1} attempt(s): ${outcome.reason}`);
      }
      await this.#sleep(outcome.waitMs);
    }
  }

  async #attempt(chatId: string, text: string, attempt: number): Promise<SendOutcome> {
    const base = (this.#o.apiUrl ?? 'https://api.telegram.org').replace(/\/+$/, '');
    const backoffMs = 1000 * 2 ** attempt;
    let res: HttpJsonResponse;
    try {
      res = await httpJson(
        this.#fetch,
        {
          method: 'POST',
          url: `${base}/bot${this.#o.token}/sendMessage`,
          headers: {},
          body: { chat_id: chatId, text, disable_web_page_preview: true },
          timeoutMs: this.#o.timeoutMs ?? 10_000,
        },
        'NOTIFIER',
      );
    } catch {
      return { kind: 'retry', waitMs: backoffMs, reason: 'network error' };
    }
    if (res.status >= 200 && res.status < 300) return { kind: 'sent' };
    const reason = `HTTP ${res.status} ${asString(pick(res.body, 'description')) ?? ''}`.trim();
    if (res.status === 429) {
      const retryAfterS = asNumber(pick(res.body, 'parameters', 'retry_after'));
      return {
        kind: 'retry',
        waitMs: retryAfterS !== null ? retryAfterS * 1000 : backoffMs,
        reason,
      };
    }
    return res.status >= 500
      ? { kind: 'retry', waitMs: backoffMs, reason }
      : { kind: 'failed', reason };
  }
}

type SendOutcome =
  | { kind: 'sent' }
  | { kind: 'retry'; waitMs: number; reason: string }
  | { kind: 'failed'; reason: string };
