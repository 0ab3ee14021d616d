import type { Db } from '../store/db.js';
import { listenForJobs, type JobsListener } from '../store/jobs/jobs-listener.js';

export interface Waiter {
  /** Resolves on a hint, after `timeoutMs`, or when the signal aborts; never rejects. */
  wait(timeoutMs: number, signal?: AbortSignal): Promise<void>;
  dispose(): void;
}

/**
 * Wake-up hints for waiting claimers. A hint only says "try claiming again": the claim statement
 * is always the truth, and claimers poll as a fallback, so a lost hint costs latency, not work.
 * SQLite: in-process only. PostgreSQL: LISTEN orch_jobs on a dedicated connection (the jobs
 * insert trigger NOTIFYs), so claimers in other processes wake too.
 */
export class WakeSignal {
  readonly #pending = new Set<() => void>();
  #listener: JobsListener | null = null;

  /** Subscribe *before* claiming, so a hint that lands between claim and wait is not missed. */
  subscribe(): Waiter {
    let fired = false;
    let wake: () => void = () => {
      fired = true;
    };
    const fire = () => wake();
    this.#pending.add(fire);
    return {
      wait: (timeoutMs, signal) =>
        new Promise<void>((resolve) => {
          if (fired || signal?.aborted) return resolve();
          const done = () => {
            clearTimeout(timer);
            signal?.removeEventListener('abort', done);
            this.#pending.delete(fire);
            resolve();
          };
          const timer = setTimeout(done, Math.max(0, timeoutMs));
          signal?.addEventListener('abort', done, { once: true });
          wake = done;
        }),
      dispose: () => this.#pending.delete(fire),
    };
  }

  /** Wakes every waiter in this process. */
  notify(): void {
    const waiters = [...this.#pending];
    this.#pending.clear();
    for (const fire of waiters) fire();
  }

  /** On PostgreSQL, starts listening for hints from every process on the database. */
  async start(db: Db): Promise<void> {
    if (this.#listener) return;
    // A dropped listener only costs latency (claimers poll); never crash the process for it.
    this.#listener = await listenForJobs(
      db,
      () => this.notify(),
      () => {
        this.#listener = null;
      },
    );
  }

  async close(): Promise<void> {
    this.notify();
    const listener = this.#listener;
    this.#listener = null;
    if (listener) await listener.close();
  }
}
