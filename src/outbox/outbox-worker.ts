import type { Clock } from '../clock.js';
import type { Logger } from '../log.js';
import { assertNever } from '../errors.js';
import { DEFAULT_OUTBOX_RETRY, outboxFailure, type OutboxRetryPolicy } from './outbox-retry.js';
import type { Queryable } from '../store/db.js';
import type { OutboxEntry, OutboxRow, OutboxStore } from '../store/outbox/outbox-store.js';
import type { OutboxWriter } from './outbox-writer.js';

export interface OutboxWorkerOptions {
  store: OutboxStore;
  /** Delivers one row; throws (classified, see `outboxFailure`) when it did not happen. */
  deliver: (row: OutboxRow) => Promise<void>;
  clock: Clock;
  log: Logger;
  /** Kill-switch (ORCH_OUTBOX_ENABLED): when false, rows wait in the table, nothing is sent. */
  enabled: () => boolean;
  retry?: OutboxRetryPolicy;
  /** Fallback poll (retries that came due, rows written by other replicas); default 1000 ms. */
  pollIntervalMs?: number;
  /** Claim lease: a deliverer that crashed loses its rows after this long; default 60 s. */
  claimMs?: number;
  /** Rows claimed per statement; default 20 (at most one per task, see OutboxStore). */
  batch?: number;
}

/** Delivered rows are kept this long (history for /queue and post-mortems), then deleted. */
const KEEP_DELIVERED_MS = 7 * 24 * 3600_000;
const PRUNE_EVERY_MS = 3600_000;

/**
 * Delivers the outbox: claims the head row of each task (so one task's effects go out in order),
 * delivers it, marks it delivered, and repeats until nothing is deliverable. A failure backs the
 * row off (and holds back that task's later rows); after the retry cap, or at once for a
 * permanent error, the row is dead: logged, counted, and skipped so the task's later effects
 * flow again. At least once: a crash after the delivery and before the mark repeats that one
 * effect when the claim lease expires. `wake()` (after a commit) makes delivery immediate;
 * otherwise the loop polls. Daemon contract as in src/recovery: `runOnce`, `start`, `stop`.
 */
export class OutboxWorker implements OutboxWriter {
  readonly #o: OutboxWorkerOptions;
  readonly #retry: OutboxRetryPolicy;
  #running = false;
  #loop: Promise<void> | null = null;
  #woken = false;
  #wakeSleeper: (() => void) | null = null;
  #lastPruneMs = Number.NEGATIVE_INFINITY;
  #deliveredTotal = 0;
  #failedTotal = 0;
  #deadTotal = 0;
  #lastError: { id: number; kind: string; error: string } | null = null;

  constructor(options: OutboxWorkerOptions) {
    this.#o = options;
    this.#retry = options.retry ?? DEFAULT_OUTBOX_RETRY;
  }

  /** Delivers every row deliverable now; returns how many rows were attempted. */
  async runOnce(): Promise<number> {
    if (!this.#o.enabled()) return 0;
    let attempted = 0;
    for (;;) {
      const rows = await this.#o.store.claim({
        nowMs: this.#o.clock.now(),
        max: this.#o.batch ?? 20,
        claimMs: this.#o.claimMs ?? 60_000,
      });
      if (rows.length === 0) break;
      attempted += rows.length;
      // One row per task in a claim: different tasks may go out concurrently.
      await Promise.all(rows.map((row) => this.#deliverOne(row)));
    }
    await this.#maybePrune();
    return attempted;
  }

  /** Adds rows inside the caller's transaction (they are delivered once it commits). */
  add(q: Queryable, entries: readonly OutboxEntry[], nowMs: number): Promise<void> {
    return this.#o.store.add(q, entries, nowMs);
  }

  /** Hint that rows were committed: the running loop delivers at once instead of at its poll. */
  wake(): void {
    this.#woken = true;
    this.#wakeSleeper?.();
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#loop = this.#run();
  }

  /**
   * Stops the loop: waits for the pass in flight, then makes one last pass so effects committed
   * just before shutdown go out now rather than at the next start; all of it at most `timeoutMs`
   * (what is left stays in the outbox).
   */
  async stop(timeoutMs = 5000): Promise<void> {
    this.#running = false;
    this.#wakeSleeper?.();
    const loop = this.#loop;
    this.#loop = null;
    if (!loop) return;
    const last = loop
      .then(() => this.runOnce())
      .then(
        () => undefined,
        (err: unknown) => this.#o.log.error({ err, daemon: 'outbox' }, 'outbox last pass failed'),
      );
    let t: NodeJS.Timeout | undefined;
    await Promise.race([last, new Promise<void>((r) => (t = setTimeout(r, timeoutMs)))]);
    clearTimeout(t);
  }

  async status() {
    const s = await this.#o.store.stats();
    const nowMs = this.#o.clock.now();
    return {
      enabled: this.#o.enabled(),
      running: this.#running,
      pending: s.pending,
      oldest_pending_age_s:
        s.oldestPendingAtMs === null ? null : Math.max(0, (nowMs - s.oldestPendingAtMs) / 1000),
      retrying: s.retrying,
      delivered: s.delivered,
      dead: s.dead,
      delivered_total: this.#deliveredTotal,
      failed_attempts_total: this.#failedTotal,
      dead_total: this.#deadTotal,
      last_error: this.#lastError,
      max_attempts: this.#retry.maxAttempts,
    };
  }

  async #run(): Promise<void> {
    while (this.#running) {
      this.#woken = false;
      try {
        await this.runOnce();
      } catch (err) {
        this.#o.log.error({ err, daemon: 'outbox' }, 'outbox pass failed');
      }
      if (!this.#running) break;
      await this.#sleep(this.#o.pollIntervalMs ?? 1000);
    }
  }

  async #sleep(ms: number): Promise<void> {
    if (this.#woken) return;
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.#wakeSleeper = null;
        resolve();
      };
      const timer = setTimeout(done, ms);
      timer.unref();
      this.#wakeSleeper = done;
    });
  }

  async #deliverOne(row: OutboxRow): Promise<void> {
    const log = this.#o.log.child({ daemon: 'outbox', taskId: row.taskId });
    try {
      await this.#o.deliver(row);
    } catch (err) {
      await this.#failed(row, err, log);
      return;
    }
    this.#deliveredTotal++;
    if (!(await this.#o.store.delivered(row, this.#o.clock.now())))
      log.warn({ outboxId: row.id }, 'outbox: claim lost before marking; the row may repeat');
  }

  async #failed(row: OutboxRow, err: unknown, log: Logger): Promise<void> {
    const nowMs = this.#o.clock.now();
    const error = err instanceof Error ? err.message : String(err);
    const decision = outboxFailure(err, row.attempts, this.#retry);
    this.#failedTotal++;
    this.#lastError = { id: row.id, kind: row.kind, error };
    switch (decision.kind) {
      case 'retry':
        log.warn(
          { err, outboxId: row.id, effect: row.kind, attempts: row.attempts + 1 },
          `outbox: ${row.kind} failed; retry in ${Math.round(decision.delayMs / 1000)}s`,
        );
        await this.#o.store.failed(row, { nowMs, error, retryAtMs: nowMs + decision.delayMs });
        return;
      case 'dead':
        this.#deadTotal++;
        log.error(
          {
            err,
            outboxId: row.id,
            effect: row.kind,
            attempts: row.attempts + 1,
            why: decision.why,
          },
          `outbox: ${row.kind} dead (${decision.why}); not delivered`,
        );
        await this.#o.store.failed(row, { nowMs, error, retryAtMs: null });
        return;
      default:
        assertNever(decision, 'outbox failure');
    }
  }

  async #maybePrune(): Promise<void> {
    const nowMs = this.#o.clock.now();
    if (nowMs - this.#lastPruneMs < PRUNE_EVERY_MS) return;
    this.#lastPruneMs = nowMs;
    await this.#o.store.prune(nowMs - KEEP_DELIVERED_MS);
  }
}
