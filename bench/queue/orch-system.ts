import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { systemClock } from '../../src/clock.js';
import { JobQueue } from '../../src/queue/job-queue.js';
import type { Job } from '../../src/queue/job.js';
import type { Db } from '../../src/store/db.js';
import { migrate } from '../../src/store/migrate.js';
import { openDb } from '../../src/store/open-db.js';
import { createBenchDb, dropBenchDb, pgUrlFor, queryBenchDb } from './bench-db.js';
import { WORKLOAD, type BenchPayload, type BenchSystem } from './bench-system.js';

const KIND = 'bench';
const LEASE_MS = 60_000;
/** Pool size, the same as graphile-worker's and pg-boss's defaults (10). */
const POOL_SIZE = 10;
/** Fallback poll of a waiting claimer when no hint arrives (graphile-worker's default, 2 s). */
const POLL_INTERVAL_MS = 2_000;

/**
 * Each store's drain design in the headline row. PostgreSQL: a local queue, as graphile-worker
 * batched and Orch's lease hub do it: 8 claimers each claiming 500 cost ~4 µs more server CPU per
 * job, skipping the rows the others hold locked (`for update skip locked`). SQLite: 8 claimers:
 * there is one writer, so claims never contend, and on its one thread the local queue's hand-offs
 * cost ~2 µs per job more. The other design of each store is a row of its own (docs/benchmarks.md).
 */
export const DEFAULT_DRAIN = { postgres: 'local-queue', sqlite: 'claimers' } as const;

export interface OrchSystemOptions {
  dialect: 'postgres' | 'sqlite';
  /**
   * How the drain's 8 job slots get their jobs: `local-queue`, one claimer fetching `claimBatch`
   * jobs into a local buffer that the slots take from, finished jobs completed in one
   * `completeBatch` per event-loop turn (graphile-worker batched's design, and Orch's lease hub's);
   * or `claimers`, every slot claiming `claimBatch` for itself (8 concurrent claims skipping each
   * other's locked rows).
   */
  drain: 'local-queue' | 'claimers';
  /** Jobs per claim in the drain. */
  claimBatch: number;
  /** How a worker completes its claimed jobs: one fenced `complete` each, or one `completeBatch`. */
  completeMode: 'single' | 'batch';
  /** Overrides the derived id (and so the database name), e.g. for the finished-rows phase. */
  id?: string;
}

/**
 * Kinds of the finished rows the finished-rows phase puts in `jobs`. `bench`, the kind the
 * latency worker claims, is one of them, so the claim's kind filter matches a quarter of them.
 */
const FINISHED_KINDS = [KIND, 'build', 'test', 'review'];

/**
 * One set-based INSERT of `rows` jobs as a completed job leaves them: status 'done', one attempt,
 * the lease token and owner kept (a finished job keeps its token, so a retried complete is
 * recognised), lease expiry cleared, started / heartbeat / finished / updated stamped, the bench's
 * ~140 B payload (`{"i":…,"pad":"x"×120}`, byte for byte `benchPayload`). Created one per
 * millisecond ending an hour before `nowMs`, so every row is older than the history window.
 */
export function finishedFillSql(
  dialect: 'postgres' | 'sqlite',
  rows: number,
  nowMs: number,
): string {
  const n = Math.trunc(rows);
  const t0 = Math.trunc(nowMs) - 3_600_000 - n;
  const pg = dialect === 'postgres';
  const kinds = FINISHED_KINDS.map((k) => `'${k}'`);
  const kind = pg
    ? `(array[${kinds.join(', ')}])[1 + i % ${kinds.length}]`
    : `case i % ${kinds.length} ${kinds.map((k, j) => `when ${j} then ${k}`).join(' ')} end`;
  const pad = pg ? "repeat('x', 120)" : `'${'x'.repeat(120)}'`;
  const token = pg ? 'gen_random_uuid()::text' : 'lower(hex(randomblob(16)))';
  const insert = `insert into jobs (tenant_id, kind, labels, payload, status, priority, attempts,
      max_attempts, transient_attempts, available_at_ms, lease_token, leased_by,
      lease_expires_at_ms, heartbeat_at_ms, cancel_requested, created_at_ms, updated_at_ms,
      started_at_ms, finished_at_ms)
    select 'default', ${kind}, '[]', '{"i":' || i || ',"pad":"' || ${pad} || '"}',
      'done', 0, 1, 3, 0, ${t0} + i, ${token}, 'bench-' || (i % 8),
      null, ${t0} + i + 2, 0, ${t0} + i, ${t0} + i + 3, ${t0} + i + 1, ${t0} + i + 3`;
  if (pg) {
    // History: no claimer waits for these rows, so skip the per-row enqueue NOTIFY trigger.
    return `-- bench: ${n} finished jobs in jobs, one statement
      begin;
      set local session_replication_role = replica;
      ${insert}
    from generate_series(1, ${n}) as i;
      commit`;
  }
  return `-- bench: ${n} finished jobs in jobs, one statement
    with recursive s(i) as (select 1 union all select i + 1 from s where i < ${n})
    ${insert}
    from s`;
}

function makeQueue(db: Db): JobQueue {
  return new JobQueue(db, {
    clock: systemClock,
    retry: { baseMs: 1_000, capMs: 60_000, transientBudget: 5 },
    defaultMaxAttempts: 3,
    pollIntervalMs: POLL_INTERVAL_MS,
  });
}

/** Orch's JobQueue on PostgreSQL or on a SQLite file (WAL, synchronous=FULL). */
export class OrchSystem implements BenchSystem {
  readonly id: string;
  readonly label: string;
  readonly settings: string;
  readonly completedRows = 'retained' as const;
  readonly pgDatabase: string | null;
  readonly #opts: OrchSystemOptions;
  #db: Db | undefined;
  #queue: JobQueue | undefined;
  #dir: string | undefined;
  #workers: Promise<void>[] = [];
  /** Jobs put in by `prefill` and completed (`ok`) by the drain since the last `reset`. */
  #prefilled = 0;
  #completed = 0;
  #stop = new AbortController();
  #consumer: { db: Db; queue: JobQueue } | undefined;

  constructor(options: OrchSystemOptions) {
    this.#opts = options;
    const claimers = options.drain === 'claimers';
    const other = options.drain !== DEFAULT_DRAIN[options.dialect];
    this.id =
      options.id ??
      `orch_${options.dialect === 'postgres' ? 'pg' : 'sqlite'}_${options.completeMode}` +
        (other ? `_${options.drain.replace('-', '_')}` : '');
    this.label =
      (options.dialect === 'postgres' ? 'Orch on PG' : 'Orch on SQLite') +
      (options.completeMode === 'batch' ? '' : ', complete per job') +
      (other ? (claimers ? ', 8 claimers' : ', local queue') : '');
    this.pgDatabase = options.dialect === 'postgres' ? `orch_bench_${this.id}` : null;
    this.settings =
      (claimers
        ? `${WORKLOAD.workers} workers looping claim({max: ${options.claimBatch}}) + ` +
          (options.completeMode === 'batch' ? 'one completeBatch per claim' : 'complete per job')
        : `one claimer, claim({max: ${options.claimBatch}}) into a local queue for ` +
          `${WORKLOAD.workers} slots, completeBatch per event-loop turn`) +
      (options.dialect === 'postgres'
        ? `, one pg pool of ${POOL_SIZE}; waiting worker on its own pool + LISTEN`
        : ', one better-sqlite3 connection; in-process wake-up');
  }

  get #q(): JobQueue {
    if (!this.#queue) throw new Error('setup() first');
    return this.#queue;
  }

  async setup(): Promise<void> {
    let url: string;
    if (this.#opts.dialect === 'postgres') url = await createBenchDb(this.id);
    else {
      this.#dir = mkdtempSync(join(tmpdir(), 'orch-bench-'));
      url = `sqlite:${join(this.#dir, 'orch.db')}`;
    }
    this.#db = openDb(url, { maxConnections: POOL_SIZE, applicationName: 'orch-bench' });
    await migrate(this.#db);
    this.#queue = makeQueue(this.#db);
  }

  async enqueueOne(payload: BenchPayload): Promise<void> {
    await this.#q.enqueue({ kind: KIND, payload });
  }

  async prefill(payloads: readonly BenchPayload[]): Promise<void> {
    this.#prefilled += payloads.length;
    await this.#q.enqueueBatch(payloads.map((payload) => ({ kind: KIND, payload })));
  }

  async reset(): Promise<void> {
    this.#prefilled = 0;
    this.#completed = 0;
    await this.#q.db.run('-- bench: empty the queue between phases\n delete from jobs');
  }

  /**
   * Puts `rows` finished jobs straight into `jobs` (the history mover has not run: the worst case)
   * in one set-based statement, then refreshes the planner statistics: `vacuum analyze` on
   * PostgreSQL (autovacuum is off on the bench server), `analyze` on SQLite.
   */
  async fillFinished(rows: number): Promise<void> {
    const db = this.#q.db;
    await db.exec(finishedFillSql(this.#opts.dialect, rows, Date.now()));
    if (this.pgDatabase) await queryBenchDb(pgUrlFor(this.pgDatabase), 'vacuum analyze');
    else await db.exec('analyze');
  }

  startDrain(onStarted: (count: number) => void): Promise<void> {
    if (this.#opts.drain === 'local-queue') return this.#startLocalQueue(onStarted);
    this.#stop = new AbortController();
    const stop = this.#stop.signal;
    const worker = async (w: number) => {
      while (!stop.aborted) {
        const jobs = await this.#q.claim({
          kinds: [KIND],
          max: this.#opts.claimBatch,
          leaseMs: LEASE_MS,
          owner: `bench-${w}`,
        });
        if (jobs.length === 0) return;
        onStarted(jobs.length); // the no-op handler
        await this.#completeAll(jobs);
      }
    };
    this.#workers = Array.from({ length: WORKLOAD.workers }, (_, w) => worker(w));
    return Promise.resolve();
  }

  /**
   * graphile-worker batched's design on Orch's queue API: one claimer keeps a local buffer of up
   * to `claimBatch` leased jobs, refilled as soon as the slots have taken it all; 8 slots take
   * jobs from it and run the no-op handler; what they finished is completed in one
   * `completeBatch` per event-loop turn (graphile's `completeJobBatchDelay: 0`), one flush at a time.
   */
  #startLocalQueue(onStarted: (count: number) => void): Promise<void> {
    this.#stop = new AbortController();
    const stop = this.#stop.signal;
    const buffer: Job[] = [];
    const finished: Job[] = [];
    let exhausted = false;
    const wakeSlots: (() => void)[] = [];
    let wakeClaimer: (() => void) | null = null;
    let flushing: Promise<void> | null = null;
    /** A failed complete batch, rethrown when the workers are awaited (stopWorkers). */
    let failure: Error | null = null;
    const flush = (): Promise<void> =>
      (flushing ??= (async () => {
        await new Promise((r) => setImmediate(r));
        try {
          while (finished.length > 0) await this.#completeAll(finished.splice(0, 1000));
        } catch (err) {
          failure ??= err instanceof Error ? err : new Error(String(err));
        } finally {
          // In the same turn as the loop's last check: a job finished after it starts a new flush.
          flushing = null;
        }
      })());
    const claimer = async () => {
      while (!stop.aborted) {
        const jobs = await this.#q.claim({
          kinds: [KIND],
          max: this.#opts.claimBatch,
          leaseMs: LEASE_MS,
          owner: 'bench-local-queue',
        });
        if (jobs.length === 0) break;
        buffer.push(...jobs);
        for (const wake of wakeSlots.splice(0)) wake();
        // Refill once the slots have taken everything.
        await new Promise<void>((r) => (wakeClaimer = r));
      }
      exhausted = true;
      for (const wake of wakeSlots.splice(0)) wake();
    };
    const slot = async () => {
      for (;;) {
        const job = buffer.shift();
        if (!job) {
          if (exhausted || stop.aborted) return;
          await new Promise<void>((r) => wakeSlots.push(r));
          continue;
        }
        if (buffer.length === 0) wakeClaimer?.();
        onStarted(1);
        await Promise.resolve(); // the no-op handler
        finished.push(job);
        void flush();
      }
    };
    const slots = Array.from({ length: WORKLOAD.workers }, () => slot());
    this.#workers = [
      claimer(),
      Promise.all(slots).then(async () => {
        while (flushing) await flushing;
        if (failure) throw failure;
      }),
    ];
    stop.addEventListener('abort', () => {
      wakeClaimer?.();
      for (const wake of wakeSlots.splice(0)) wake();
    });
    return Promise.resolve();
  }

  async #completeAll(jobs: readonly Job[]): Promise<void> {
    if (this.#opts.completeMode === 'single') {
      for (const j of jobs) {
        const r = await this.#q.complete(j.id, j.leaseToken!);
        if (r.kind !== 'ok') throw new Error('bench: a held lease was lost');
        this.#completed++;
      }
      return;
    }
    const results = await this.#q.completeBatch(
      jobs.map((j) => ({ id: j.id, leaseToken: j.leaseToken! })),
    );
    if (results.some((r) => r.kind !== 'ok')) throw new Error('bench: a held lease was lost');
    this.#completed += results.length;
  }

  /**
   * Orch's `completeBatch` returns after its commit, so the jobs it has returned `ok` for are
   * durably completed: counted in-process, not by a `count(*)` (a full scan that, on SQLite, runs
   * on the drain's own thread: 4–6 ms of a ~180 ms drain). `remainingInDb` confirms it afterwards.
   */
  remaining(): Promise<number> {
    return Promise.resolve(this.#prefilled - this.#completed);
  }

  async remainingInDb(): Promise<number> {
    const row = await this.#q.db.get<{ n: number }>(
      "-- bench: jobs not yet done\n select count(*) as n from jobs where status <> 'done'",
    );
    return Number(row?.n ?? 0);
  }

  async stopWorkers(): Promise<void> {
    this.#stop.abort();
    await Promise.all(this.#workers);
    this.#workers = [];
    if (this.#consumer) {
      await this.#consumer.queue.close();
      if (this.#consumer.db !== this.#db) await this.#consumer.db.close();
      this.#consumer = undefined;
    }
  }

  async startLatencyWorker(onStart: (i: number) => void): Promise<void> {
    this.#stop = new AbortController();
    const stop = this.#stop.signal;
    // PostgreSQL: the waiting worker has its own pool and LISTEN connection, as another process
    // would. SQLite: one process owns the file, so producer and worker share the queue.
    const consumer =
      this.#opts.dialect === 'postgres'
        ? (() => {
            const db = openDb(this.#q.db.url, { maxConnections: 2 });
            return { db, queue: makeQueue(db) };
          })()
        : { db: this.#q.db, queue: this.#q };
    await consumer.queue.start();
    this.#consumer = consumer;
    const loop = async () => {
      while (!stop.aborted) {
        const opts = { kinds: [KIND], leaseMs: LEASE_MS, owner: 'bench-latency' };
        const jobs = await consumer.queue.claimWait({ ...opts, waitMs: 30_000, signal: stop });
        for (const job of jobs) {
          onStart((job.payload as BenchPayload).i);
          await consumer.queue.complete(job.id, job.leaseToken!);
        }
      }
    };
    this.#workers = [loop()];
  }

  async enqueueLatency(payload: BenchPayload): Promise<void> {
    await this.#q.enqueue({ kind: KIND, payload });
  }

  async teardown(): Promise<void> {
    await this.stopWorkers().catch(() => undefined);
    await this.#queue?.close();
    await this.#db?.close();
    if (this.#dir) rmSync(this.#dir, { recursive: true, force: true });
    if (this.#opts.dialect === 'postgres') await dropBenchDb(this.id);
  }
}
