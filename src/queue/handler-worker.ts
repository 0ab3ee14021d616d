import type { Logger } from '../log.js';
import { ORCH_TENANT } from './enqueue-input.js';
import type { JobQueue } from './job-queue.js';
import type { Job } from './job.js';

/** How a handler's error is retried: permanent (attempts) or transient (backoff budget). */
export type HandlerErrorClass =
  { kind: 'permanent' } | { kind: 'transient'; retryAfterMs: number | null };

export interface HandlerWorkerOptions {
  queue: JobQueue;
  log: Logger;
  owner: string;
  /** In-process handlers by job kind (e.g. `webhook.plane`). The result is stored on the job. */
  handlers: Readonly<Record<string, (job: Job) => Promise<unknown>>>;
  classify: (err: unknown) => HandlerErrorClass;
  /** A job that failed for good (the pipeline blocks its work item). */
  onJobEnded?: ((job: Job) => Promise<void>) | undefined;
  leaseMs: number;
  pollIntervalMs: number;
}

/**
 * Runs in-process jobs (webhook deliveries) one at a time: claim → handler → complete, or fail
 * as the classifier says. Like the agent worker, every write is fenced by the lease token, a
 * failed tick is a log line, and `runOnce()` drives it in tests.
 */
export class HandlerWorker {
  readonly #o: HandlerWorkerOptions;
  #loop: Promise<void> | null = null;
  #abort: AbortController | null = null;
  processed = 0;

  constructor(options: HandlerWorkerOptions) {
    this.#o = options;
  }

  get kinds(): string[] {
    return Object.keys(this.#o.handlers);
  }

  /** Claims and runs at most one job; returns it, or null when there was none. */
  async runOnce(): Promise<Job | null> {
    const { queue, leaseMs, owner } = this.#o;
    // Orch's own jobs only: a tenant cannot make Orch run a handler (issue 13).
    const claim = { kinds: this.kinds, tenantId: ORCH_TENANT, max: 1, leaseMs, owner };
    const [job] = await queue.claim(claim);
    if (!job) return null;
    await this.#run(job);
    return job;
  }

  async #run(job: Job): Promise<void> {
    const { queue, log } = this.#o;
    const token = job.leaseToken!;
    try {
      const result = await this.#o.handlers[job.kind]!(job);
      const done = await queue.complete(job.id, token, result ?? null);
      if (done.kind === 'lease_lost')
        log.warn({ jobId: job.id }, 'handler finished after losing its lease');
      this.processed++;
    } catch (err) {
      const c = this.#o.classify(err);
      const error = err instanceof Error ? err.message : String(err);
      log.warn({ err, jobId: job.id, kind: job.kind, retry: c.kind }, 'handler failed');
      const res = await queue.fail(
        job.id,
        token,
        c.kind === 'transient'
          ? { kind: 'transient', retryAfterMs: c.retryAfterMs, error }
          : { kind: 'permanent', error },
      );
      if (res.kind === 'ok' && res.job.status === 'failed' && this.#o.onJobEnded)
        await this.#o.onJobEnded(res.job);
    }
  }

  start(): void {
    if (this.#loop || this.kinds.length === 0) return;
    this.#abort = new AbortController();
    const signal = this.#abort.signal;
    this.#loop = (async () => {
      while (!signal.aborted) {
        const waiter = this.#o.queue.wake.subscribe();
        try {
          while (!signal.aborted && (await this.runOnce())) {
            // drain
          }
        } catch (err) {
          this.#o.log.error({ err, daemon: 'handler-worker' }, 'handler tick failed');
        }
        try {
          await waiter.wait(this.#o.pollIntervalMs, signal);
        } finally {
          waiter.dispose();
        }
      }
    })();
  }

  async stop(): Promise<void> {
    this.#abort?.abort();
    await this.#loop;
    this.#loop = null;
  }

  status() {
    return { kinds: this.kinds, processed: this.processed, running: this.#loop !== null };
  }
}
