import type { Queryable } from '../store/db.js';
import type { OutboxEntry } from '../store/outbox/outbox-store.js';

/**
 * What a writer of side effects needs: add rows inside its own transaction, then (after the
 * commit) wake the deliverer. Implemented by `OutboxWorker`.
 */
export interface OutboxWriter {
  add(q: Queryable, entries: readonly OutboxEntry[], nowMs: number): Promise<void>;
  /** A hint only: rows are delivered by the worker's poll anyway. */
  wake(): void;
}
