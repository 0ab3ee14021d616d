import type { Logger } from '../log.js';
import type { JobQueue } from './job-queue.js';

/** What one heartbeat reported: the lease was extended (maybe with a cancel request) or lost. */
export type BeatResult = { kind: 'ok'; cancelRequested: boolean } | { kind: 'lease_lost' };

/** Why a keeper's signal was aborted. */
export const LEASE_END_REASONS = { lost: 'lease_lost', cancel: 'cancel_requested' } as const;
export type LeaseEndReason = (typeof LEASE_END_REASONS)[keyof typeof LEASE_END_REASONS];

export interface LeaseKeeperOptions {
  /** One fenced lease extension (a `JobQueue.heartbeat`, or the v2 HTTP heartbeat). */
  beat: () => Promise<BeatResult>;
  /** Time from the start of one heartbeat to the start of the next (about leaseMs / 3). */
  intervalMs: number;
  log: Logger;
  /** Called once when the lease is lost (another holder may own the job now). */
  onLost?: () => void;
  /** Called once when an operator asked to cancel the job. */
  onCancel?: () => void;
}

/**
 * Keeps one lease alive for as long as its holder works: it heartbeats from `start()` (right
 * after the claim) until `stop()` (in a finally, after the last fenced write). Heartbeats are
 * chained, never overlapping; a failed heartbeat (network, store hiccup) is a log line and the
 * next tick tries again, since the lease still runs for two more intervals. `signal` is aborted
 * with a `LeaseEndReason` the first time the lease is reported lost or a cancel is requested.
 */
export class LeaseKeeper {
  readonly #o: LeaseKeeperOptions;
  readonly #abort = new AbortController();
  #timer: NodeJS.Timeout | null = null;
  #inFlight: Promise<void> | null = null;
  #stopped = false;
  #lost = false;
  #cancelRequested = false;

  constructor(options: LeaseKeeperOptions) {
    this.#o = options;
  }

  /** A keeper for a job claimed from the local queue: fenced `queue.heartbeat` every leaseMs/3. */
  static forJob(
    queue: Pick<JobQueue, 'heartbeat'>,
    job: { id: number; leaseToken: string | null },
    o: { leaseMs: number; log: Logger; onLost?: () => void; onCancel?: () => void },
  ): LeaseKeeper {
    const token = job.leaseToken ?? '';
    return new LeaseKeeper({
      beat: () => queue.heartbeat(job.id, token, o.leaseMs),
      intervalMs: Math.max(50, Math.floor(o.leaseMs / 3)),
      log: o.log,
      ...(o.onLost ? { onLost: o.onLost } : {}),
      ...(o.onCancel ? { onCancel: o.onCancel } : {}),
    });
  }

  /** Aborted (reason: `LeaseEndReason`) when the lease is lost or a cancel is requested. */
  get signal(): AbortSignal {
    return this.#abort.signal;
  }

  get lost(): boolean {
    return this.#lost;
  }

  get cancelRequested(): boolean {
    return this.#cancelRequested;
  }

  start(): this {
    if (!this.#stopped && !this.#timer) this.#schedule();
    return this;
  }

  /** One heartbeat now (waits for one in flight); false when the lease is no longer held. */
  async beat(): Promise<boolean> {
    if (this.#inFlight) await this.#inFlight;
    if (this.#lost) return false;
    this.#inFlight = this.#beatOnce();
    try {
      await this.#inFlight;
    } finally {
      this.#inFlight = null;
    }
    return !this.#lost;
  }

  /** Ends the heartbeats; waits for one in flight so nothing writes after the holder let go. */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    await this.#inFlight;
  }

  /** Chained, never overlapping; a slow heartbeat shortens the wait before the next one. */
  #schedule(delayMs = this.#o.intervalMs): void {
    this.#timer = setTimeout(() => {
      this.#timer = null;
      const startedAtMs = performance.now();
      void this.beat().then((held) => {
        if (!held || this.#stopped) return;
        const tookMs = performance.now() - startedAtMs;
        this.#schedule(Math.max(0, this.#o.intervalMs - tookMs));
      });
    }, delayMs);
  }

  async #beatOnce(): Promise<void> {
    let r: BeatResult;
    try {
      r = await this.#o.beat();
    } catch (err) {
      this.#o.log.warn({ err }, 'heartbeat failed; retrying on the next tick');
      return;
    }
    if (r.kind === 'lease_lost') {
      if (this.#lost) return;
      this.#lost = true;
      this.#o.log.warn('lease lost');
      this.#abort.abort(LEASE_END_REASONS.lost);
      this.#o.onLost?.();
    } else if (r.cancelRequested && !this.#cancelRequested) {
      this.#cancelRequested = true;
      this.#abort.abort(LEASE_END_REASONS.cancel);
      this.#o.onCancel?.();
    }
  }
}
