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
  /**
   * Messages per rolling minute to one group chat (a negative chat id); default 20, the limit
   * Telegram applies to groups (https://core.telegram.org/bots/faq#my-bot-is-hitting-limits).
   */
  groupPerMinute?: number;
  /** Messages waiting per chat beyond this are dropped, oldest first; default 100. */
  maxQueue?: number;
  /** 429 (`retry_after`) and network retries per message before it is dropped; default 5. */
  maxRetries?: number;
  timeoutMs?: number;
}

interface ChatQueue {
  messages: string[];
  lastSentAtMs: number;
  /** Send times within the last minute (group chats' per-minute limit). */
  sentAtMs: number[];
  draining: Promise<void> | null;
  /** The last synchronous `deliver` of this chat (settled: never rejects). */
  sending: Promise<void>;
}

const MINUTE_MS = 60_000;

/**
 * Telegram `sendMessage` behind a per-chat queue. `send`/`notify` return at once: messages go
 * out in order, at most one per `minIntervalMs` per chat and `groupPerMinute` per minute to a
 * group, and a 429 waits the `retry_after` Telegram asks for. A group upgraded to a supergroup
 * answers 400 with `parameters.migrate_to_chat_id`: the message is resent there and every later
 * message for the old id goes to the new one (update `ORCH_TELEGRAM_CHAT_ID`; a warning says so).
 * Failures are logged (never with the token, which is part of the URL) and never reach the
 * caller, so a chat outage cannot fail a pipeline step.
 */
export class TelegramNotifier implements Notifier {
  readonly enabled: boolean;
  readonly #o: TelegramNotifierOptions;
  readonly #fetch: FetchFn;
  readonly #sleep: (ms: number) => Promise<void>;
  readonly #chats = new Map<string, ChatQueue>();
  /** Old chat id → the supergroup it was migrated to. */
  readonly #migrated = new Map<string, string>();
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
    const configured = this.#o.chatId;
    if (!this.enabled || configured === undefined) return;
    const chatId = this.chatIdFor(configured); // a group that became a supergroup
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

  /** The chat id messages for `chatId` go to (itself, or the supergroup it became). */
  chatIdFor(chatId: string): string {
    return this.#migrated.get(chatId) ?? chatId;
  }

  /** Queues one message for the configured chat (or `chatId`); never throws, never waits. */
  send(text: string, to: string | undefined = this.#o.chatId): void {
    if (!this.enabled || to === undefined) return;
    const chatId = this.chatIdFor(to);
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

  /**
   * `getMe`: proves the API is reachable and the token valid (for `orch doctor`). Never throws;
   * the reason never contains the token.
   */
  async getMe(): Promise<{ ok: true; username: string } | { ok: false; reason: string }> {
    if (!this.#o.token) return { ok: false, reason: 'no bot token configured' };
    const base = (this.#o.apiUrl ?? 'https://api.telegram.org').replace(/\/+$/, '');
    try {
      const res = await httpJson(
        this.#fetch,
        {
          method: 'GET',
          url: `${base}/bot${this.#o.token}/getMe`,
          headers: {},
          timeoutMs: this.#o.timeoutMs ?? 10_000,
        },
        'NOTIFIER',
      );
      const username = asString(pick(res.body, 'result', 'username'));
      if (res.status === 200 && username !== null) return { ok: true, username };
      const why = asString(pick(res.body, 'description')) ?? '';
      return { ok: false, reason: `HTTP ${res.status} ${why}`.trim() };
    } catch {
      return { ok: false, reason: 'Telegram API unreachable' };
    }
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
        sentAtMs: [],
        draining: null,
        sending: Promise.resolve(),
      };
      this.#chats.set(chatId, chat);
    }
    return chat;
  }

  async #drain(chatId: string, chat: ChatQueue): Promise<void> {
    for (let text = chat.messages.shift(); text !== undefined; text = chat.messages.shift()) {
      const waitMs = this.#waitBeforeSendMs(chatId, chat);
      if (waitMs > 0) await this.#sleep(waitMs);
      try {
        await this.#deliver(chatId, text);
      } catch (err) {
        this.#dropped++;
        this.#o.log.warn({ chatId, err: String(err) }, 'telegram message dropped');
      }
      const nowMs = this.#o.clock.now();
      chat.lastSentAtMs = nowMs;
      chat.sentAtMs = [...chat.sentAtMs.filter((t) => t > nowMs - MINUTE_MS), nowMs];
    }
  }

  /** How long the next message to this chat must wait: 1/s per chat, N/min per group. */
  #waitBeforeSendMs(chatId: string, chat: ChatQueue): number {
    const nowMs = this.#o.clock.now();
    const perSecond = chat.lastSentAtMs + (this.#o.minIntervalMs ?? 1000) - nowMs;
    const perMinute = this.#o.groupPerMinute ?? 20;
    const recent = chat.sentAtMs.filter((t) => t > nowMs - MINUTE_MS);
    const isGroup = chatId.startsWith('-');
    const minute =
      isGroup && recent.length >= perMinute
        ? recent[recent.length - perMinute]! + MINUTE_MS - nowMs
        : 0;
    return Math.max(perSecond, minute);
  }

  /**
   * One message with retries: 429 waits `retry_after`; 5xx and network errors back off 1 s, 2 s…;
   * a migrated group is followed (once per message) to its new chat id.
   */
  async #deliver(chatId: string, text: string): Promise<void> {
    const maxRetries = this.#o.maxRetries ?? 5;
    let target = this.chatIdFor(chatId);
    for (let attempt = 0; ; attempt++) {
      const outcome = await this.#attempt(target, text, attempt);
      if (outcome.kind === 'sent') return;
      if (outcome.kind === 'migrated' && outcome.to !== target) {
        this.#migrate(target, outcome.to);
        target = outcome.to;
        continue;
      }
      if (outcome.kind !== 'retry' || attempt >= maxRetries) {
        throw new Error(`sendMessage failed after ${attempt + 1} attempt(s): ${outcome.reason}`);
      }
      await this.#sleep(outcome.waitMs);
    }
  }

  #migrate(from: string, to: string): void {
    this.#migrated.set(from, to);
    for (const [old, now] of this.#migrated) if (now === from) this.#migrated.set(old, to);
    this.#o.log.warn(
      { chatId: from, migratedTo: to },
      'telegram group was upgraded to a supergroup: sending to the new chat id; update ORCH_TELEGRAM_CHAT_ID',
    );
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
    const migrateTo = asNumber(pick(res.body, 'parameters', 'migrate_to_chat_id'));
    if (migrateTo !== null) return { kind: 'migrated', to: String(migrateTo), reason };
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
  | { kind: 'migrated'; to: string; reason: string }
  | { kind: 'retry'; waitMs: number; reason: string }
  | { kind: 'failed'; reason: string };
