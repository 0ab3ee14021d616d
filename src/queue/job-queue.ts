import type { Clock } from '../clock.js';
import type { SecretMasker } from '../config/secret-masker.js';
import type { Db, Queryable } from '../store/db.js';
import { OrchError } from '../errors.js';
import { claimSql } from './claim-sql.js';
import { completeBatchSql } from './complete-batch-sql.js';
import { normalizeEnqueue, payloadToJson, type EnqueueInput } from './enqueue-input.js';
import { decideFailure, type FailureInput, type RetryPolicy } from './failure-policy.js';
import { isJobStatus, jobFromRow, type Job, type JobRow, type JobStatus } from './job.js';
import { FENCE, jobQueueSql, type JobQueueSql } from './job-queue-sql.js';
import { transitionSet } from './job-transition-sql.js';
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

export interface ClaimOptions {
  /** Kinds this claimer runs; omitted = any kind. */
  kinds?: readonly string[];
  /** Labels the claimer has; a job is claimable only if all its labels are among them. */
  labels?: readonly string[];
  /** Kinds not to claim now (e.g. open circuit breakers). */
  excludeKinds?: readonly string[];
  tenantId?: string;
  max?: number;
  leaseMs: number;
  owner: string;
}

export type FencedResult<T> = ({ kind: 'ok' } & T) | { kind: 'lease_lost' };

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
  readonly #sql: JobQueueSql;

  constructor(db: Db, options: QueueOptions) {
    this.db = db;
    this.#opts = options;
    this.#sql = jobQueueSql(db.dialect);
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
    const out: { job: Job; created: boolean }[] = [];
    for (const r of rows) {
      const inserted = await q.get<JobRow>(
        `-- enqueue: insert one job unless its (tenant, idempotency key) exists
           insert into jobs (tenant_id, kind, labels, task_id, run_id, payload, priority, max_attempts,
             available_at_ms, idempotency_key, created_at_ms, updated_at_ms)
           values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11)
           on conflict (tenant_id, idempotency_key) where idempotency_key is not null do nothing
           returning *`,
        [
          r.tenantId,
          r.kind,
          r.labelsJson,
          r.taskId,
          r.runId,
          r.payloadJson,
          r.priority,
          r.maxAttempts,
          r.availableAtMs,
          r.idempotencyKey,
          nowMs,
        ],
      );
      if (inserted) {
        out.push({ job: jobFromRow(inserted), created: true });
        continue;
      }
      const existing = await q.get<JobRow>(
        '-- enqueue: the job an idempotency key already names\n select * from jobs where tenant_id = $1 and idempotency_key = $2',
        [r.tenantId, r.idempotencyKey],
      );
      out.push({ job: jobFromRow(existing!), created: false });
    }
    return out;
  }

  /**
   * Makes a queued job that was enqueued held (available later) claimable now, e.g. once the
   * work it waits for is in place. A job already claimable, claimed or finished is left alone.
   */
  async release(id: number): Promise<boolean> {
    const nowMs = this.clock.now();
    const res = await this.db.run(
      `-- release: a held queued job ($1) becomes claimable at $2
       update jobs set ${transitionSet([{ from: 'queued', event: 'release' }], {
         dialect: this.db.dialect,
         params: { now: '$2' },
       })}
       where id = $1 and status = 'queued' and available_at_ms > $2`,
      [id, nowMs],
    );
    if (res.changes === 1) await this.#hint('release');
    return res.changes === 1;
  }

  /** Claims up to `max` jobs in one statement; see claim-sql.ts. */
  async claim(options: ClaimOptions): Promise<Job[]> {
    const max = options.max ?? 1;
    if (!Number.isSafeInteger(max) || max < 1 || max > 1000) {
      throw new OrchError('INVALID_CLAIM', 'max must be an integer from 1 to 1000');
    }
    if (!(options.leaseMs > 0) || options.owner.length === 0) {
      throw new OrchError('INVALID_CLAIM', 'leaseMs must be positive and owner non-empty');
    }
    const rows = await this.db.all<JobRow>(claimSql(this.db.dialect), [
      options.kinds ? [...options.kinds] : null,
      this.clock.now(),
      JSON.stringify(options.labels ?? []),
      max,
      options.owner,
      [...(options.excludeKinds ?? [])],
      options.tenantId ?? null,
      Math.round(options.leaseMs),
    ]);
    // A queued job with a pending cancel ends cancelled in the claim itself (job-transitions.ts): it
    // is never handed out.
    return rows
      .filter((r) => r.status === 'running')
      .map(jobFromRow)
      .sort((a, b) => b.priority - a.priority || a.id - b.id);
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
    const row = await this.db.get<{ lease_expires_at_ms: number; cancel_requested: number }>(
      this.#sql.heartbeat,
      [id, leaseToken, 'running', nowMs, nowMs + Math.round(leaseMs)],
    );
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
    const res = await this.db.run(this.#sql.attach, [
      id,
      leaseToken,
      'running',
      fields.pid ?? null,
      fields.agentRunId ?? null,
      this.clock.now(),
    ]);
    return res.changes === 1 ? { kind: 'ok' } : { kind: 'lease_lost' };
  }

  /** Marks a held job done. Repeating it with the same token is idempotent. */
  async complete(
    id: number,
    leaseToken: string,
    result?: unknown,
  ): Promise<FencedResult<{ job: Job }>> {
    const nowMs = this.clock.now();
    const row = await this.db.get<JobRow>(this.#sql.complete, [
      id,
      leaseToken,
      'running',
      result === undefined ? null : payloadToJson(result),
      nowMs,
    ]);
    if (row) return { kind: 'ok', job: jobFromRow(row) };
    const same = await this.get(id);
    if (same?.status === 'done' && same.leaseToken === leaseToken) return { kind: 'ok', job: same };
    return { kind: 'lease_lost' };
  }

  /**
   * `complete` for many held jobs in one statement (one commit instead of one per job). Each job
   * is fenced by its own token, exactly as `complete` is; result i belongs to item i. A job whose
   * lease was lost is `lease_lost` and does not stop the others; a retry is idempotent.
   */
  async completeBatch(
    items: readonly { id: number; leaseToken: string; result?: unknown }[],
  ): Promise<FencedResult<object>[]> {
    if (items.length > 1000) {
      throw new OrchError('INVALID_COMPLETE', 'completeBatch takes at most 1000 jobs');
    }
    if (items.length === 0) return [];
    const batch = items.map((i) => ({
      id: i.id,
      leaseToken: i.leaseToken,
      result: i.result === undefined ? null : payloadToJson(i.result),
    }));
    const done = await this.db.all<{ id: number }>(completeBatchSql(this.db.dialect), [
      JSON.stringify(batch),
      this.clock.now(),
    ]);
    const finished = new Set(done.map((r) => Number(r.id)));
    const out: FencedResult<object>[] = [];
    for (const { id, leaseToken } of items) {
      if (finished.has(id)) out.push({ kind: 'ok' });
      else {
        const same = await this.get(id);
        const retried = same?.status === 'done' && same.leaseToken === leaseToken;
        out.push(retried ? { kind: 'ok' } : { kind: 'lease_lost' });
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
    const held = await this.db.get<JobRow>(
      `-- fail: the held job the policy decides from\n select * from jobs where ${FENCE}`,
      [id, leaseToken, 'running'],
    );
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
    const queued = d.next === 'queued';
    const params = [
      id,
      leaseToken,
      'running',
      d.attempts,
      d.transientAttempts,
      this.#mask(failure.error).slice(0, 4000),
      nowMs,
      held.attempts,
      held.transient_attempts,
    ];
    const row = queued
      ? await this.db.get<JobRow>(this.#sql.failRequeue, [...params, d.availableAtMs])
      : await this.db.get<JobRow>(this.#sql.failFinal, params);
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
    const row = await this.db.get<JobRow>(this.#sql.snooze, [
      id,
      leaseToken,
      'running',
      nowMs + Math.max(0, Math.round(delayMs)),
      reason === undefined ? null : this.#mask(reason),
      nowMs,
    ]);
    return row ? { kind: 'ok', job: jobFromRow(row) } : { kind: 'lease_lost' };
  }

  /** The lease holder ends its job as cancelled (e.g. after an admin's cancel request). */
  async cancel(
    id: number,
    leaseToken: string,
    reason = 'cancelled',
  ): Promise<FencedResult<{ job: Job }>> {
    const nowMs = this.clock.now();
    const row = await this.db.get<JobRow>(this.#sql.cancel, [
      id,
      leaseToken,
      'running',
      this.#mask(reason),
      nowMs,
    ]);
    return row ? { kind: 'ok', job: jobFromRow(row) } : { kind: 'lease_lost' };
  }

  #hint(kind: string): Promise<void> {
    this.wake.notify();
    if (this.db.dialect !== 'postgres') return Promise.resolve();
    return this.db
      .run('-- wake claimers in other processes\n select pg_notify($1, $2)', ['orch_jobs', kind])
      .then(() => undefined);
  }

  async get(id: number): Promise<Job | undefined> {
    const row = await this.db.get<JobRow>('select * from jobs where id = $1', [id]);
    return row ? jobFromRow(row) : undefined;
  }

  static assertStatus(status: string): JobStatus {
    if (!isJobStatus(status)) {
      throw new OrchError('INVALID_STATUS', `unknown job status "${status}"`);
    }
    return status;
  }
}
