import type { Logger } from '../log.js';
import { ORCH_TENANT } from './enqueue-input.js';
import type { JobQueue } from './job-queue.js';
import type { Job } from './job.js';
import { LeaseKeeper } from './lease-keeper.js';

/** How a handler's error is retried: permanent (attempts) or transient (backoff budget). */
export type HandlerErrorClass =
  { kind: 'permanent' } | { kind: 'transient'; retryAfterMs: number | null };

/**
 * An in-process job handler. `signal` is aborted when the job's lease is lost or an operator asks
 * to cancel it; a long handler should stop early then (its result would not be recorded).
 */
export type JobHandler = (job: Job, signal: AbortSignal) => Promise<unknown>;

export interface HandlerWorkerOptions {
  queue: JobQueue;
  log: Logger;
  owner: string;
  /** A name for logs and `/queue` (e.g. `webhooks`, `rechecks`). */
  name?: string;
  /** In-process handlers by job kind (e.g. `webhook.plane`). The result is stored on the job. */
  handlers: Readonly<Record<string, JobHandler>>;
  classify: (err: unknown) => HandlerErrorClass;
  /** A job that failed for good (the pipeline blocks its work item). */
  onJobEnded?: ((job: Job) => Promise<void>) | undefined;
  leaseMs: number;
  pollIntervalMs: number;
  /** Jobs handled at once by this pool (default 1: one at a time, in claim order). */
  concurrency?: number;
  /** Jobs this pool just leased (counted as `orch_job_claims_total{source="local"}`). */
  onClaimed?: (jobs: readonly Job[]) => void;
}

/**
 * A pool of in-process jobs (webhook deliveries, pipeline rechecks): claim → handler → complete,
 * or fail as the classifier says. The lease is kept by a LeaseKeeper for as long as the handler
 * runs, so a handler longer than a lease is never requeued and run twice; every write is fenced
 * by the lease token. A failed tick is a log line, and `runOnce()` drives it in tests.
 */
export class HandlerWorker {
  readonly #o: HandlerWorkerOptions;
  readonly #running = new Map<number, { done: Promise<void>; keeper: LeaseKeeper }>();
  #loop: Promise<void> | null = null;
  #abort: AbortController | null = null;
  #stopping = false;
  processed = 0;

  constructor(options: HandlerWorkerOptions) {
    this.#o = options;
  }

  get kinds(): string[] {
    return Object.keys(this.#o.handlers);
  }

  get #concurrency(): number {
    return Math.max(1, this.#o.concurrency ?? 1);
  }

  /** Claims and runs at most one job to the end; returns it, or null when there was none. */
  async runOnce(): Promise<Job | null> {
    const [job] = await this.#claim(1);
    if (!job) return null;
    await this.#run(job, this.#keeperFor(job));
    return job;
  }

  #keeperFor(job: Job): LeaseKeeper {
    const { queue, leaseMs } = this.#o;
    return LeaseKeeper.forJob(queue, job, { leaseMs, log: this.#o.log.child({ jobId: job.id }) });
  }

  async #claim(max: number): Promise<Job[]> {
    if (this.#stopping || this.kinds.length === 0) return [];
    const { queue, leaseMs, owner } = this.#o;
    // Orch's own jobs only: a tenant cannot make Orch run a handler (issue 13).
    const jobs = await queue.claim({
      kinds: this.kinds,
      tenantId: ORCH_TENANT,
      max,
      leaseMs,
      owner,
    });
    if (jobs.length > 0) this.#o.onClaimed?.(jobs);
    return jobs;
  }

  async #run(job: Job, keeper: LeaseKeeper): Promise<void> {
    const { queue } = this.#o;
    const log = this.#o.log.child({ jobId: job.id, kind: job.kind });
    const token = job.leaseToken!;
    keeper.start();
    try {
      const result = await this.#o.handlers[job.kind]!(job, keeper.signal);
      await keeper.stop();
      const done = keeper.cancelRequested
        ? await queue.cancel(job.id, token, 'cancelled by operator')
        : await queue.complete(job.id, token, result ?? null);
      if (done.kind === 'lease_lost') log.warn('handler finished after losing its lease');
      else if (done.job.status === 'cancelled') await this.#ended(done.job);
      this.processed++;
    } catch (err) {
      await keeper.stop();
      const c = this.#o.classify(err);
      const error = err instanceof Error ? err.message : String(err);
      log.warn({ err, retry: c.kind }, 'handler failed');
      const res = await queue.fail(
        job.id,
        token,
        c.kind === 'transient'
          ? { kind: 'transient', retryAfterMs: c.retryAfterMs, error }
          : { kind: 'permanent', error },
      );
      if (res.kind === 'ok' && res.job.status === 'failed') await this.#ended(res.job);
    } finally {
      await keeper.stop();
    }
  }

  async #ended(job: Job): Promise<void> {
    try {
      await this.#o.onJobEnded?.(job);
    } catch (err) {
      this.#o.log.error({ err, jobId: job.id }, 'could not report the end of a failed job');
    }
  }

  /** Claims up to the free slots and starts each job; a finished job wakes the loop. */
  async #fill(): Promise<void> {
    const free = this.#concurrency - this.#running.size;
    if (free <= 0) return;
    for (const job of await this.#claim(free)) {
      const keeper = this.#keeperFor(job);
      const done = this.#run(job, keeper)
        .catch((err: unknown) =>
          this.#o.log.error({ err, jobId: job.id }, 'handler crashed; lease expiry recovers it'),
        )
        .finally(() => {
          this.#running.delete(job.id);
          this.#o.queue.wake.notify();
        });
      this.#running.set(job.id, { done, keeper });
    }
  }

  start(): void {
    if (this.#loop || this.kinds.length === 0) return;
    this.#stopping = false;
    this.#abort = new AbortController();
    const signal = this.#abort.signal;
    this.#loop = (async () => {
      while (!signal.aborted) {
        const waiter = this.#o.queue.wake.subscribe();
        try {
          await this.#fill();
        } catch (err) {
          this.#o.log.error({ err, daemon: this.#name }, 'handler tick failed');
        }
        try {
          await waiter.wait(this.#o.pollIntervalMs, signal);
        } finally {
          waiter.dispose();
        }
      }
    })();
  }

  get #name(): string {
    return `handlers:${this.#o.name ?? this.kinds.join(',')}`;
  }

  /**
   * Stops claiming at once, then waits up to `drainMs` for running handlers. A handler still
   * running after that loses its heartbeats (its job stays `running`; lease expiry requeues it).
   */
  async stop(options: { drainMs?: number } = {}): Promise<void> {
    this.#stopping = true;
    this.#abort?.abort();
    await this.#loop;
    this.#loop = null;
    if (this.#running.size === 0) return;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((r) => (timer = setTimeout(r, options.drainMs ?? 30_000)));
    const runs = [...this.#running.values()];
    await Promise.race([Promise.allSettled(runs.map((r) => r.done)), timeout]);
    clearTimeout(timer);
    await Promise.all(runs.map((r) => r.keeper.stop()));
  }

  status() {
    return {
      kinds: this.kinds,
      processed: this.processed,
      running: this.#loop !== null,
      inFlight: this.#running.size,
      concurrency: this.#concurrency,
    };
  }
}
