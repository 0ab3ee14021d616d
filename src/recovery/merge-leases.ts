import type { Clock } from '../clock.js';
import type { Logger } from '../log.js';
import type { Db, Queryable } from '../store/db.js';
import {
  deleteHeldLease,
  deleteSeenLease,
  insertLease,
  leaseRow,
  leaseRows,
  replaceLease,
  type LeaseRow,
  type LeaseWrite,
} from '../store/leases/merge-lease-rows.js';
import {
  acquireStep,
  leaseStaleness,
  type LeaseHolder,
  type LivenessContext,
  type MergeLease,
} from './lease-decision.js';
import type { PidAlive } from './process-liveness.js';

export type { LeaseHolder, MergeLease } from './lease-decision.js';

export type AcquireResult =
  | { kind: 'acquired'; holder: MergeLease }
  | { kind: 'held_by_self'; holder: MergeLease }
  | { kind: 'busy'; holder: MergeLease };

export interface MergeLeasesOptions {
  clock: Clock;
  log: Logger;
  /** This Orch process: host name, pid and a per-boot id (hazard H-5). */
  host: string;
  pid: number;
  instanceId: string;
  pidAlive: PidAlive;
  /** ORCH_LEASE_RECLAIM_ENABLED, read on every sweep. */
  reclaimEnabled: () => boolean;
  /** Called once per lease removed by `reclaimStale` (alerting); its errors are logged. */
  onReclaimed?: (lease: MergeLease, why: string) => Promise<void>;
  /**
   * Called after a repository's lease was removed (released or reclaimed): wakes whoever waits
   * for it, so the next item need not sleep out its re-check delay. Its errors are logged.
   */
  onFreed?: (repo: string) => Promise<void>;
}

function fromRow(r: LeaseRow): MergeLease {
  return {
    repo: r.repo,
    taskId: r.task_id === null ? null : Number(r.task_id),
    branch: r.branch,
    pid: r.pid,
    host: r.host,
    instanceId: r.instance_id,
    acquiredAtMs: Number(r.acquired_at_ms),
    expiresAtMs: Number(r.expires_at_ms),
  };
}

/**
 * Merge leases in the database: one per repository, so two tasks never merge into the same base
 * branch at once. `acquire` is idempotent for the holder (same branch), `release` removes only
 * the caller's own lease, `reclaimStale` removes leases whose holder process died (same host) or
 * whose TTL passed — at startup and on every reaper tick. Reclaim only deletes a row; it never
 * touches git.
 */
export class MergeLeases {
  readonly #db: Db;
  readonly #o: MergeLeasesOptions;

  constructor(db: Db, options: MergeLeasesOptions) {
    this.#db = db;
    this.#o = options;
  }

  #ctx(): LivenessContext {
    const o = this.#o;
    return {
      nowMs: o.clock.now(),
      host: o.host,
      instanceId: o.instanceId,
      selfPid: o.pid,
      pidAlive: o.pidAlive,
    };
  }

  async acquire(input: {
    repo: string;
    holder: LeaseHolder;
    ttlMs: number;
  }): Promise<AcquireResult> {
    const nowMs = this.#o.clock.now();
    const o = this.#o;
    const write: Omit<LeaseWrite, 'taskId'> = {
      repo: input.repo,
      branch: input.holder.branch,
      pid: o.pid,
      host: o.host,
      instanceId: o.instanceId,
      nowMs,
      expiresAtMs: nowMs + Math.max(1, input.ttlMs),
    };
    return this.#db.tx(async (q) => {
      const existing = await this.#read(q, input.repo, true);
      const step = acquireStep(existing, input.holder, nowMs);
      if (step === 'busy') return { kind: 'busy', holder: existing! };
      if (step === 'insert') {
        const row = await insertLease(q, { ...write, taskId: input.holder.taskId });
        if (row) return { kind: 'acquired', holder: fromRow(row) };
        // A concurrent acquirer inserted first (PostgreSQL: no row existed to lock).
        const winner = await this.#read(q, input.repo, false);
        return { kind: 'busy', holder: winner! };
      }
      const row = await replaceLease(
        q,
        { ...write, taskId: input.holder.taskId ?? existing!.taskId },
        { seen: existing!, keepAcquiredAt: step === 'refresh' },
      );
      if (!row) return { kind: 'busy', holder: existing! };
      if (step === 'take_over') {
        o.log.warn(
          { repo: input.repo, branch: input.holder.branch, previous: existing!.branch },
          'merge-lease expired; taken over',
        );
      }
      return { kind: step === 'refresh' ? 'held_by_self' : 'acquired', holder: fromRow(row) };
    });
  }

  async #read(q: Queryable, repo: string, lock: boolean): Promise<MergeLease | null> {
    const row = await leaseRow(q, repo, { lock });
    return row ? fromRow(row) : null;
  }

  /** Removes the lease only if `holder` holds it. Idempotent; true when a row was removed. */
  async release(repo: string, holder: LeaseHolder): Promise<boolean> {
    const removed = await deleteHeldLease(this.#db, {
      repo,
      branch: holder.branch,
      taskId: holder.taskId,
    });
    if (removed > 0) await this.#freed(repo);
    return removed > 0;
  }

  async #freed(repo: string): Promise<void> {
    await this.#o
      .onFreed?.(repo)
      .catch((err: unknown) =>
        this.#o.log.warn({ err, repo }, 'merge-lease: waking the next waiter failed'),
      );
  }

  /** Whether anyone holds `repo`'s lease now (an expired one does not: `acquire` takes it over). */
  async isHeld(repo: string): Promise<boolean> {
    const lease = await this.#read(this.#db, repo, false);
    return lease !== null && lease.expiresAtMs > this.#o.clock.now();
  }

  async list(): Promise<MergeLease[]> {
    const rows = await leaseRows(this.#db);
    return rows.map(fromRow);
  }

  /**
   * Proactive reclaim (never throws): removes every lease whose holder is dead or whose TTL
   * passed. The delete is guarded on the exact lease seen, so a lease re-acquired meanwhile is
   * never removed. Returns the leases removed. A live lease within its TTL is never touched.
   */
  async reclaimStale(): Promise<MergeLease[]> {
    if (!this.#o.reclaimEnabled()) return [];
    let leases: MergeLease[];
    try {
      leases = await this.list();
    } catch (err) {
      this.#o.log.warn({ err }, 'merge-lease reclaim skipped: cannot read leases');
      return [];
    }
    const reclaimed: MergeLease[] = [];
    for (const lease of leases) {
      try {
        if (await this.#reclaimOne(lease)) reclaimed.push(lease);
      } catch (err) {
        this.#o.log.error({ err, repo: lease.repo }, 'merge-lease reclaim failed');
      }
    }
    return reclaimed;
  }

  async #reclaimOne(lease: MergeLease): Promise<boolean> {
    const s = leaseStaleness(lease, this.#ctx());
    if (!s.stale) return false;
    if ((await deleteSeenLease(this.#db, lease)) === 0) return false;
    this.#o.log.warn(
      { repo: lease.repo, branch: lease.branch, taskId: lease.taskId, pid: lease.pid },
      `merge-lease for ${lease.repo} reclaimed proactively (${s.why}, holder=${lease.branch})`,
    );
    await this.#o
      .onReclaimed?.(lease, s.why)
      .catch((err: unknown) =>
        this.#o.log.warn({ err, repo: lease.repo }, 'merge-lease reclaim alert failed'),
      );
    await this.#freed(lease.repo);
    return true;
  }
}
