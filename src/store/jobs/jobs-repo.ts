import { randomBytes } from 'node:crypto';
import type { Queryable } from '../db.js';
import { parseJson, type Job, type JobRow } from '../../queue/job.js';
import {
  CLAIM_COLUMNS,
  CLAIM_TOKEN_BYTES,
  jobsSql,
  type CompleteBatchItem,
  type JobsSql,
} from './jobs-sql.js';

/** A claimed row: only `CLAIM_COLUMNS`. */
export type ClaimRow = Pick<JobRow, (typeof CLAIM_COLUMNS)[number]>;

/** Each claim column's position in a claimed tuple. */
const AT = Object.fromEntries(CLAIM_COLUMNS.map((c, i) => [c, i])) as {
  readonly [C in keyof ClaimRow]: number;
};

/** One column of a claimed tuple, typed as the row's column. */
function col<C extends keyof ClaimRow>(t: readonly unknown[], c: C): ClaimRow[C] {
  return t[AT[c]] as ClaimRow[C];
}

/** What a claim set on every row it leased (see `CLAIM_COLUMNS`). */
export interface ClaimStamp {
  owner: string;
  nowMs: number;
  leaseExpiresAtMs: number;
}

/**
 * The job a claim leased, from the claim's tuple (`CLAIM_COLUMNS` in order), with the columns the
 * claim set to known values filled in from `stamp`. Only for a running row: a row a pending cancel
 * ended `cancelled` instead keeps its old lease columns, which the tuple does not carry. Built
 * field by field from an array: an object per row from the driver cost ~2 µs per claimed job on
 * SQLite (better-sqlite3 builds each row object property by property), and spreading a row into a
 * `JobRow` ~12 µs in an earlier profile.
 */
export function jobFromClaimTuple(t: readonly unknown[], stamp: ClaimStamp): Job {
  const labels = col(t, 'labels');
  return {
    id: Number(col(t, 'id')),
    tenantId: col(t, 'tenant_id'),
    kind: col(t, 'kind'),
    labels: labels === '[]' ? [] : (parseJson(labels) as string[]),
    taskId: col(t, 'task_id'),
    runId: col(t, 'run_id'),
    payload: parseJson(col(t, 'payload')),
    status: col(t, 'status'),
    priority: col(t, 'priority'),
    attempts: col(t, 'attempts'),
    maxAttempts: col(t, 'max_attempts'),
    transientAttempts: col(t, 'transient_attempts'),
    availableAtMs: col(t, 'available_at_ms'),
    idempotencyKey: col(t, 'idempotency_key'),
    leaseToken: col(t, 'lease_token'),
    leasedBy: stamp.owner,
    leaseExpiresAtMs: stamp.leaseExpiresAtMs,
    heartbeatAtMs: stamp.nowMs,
    cancelRequested: false,
    pid: null,
    agentRunId: null,
    error: col(t, 'error'),
    result: parseJson(col(t, 'result')),
    createdAtMs: col(t, 'created_at_ms'),
    updatedAtMs: stamp.nowMs,
    startedAtMs: stamp.nowMs,
    finishedAtMs: null,
  };
}

export interface InsertJobRow {
  tenantId: string;
  kind: string;
  labelsJson: string;
  taskId: number | null;
  runId: number | null;
  payloadJson: string;
  priority: number;
  maxAttempts: number;
  availableAtMs: number;
  idempotencyKey: string | null;
}

export interface ClaimParams {
  kinds: readonly string[] | null;
  nowMs: number;
  labels: readonly string[];
  max: number;
  owner: string;
  excludeKinds: readonly string[];
  tenantId: string | null;
  leaseMs: number;
  /** Projects whose tasks' jobs are not claimed now (their concurrency cap is reached). */
  excludeProjects: readonly string[];
}

export interface FailWrite {
  attempts: number;
  transientAttempts: number;
  error: string;
  nowMs: number;
  /** The counters the policy decided from: the write is fenced on them too. */
  seenAttempts: number;
  seenTransientAttempts: number;
}

/** A held job, as a lease holder's statements address it. */
export interface Held {
  id: number;
  leaseToken: string;
}

/**
 * The queue's statements on the `jobs` table (claim, the lease holder's writes, enqueue):
 * one method per statement, both dialects in jobs-sql.ts. Every holder write is fenced by
 * `(id, lease_token, status='running')` and returns undefined / 0 changes when the fence fails.
 * Runs on a Db or inside a caller's transaction (`Queryable`).
 */
export class JobsRepo {
  readonly #q: Queryable;
  readonly #sql: JobsSql;

  constructor(q: Queryable) {
    this.#q = q;
    this.#sql = jobsSql(q.dialect);
  }

  /** The inserted job, or undefined when its (tenant, idempotency key) exists already. */
  insert(r: InsertJobRow, nowMs: number): Promise<JobRow | undefined> {
    return this.#q.get<JobRow>(this.#sql.insert, [
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
    ]);
  }

  byKey(tenantId: string, key: string | null): Promise<JobRow | undefined> {
    return this.#q.get<JobRow>(this.#sql.byKey, [tenantId, key]);
  }

  /** A job by id, live or moved to job_history. */
  byId(id: number): Promise<JobRow | undefined> {
    return this.#q.get<JobRow>(this.#sql.byId, [id]);
  }

  async release(id: number, nowMs: number): Promise<boolean> {
    return (await this.#q.run(this.#sql.release, [id, nowMs])).changes === 1;
  }

  /** Makes the queued `kind` job waiting for `waitsFor` that is due first claimable now. */
  async wakeWaiting(kind: string, waitsFor: string, nowMs: number): Promise<number | null> {
    const row = await this.#q.get<{ id: number }>(this.#sql.wakeWaiting, [kind, waitsFor, nowMs]);
    return row ? Number(row.id) : null;
  }

  /**
   * Makes task `taskId`'s own queued `kind` job waiting for `waitsFor` claimable now, unless
   * another task's waiter for it is due or running already (then that one goes first).
   */
  async wakeOwn(
    kind: string,
    waitsFor: string,
    taskId: number,
    nowMs: number,
  ): Promise<number | null> {
    const row = await this.#q.get<{ id: number }>(this.#sql.wakeOwn, [
      kind,
      waitsFor,
      nowMs,
      taskId,
    ]);
    return row ? Number(row.id) : null;
  }

  /**
   * The jobs the claim leased. A queued job with a pending cancel is ended `cancelled` by the
   * claim itself (job-transitions.ts) and is not among them.
   */
  async claim(p: ClaimParams): Promise<Job[]> {
    const leaseMs = Math.round(p.leaseMs);
    const tuples = await this.#q.tuples(this.#sql.claim, [
      p.kinds ? [...p.kinds] : null,
      p.nowMs,
      JSON.stringify(p.labels),
      p.max,
      p.owner,
      [...p.excludeKinds],
      p.tenantId,
      leaseMs,
      [...p.excludeProjects],
      // PostgreSQL's lease tokens (SQLite makes its own with randomblob, cheaply)
      this.#q.dialect === 'postgres' ? randomBytes(CLAIM_TOKEN_BYTES * p.max) : null,
    ]);
    const stamp = { owner: p.owner, nowMs: p.nowMs, leaseExpiresAtMs: p.nowMs + leaseMs };
    const running = tuples.filter((t) => col(t, 'status') === 'running');
    return running.map((t) => jobFromClaimTuple(t, stamp));
  }

  heartbeat(
    h: Held,
    nowMs: number,
    leaseExpiresAtMs: number,
  ): Promise<{ lease_expires_at_ms: number; cancel_requested: number } | undefined> {
    return this.#q.get(this.#sql.heartbeat, [
      h.id,
      h.leaseToken,
      'running',
      nowMs,
      leaseExpiresAtMs,
    ]);
  }

  async attach(
    h: Held,
    f: { pid: number | null; agentRunId: number | null },
    nowMs: number,
  ): Promise<boolean> {
    const p = [h.id, h.leaseToken, 'running', f.pid, f.agentRunId, nowMs];
    return (await this.#q.run(this.#sql.attach, p)).changes === 1;
  }

  complete(h: Held, resultJson: string | null, nowMs: number): Promise<JobRow | undefined> {
    return this.#q.get<JobRow>(this.#sql.complete, [
      h.id,
      h.leaseToken,
      'running',
      resultJson,
      nowMs,
    ]);
  }

  /**
   * The jobs finished, by id, with the token and tenant they were finished under and the run each
   * belongs to (null: none). A job listed twice is finished once: the caller matches each item
   * against the token and tenant here.
   */
  async completeBatch(
    items: readonly CompleteBatchItem[],
    nowMs: number,
  ): Promise<Map<number, { leaseToken: string; tenantId: string; runId: number | null }>> {
    const batch = this.#sql.completeBatchJson(items);
    // Tuples `[id, run_id, lease_token, tenant_id]`: an object per finished row cost ~7 % of a
    // SQLite drain's time in better-sqlite3 setting its four properties.
    const tuples = await this.#q.tuples(this.#sql.completeBatch, [batch, nowMs]);
    const finished = new Map<
      number,
      { leaseToken: string; tenantId: string; runId: number | null }
    >();
    for (const [id, runId, leaseToken, tenantId] of tuples) {
      finished.set(Number(id), {
        leaseToken: (leaseToken as string | null) ?? '',
        tenantId: tenantId as string,
        runId: runId === null ? null : Number(runId),
      });
    }
    return finished;
  }

  held(
    h: Held,
  ): Promise<Pick<JobRow, 'id' | 'attempts' | 'max_attempts' | 'transient_attempts'> | undefined> {
    return this.#q.get(this.#sql.held, [h.id, h.leaseToken, 'running']);
  }

  /** Fails for good, or (with `availableAtMs`) requeues; fenced on the counters seen. */
  fail(h: Held, w: FailWrite, availableAtMs: number | null): Promise<JobRow | undefined> {
    const p = [
      h.id,
      h.leaseToken,
      'running',
      w.attempts,
      w.transientAttempts,
      w.error,
      w.nowMs,
      w.seenAttempts,
      w.seenTransientAttempts,
    ];
    return availableAtMs === null
      ? this.#q.get<JobRow>(this.#sql.failFinal, p)
      : this.#q.get<JobRow>(this.#sql.failRequeue, [...p, availableAtMs]);
  }

  snooze(
    h: Held,
    o: { availableAtMs: number; reason: string | null; nowMs: number },
  ): Promise<JobRow | undefined> {
    const p = [h.id, h.leaseToken, 'running', o.availableAtMs, o.reason, o.nowMs];
    return this.#q.get<JobRow>(this.#sql.snooze, p);
  }

  cancel(h: Held, reason: string, nowMs: number): Promise<JobRow | undefined> {
    return this.#q.get<JobRow>(this.#sql.cancel, [h.id, h.leaseToken, 'running', reason, nowMs]);
  }

  /** Wakes claimers in other processes (PostgreSQL NOTIFY); nothing to do on SQLite. */
  async notifyClaimers(kind: string): Promise<void> {
    if (this.#q.dialect !== 'postgres') return;
    await this.#q.run(this.#sql.notify, [kind]);
  }
}
