import type { Clock } from '../clock.js';
import type { SecretMasker } from '../config/secret-masker.js';
import type { Db, Queryable } from '../store/db.js';
import { OrchError } from '../errors.js';
import { JobsRepo } from '../store/jobs/jobs-repo.js';
import { normalizeEnqueue, payloadToJson, type EnqueueInput } from './enqueue-input.js';
import { decideFailure, type FailureInput, type RetryPolicy } from './failure-policy.js';
import { isJobStatus, jobFromRow, type Job, type JobStatus } from './job.js';
import {
  assertCompleteBatch,
  checkClaim,
  type ClaimOptions,
  type CompleteItem,
  type FencedResult,
} from './queue-calls.js';
import { WakeSignal } from './wake-signal.js';

export interface QueueOptions {
  clock: Clock;
  retry: RetryPolicy;
  defaultMaxAttempts: number;
  /** How long a waiting claimer sleeps between polls when no hint arrives. */
  pollIntervalMs: number;
  wake?: WakeSignal;
  /**
   * Applied to every error text before it is stored (config/secret-masker.ts): a failure's
   * words often quote the agent's or a tool's output, and job errors are served by the API.
   */
  mask?: SecretMasker;
}

export interface QueueCounts {
  byStatus: Record<JobStatus, number>;
  byKind: { kind: string; status: JobStatus; count: number; oldestAvailableAtMs: number | null }[];
}

/**
 * The durable job queue. Every state change is one conditional statement; every write by a lease
 * holder is fenced by `(id, lease_token, status='running')` and a write that matches no row
 * returns `{ kind: 'lease_lost' }` instead of throwing.
 */
export class JobQueue {
  readonly db: Db;
  readonly wake: WakeSignal;
  readonly #opts: QueueOptions;
  readonly #repo: JobsRepo;

  constructor(db: Db, options: QueueOptions) {
    this.db = db;
    this.#opts = options;
    this.#repo = new JobsRepo(db);
    this.wake = options.wake ?? new WakeSignal();
  }

  #mask(text: string): string {
    return this.#opts.mask ? this.#opts.mask(text) : text;
  }

  get clock(): Clock {
    return this.#opts.clock;
  }

  /** Starts cross-process wake-up (PostgreSQL LISTEN); the queue works without it, by polling. */
  async start(): Promise<void> {
    await this.wake.start(this.db);
  }

  async close(): Promise<void> {
    await this.wake.close();
  }

  async enqueue(input: EnqueueInput): Promise<{ job: Job; created: boolean }> {
    const [first] = await this.enqueueBatch([input]);
    return first!;
  }

  /**
   * Enqueues inside the caller's transaction `q` (e.g. together with a task's stage change), so
   * both commit or neither does. Claimers are not woken: call `wake.notify()` after the commit.
   */
  enqueueIn(q: Queryable, input: EnqueueInput): Promise<{ job: Job; created: boolean }> {
    return this.#insert(q, [input]).then((r) => r[0]!);
  }

  /** All-or-nothing: every input is validated before anything is written. */
  async enqueueBatch(inputs: readonly EnqueueInput[]): Promise<{ job: Job; created: boolean }[]> {
    const result =
      inputs.length <= 1
        ? await this.#insert(this.db, inputs)
        : await this.db.tx((q) => this.#insert(q, inputs));
    if (result.some((r) => r.created)) this.wake.notify();
    return result;
  }

  async #insert(
    q: Queryable,
    inputs: readonly EnqueueInput[],
  ): Promise<{ job: Job; created: boolean }[]> {
    const nowMs = this.clock.now();
    const rows = inputs.map((i) =>
      normalizeEnqueue(i, { nowMs, maxAttempts: this.#opts.defaultMaxAttempts }),
    );
    const repo = q === this.db ? this.#repo : new JobsRepo(q);
    const out: { job: Job; created: boolean }[] = [];
    for (const r of rows) {
      const inserted = await repo.insert(r, nowMs);
      if (inserted) {
        out.push({ job: jobFromRow(inserted), created: true });
        continue;
      }
      // Keyed jobs never move to job_history (docs/decisions.md), so the key's job is in jobs.
      const existing = await repo.byKey(r.tenantId, r.idempotencyKey);
      out.push({ job: jobFromRow(existing!), created: false });
    }
    return out;
  }

  /**
   * Makes a queued job that was enqueued held (available later) claimable now, e.g. once the
   * work it waits for is in place. A job already claimable, claimed or finished is left alone.
   */
  async release(id: number): Promise<boolean> {
    const released = await this.#repo.release(id, this.clock.now());
    if (released) await this.#hint('release');
    return released;
  }

  /**
   * Wakes the longest waiter for `waitsFor`: of the queued `kind` jobs whose payload names it
   * (`waitsFor`), the one due first becomes claimable now. Returns its id, or null if none waits.
   * Used when a resource frees up (a merge lease released) so the next waiter need not sleep out
   * its re-check delay.
   */
  async wakeWaiting(kind: string, waitsFor: string): Promise<number | null> {
    const id = await this.#repo.wakeWaiting(kind, waitsFor, this.clock.now());
    if (id !== null) await this.#hint(kind);
    return id;
  }

  /**
   * Wakes task `taskId`'s own job waiting for `waitsFor` — for a waiter that finds the resource
   * free right after it started waiting — unless another task's waiter for it is due or running
   * already (woken by whoever freed it): that one goes first, and this one keeps waiting.
   */
  async wakeOwn(kind: string, waitsFor: string, taskId: number): Promise<number | null> {
    const id = await this.#repo.wakeOwn(kind, waitsFor, taskId, this.clock.now());
    if (id !== null) await this.#hint(kind);
    return id;
  }

  /** Claims up to `max` jobs in one statement; see src/store/jobs/jobs-sql.ts. */
  async claim(options: ClaimOptions): Promise<Job[]> {
    return this.#claimIn(this.#repo, options, checkClaim(options));
  }

  async #claimIn(repo: JobsRepo, options: ClaimOptions, max: number): Promise<Job[]> {
    const claimed = await repo.claim({
      kinds: options.kinds ?? null,
      nowMs: this.clock.now(),
      labels: options.labels ?? [],
      max,
      owner: options.owner,
      excludeKinds: options.excludeKinds ?? [],
      tenantId: options.tenantId ?? null,
      leaseMs: options.leaseMs,
      excludeProjects: options.excludeProjects ?? [],
    });
    // A queued job with a pending cancel ends cancelled in the claim itself (job-transitions.ts): it
    // is never handed out (the repository leaves it out).
    return claimed.sort((a, b) => b.priority - a.priority || a.id - b.id);
  }

  /**
   * Claims, and if nothing is available waits for a wake-up hint (or the poll interval) and tries
   * again, until `waitMs` has passed. Returns [] on timeout or abort.
   */
  async claimWait(
    options: ClaimOptions & { waitMs: number; signal?: AbortSignal },
  ): Promise<Job[]> {
    const deadline = this.clock.now() + options.waitMs;
    for (;;) {
      const waiter = this.wake.subscribe();
      try {
        const jobs = await this.claim(options);
        const left = deadline - this.clock.now();
        if (jobs.length > 0 || left <= 0 || options.signal?.aborted) return jobs;
        await waiter.wait(Math.min(left, this.#opts.pollIntervalMs), options.signal);
      } finally {
        waiter.dispose();
      }
    }
  }

  /** Extends the lease; reports whether an admin asked to cancel the job. */
  async heartbeat(
    id: number,
    leaseToken: string,
    leaseMs: number,
  ): Promise<FencedResult<{ leaseExpiresAtMs: number; cancelRequested: boolean }>> {
    const nowMs = this.clock.now();
    const row = await this.#repo.heartbeat({ id, leaseToken }, nowMs, nowMs + Math.round(leaseMs));
    if (!row) return { kind: 'lease_lost' };
    return {
      kind: 'ok',
      leaseExpiresAtMs: row.lease_expires_at_ms,
      cancelRequested: Boolean(row.cancel_requested),
    };
  }

  /** Records the process and agent run executing a held job (for liveness checks). */
  async attach(
    id: number,
    leaseToken: string,
    fields: { pid?: number | null; agentRunId?: number | null },
  ): Promise<FencedResult<object>> {
    const attached = await this.#repo.attach(
      { id, leaseToken },
      { pid: fields.pid ?? null, agentRunId: fields.agentRunId ?? null },
      this.clock.now(),
    );
    return attached ? { kind: 'ok' } : { kind: 'lease_lost' };
  }

  /** Marks a held job done. Repeating it with the same token is idempotent. */
  async complete(
    id: number,
    leaseToken: string,
    result?: unknown,
  ): Promise<FencedResult<{ job: Job }>> {
    const resultJson = result === undefined ? null : payloadToJson(result);
    const row = await this.#repo.complete({ id, leaseToken }, resultJson, this.clock.now());
    if (row) return { kind: 'ok', job: jobFromRow(row) };
    const same = await this.get(id);
    if (same?.status === 'done' && same.leaseToken === leaseToken) return { kind: 'ok', job: same };
    return { kind: 'lease_lost' };
  }

  /**
   * `complete` for many held jobs in one statement (one commit instead of one per job). Each job
   * is fenced by its own token, exactly as `complete` is, and, with `tenantId`, by its tenant (a
   * tenant's agent never finishes another tenant's job); result i belongs to item i, with the run
   * the job belongs to. A job whose lease was lost is `lease_lost` and does not stop the others; a
   * retry is idempotent.
   */
  async completeBatch(
    items: readonly CompleteItem[],
  ): Promise<FencedResult<{ runId: number | null }>[]> {
    assertCompleteBatch(items);
    if (items.length === 0) return [];
    return this.#completeBatchIn(this.#repo, items);
  }

  /**
   * `completeBatch(done)`, then `claim(options)`, in one transaction: one commit instead of two.
   * On SQLite (synchronous=FULL) a commit is an fsync that blocks the event loop; the lease hub
   * carries the agents' completes still waiting for their batch window along with its next claim
   * (src/remote/lease-hub.ts). Both are written or neither is.
   */
  async completeThenClaim(
    done: readonly CompleteItem[],
    options: ClaimOptions,
  ): Promise<{ completed: FencedResult<{ runId: number | null }>[]; claimed: Job[] }> {
    const max = checkClaim(options);
    assertCompleteBatch(done);
    if (done.length === 0) return { completed: [], claimed: await this.claim(options) };
    return this.db.tx(async (q) => {
      const repo = new JobsRepo(q);
      const completed = await this.#completeBatchIn(repo, done);
      return { completed, claimed: await this.#claimIn(repo, options, max) };
    });
  }

  async #completeBatchIn(
    repo: JobsRepo,
    items: readonly CompleteItem[],
  ): Promise<FencedResult<{ runId: number | null }>[]> {
    const batch = items.map((i) => ({
      id: i.id,
      leaseToken: i.leaseToken,
      resultJson: i.result === undefined ? null : payloadToJson(i.result),
      tenantId: i.tenantId ?? null,
    }));
    const finished = await repo.completeBatch(batch, this.clock.now());
    const out: FencedResult<{ runId: number | null }>[] = [];
    for (const { id, leaseToken, tenantId } of items) {
      // Matched on token and tenant too: a second item for the same job (a stale token, another
      // tenant's guess) in the same batch is not told that its complete went through.
      const done = finished.get(id);
      const mine =
        done?.leaseToken === leaseToken && (tenantId === undefined || done.tenantId === tenantId);
      if (mine) out.push({ kind: 'ok', runId: done.runId });
      else {
        // Read through `repo`: inside completeThenClaim's transaction, the queue's own
        // connection would wait for that transaction to end (SQLite) or not see its writes.
        const same = await repo.byId(id);
        const retried =
          same?.status === 'done' &&
          same.lease_token === leaseToken &&
          (tenantId === undefined || same.tenant_id === tenantId);
        out.push(retried ? { kind: 'ok', runId: same.run_id } : { kind: 'lease_lost' });
      }
    }
    return out;
  }

  /**
   * Records a failed attempt: permanent → requeue while attempts remain, else failed; transient →
   * backoff on its own budget (Retry-After as a floor), else failed. See failure-policy.ts.
   */
  async fail(
    id: number,
    leaseToken: string,
    failure: FailureInput & { error: string },
  ): Promise<FencedResult<{ job: Job }>> {
    const nowMs = this.clock.now();
    const held = await this.#repo.held({ id, leaseToken });
    if (!held) return { kind: 'lease_lost' };
    const d = decideFailure(
      {
        attempts: held.attempts,
        maxAttempts: held.max_attempts,
        transientAttempts: held.transient_attempts,
      },
      failure,
      this.#opts.retry,
      nowMs,
    );
    const write = {
      attempts: d.attempts,
      transientAttempts: d.transientAttempts,
      error: this.#mask(failure.error).slice(0, 4000),
      nowMs,
      seenAttempts: held.attempts,
      seenTransientAttempts: held.transient_attempts,
    };
    const availableAtMs = d.next === 'queued' ? d.availableAtMs : null;
    const row = await this.#repo.fail({ id, leaseToken }, write, availableAtMs);
    if (!row) return { kind: 'lease_lost' };
    if (row.status === 'queued') await this.#hint(row.kind);
    return { kind: 'ok', job: jobFromRow(row) };
  }

  /** Puts a held job back to sleep for `delayMs` without consuming an attempt. */
  async snooze(
    id: number,
    leaseToken: string,
    delayMs: number,
    reason?: string,
  ): Promise<FencedResult<{ job: Job }>> {
    const nowMs = this.clock.now();
    const row = await this.#repo.snooze(
      { id, leaseToken },
      {
        availableAtMs: nowMs + Math.max(0, Math.round(delayMs)),
        reason: reason === undefined ? null : this.#mask(reason),
        nowMs,
      },
    );
    return row ? { kind: 'ok', job: jobFromRow(row) } : { kind: 'lease_lost' };
  }

  /** The lease holder ends its job as cancelled (e.g. after an admin's cancel request). */
  async cancel(
    id: number,
    leaseToken: string,
    reason = 'cancelled',
  ): Promise<FencedResult<{ job: Job }>> {
    const nowMs = this.clock.now();
    const row = await this.#repo.cancel({ id, leaseToken }, this.#mask(reason), nowMs);
    return row ? { kind: 'ok', job: jobFromRow(row) } : { kind: 'lease_lost' };
  }

  #hint(kind: string): Promise<void> {
    this.wake.notify();
    return this.#repo.notifyClaimers(kind);
  }

  /** A job by id, whether live or moved to job_history. */
  async get(id: number): Promise<Job | undefined> {
    const row = await this.#repo.byId(id);
    return row ? jobFromRow(row) : undefined;
  }

  static assertStatus(status: string): JobStatus {
    if (!isJobStatus(status)) {
      throw new OrchError('INVALID_STATUS', `unknown job status "${status}"`);
    }
    return status;
  }
}
