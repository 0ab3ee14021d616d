import type { Clock } from '../clock.js';
import type { Logger } from '../log.js';
import type { DaemonTicks } from '../store/daemon-ticks/daemon-ticks.js';
import { IntervalLoop } from '../recovery/interval-loop.js';
import type { Db } from '../store/db.js';
import { JobHistoryRepo } from '../store/jobs/job-history-repo.js';

/** Jobs per move statement: one short transaction each, so claimers never wait long. */
const BATCH = 1000;
/** Batches per tick at most; the rest waits for the next tick. */
const MAX_BATCHES_PER_TICK = 50;

export interface JobHistoryMoverOptions {
  db: Db;
  clock: Clock;
  log: Logger;
  /** Finished jobs untouched for this long move to job_history; 0 = never. */
  afterMs: () => number;
  intervalMs: number;
  ticks?: DaemonTicks;
  owner: string;
}

/**
 * Keeps the hot `jobs` table small: a maintenance tick moves done, failed and cancelled jobs last
 * changed more than `afterMs` ago into `job_history`, a batch per statement (PostgreSQL: one
 * delete…returning + insert; SQLite: insert…select + delete in one transaction). Moved jobs stay
 * visible through `all_jobs` (lists, the dashboard, runs, recovery) and are never claimable.
 * Jobs with an idempotency key are not moved (docs/decisions.md). On several replicas one wins
 * each tick (DaemonTicks).
 */
export class JobHistoryMover {
  readonly #o: JobHistoryMoverOptions;
  readonly #repo: JobHistoryRepo;
  readonly #loop: IntervalLoop;
  #movedTotal = 0;

  constructor(options: JobHistoryMoverOptions) {
    this.#o = options;
    this.#repo = new JobHistoryRepo(options.db);
    this.#loop = new IntervalLoop('job-history', options.log);
  }

  /** One tick: returns how many jobs moved (0 when disabled or another replica won the tick). */
  async runOnce(): Promise<number> {
    const afterMs = this.#o.afterMs();
    if (afterMs <= 0) return 0;
    const nowMs = this.#o.clock.now();
    if (this.#o.ticks) {
      const won = await this.#o.ticks.tryTick('job_history', {
        owner: this.#o.owner,
        nowMs,
        takeoverMs: 2 * this.#o.intervalMs,
      });
      if (!won) return 0;
    }
    let moved = 0;
    for (let i = 0; i < MAX_BATCHES_PER_TICK; i++) {
      const n = await this.#repo.moveBatch(nowMs - afterMs, BATCH);
      moved += n;
      if (n < BATCH) break;
    }
    this.#movedTotal += moved;
    if (moved > 0) this.#o.log.info({ daemon: 'job-history', moved }, 'finished jobs moved');
    return moved;
  }

  get movedTotal(): number {
    return this.#movedTotal;
  }

  start(): void {
    if (this.#o.afterMs() <= 0) return;
    this.#loop.start(() => this.runOnce(), this.#o.intervalMs);
  }

  async stop(timeoutMs = 5000): Promise<void> {
    await this.#loop.stop(timeoutMs);
  }
}
