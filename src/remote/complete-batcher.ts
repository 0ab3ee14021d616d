import { payloadToJson } from '../queue/enqueue-input.js';
import type { JobQueue } from '../queue/job-queue.js';
import type { FencedResult } from '../queue/queue-calls.js';

type Completed = FencedResult<{ runId: number | null }>;

interface Pending {
  id: number;
  leaseToken: string;
  result: unknown;
  tenantId: string;
  settle: (r: Completed | Error) => void;
}

/**
 * Completes taken out of the batcher to be written with something else in one transaction (the
 * lease hub's claim). Exactly one of `settle` (after the commit) or `putBack` (the transaction
 * failed: they wait for the batcher's own flush again) must be called. A transaction whose
 * COMMIT reply was lost may have been written after all; the flush then finds the jobs done with
 * the same tokens and reports `ok` (a retried complete is idempotent).
 */
export interface CarriedCompletes {
  items: { id: number; leaseToken: string; result: unknown; tenantId: string }[];
  settle(results: readonly Completed[]): void;
  putBack(): void;
}

/** A batch is flushed when it reaches this size, or BATCH_WINDOW_MS after its first request. */
const MAX_BATCH = 200;
/** Bounded exposure: a complete waits at most this long for company. */
export const BATCH_WINDOW_MS = 2;

/**
 * Group commit for successful completes: requests arriving within BATCH_WINDOW_MS are written
 * with one `completeBatch` statement (one commit instead of one each — on SQLite with
 * synchronous=FULL each commit is an fsync). Each job stays fenced by its own token, and a
 * repeated complete with the same token is `ok` (idempotent), as with `complete`. A result that
 * cannot be stored is refused before batching, so it fails only its own request. Another writer
 * may `take` the pending completes and write them in its own transaction (the lease hub, with
 * its next claim), saving their commit.
 */
export class CompleteBatcher {
  readonly #queue: JobQueue;
  #pending: Pending[] = [];
  #timer: NodeJS.Timeout | null = null;

  constructor(queue: JobQueue) {
    this.#queue = queue;
  }

  /**
   * Completes a job held by `tenantId`'s agent, fenced by its token and its tenant; `ok` carries
   * the run the job belongs to. `lease_lost` also covers a job of another tenant (the caller
   * tells the two apart only then, so the usual complete is one statement shared by the batch).
   */
  complete(id: number, leaseToken: string, result: unknown, tenantId: string): Promise<Completed> {
    try {
      payloadToJson(result);
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
    return new Promise((resolve, reject) => {
      this.#pending.push({
        id,
        leaseToken,
        result,
        tenantId,
        settle: (r) => (r instanceof Error ? reject(r) : resolve(r)),
      });
      this.#schedule();
    });
  }

  #schedule(): void {
    if (this.#pending.length >= MAX_BATCH) void this.#flush();
    else if (!this.#timer && this.#pending.length > 0) {
      this.#timer = setTimeout(() => void this.#flush(), BATCH_WINDOW_MS);
    }
  }

  /** The completes waiting for their window, if any, for the caller to write (see the class). */
  take(): CarriedCompletes | null {
    const batch = this.#pending.splice(0, MAX_BATCH);
    if (batch.length === 0) return null;
    return {
      items: batch,
      settle: (results) => batch.forEach((p, i) => p.settle(results[i]!)),
      putBack: () => {
        this.#pending.unshift(...batch);
        this.#schedule();
      },
    };
  }

  async #flush(): Promise<void> {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    const batch = this.#pending.splice(0, MAX_BATCH);
    if (batch.length === 0) return;
    this.#schedule(); // more than one batch was waiting
    try {
      const results = await this.#queue.completeBatch(batch);
      batch.forEach((p, i) => p.settle(results[i]!));
    } catch (err) {
      for (const p of batch) p.settle(err as Error);
    }
  }
}
