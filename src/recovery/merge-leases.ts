import type { Clock } from '../clock.js';
import type { Logger } from '../log.js';
import type { Db, Queryable } from '../store/db.js';
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
}

interface LeaseRow {
  repo: string;
  task_id: number | null;
  branch: string;
  pid: number | null;
  host: string;
  instance_id: string;
  acquired_at_ms: number;
  expires_at_ms: number;
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
    const fields = [o.pid, o.host, o.instanceId, nowMs, nowMs + Math.max(1, input.ttlMs)] as const;
    return this.#db.tx(async (q) => {
      const existing = await this.#read(q, input.repo, true);
      const step = acquireStep(existing, input.holder, nowMs);
      if (step === 'busy') return { kind: 'busy', holder: existing! };
      if (step === 'insert') {
        const row = await q.get<LeaseRow>(
          `-- acquire a free merge lease: repo $1, task $2, branch $3, pid $4, host $5, instance $6, now $7, expires $8
           insert into merge_leases (repo, task_id, branch, pid, host, instance_id, acquired_at_ms, expires_at_ms)
           values ($1, $2, $3, $4, $5, $6, $7, $8) on conflict (repo) do nothing returning *`,
          [input.repo, input.holder.taskId, input.holder.branch, ...fields],
        );
        if (row) return { kind: 'acquired', holder: fromRow(row) };
        // A concurrent acquirer inserted first (PostgreSQL: no row existed to lock).
        const winner = await this.#read(q, input.repo, false);
        return { kind: 'busy', holder: winner! };
      }
      const row = await q.get<LeaseRow>(
        `-- ${step} a merge lease: repo $1 from branch $9 (acquired $10); new holder $2/$3 by $4@$5 ($6), now $7, expires $8
         update merge_leases set task_id = $2, branch = $3, pid = $4, host = $5, instance_id = $6,
           acquired_at_ms = case when $11 = 1 then acquired_at_ms else $7 end, expires_at_ms = $8
         where repo = $1 and branch = $9 and acquired_at_ms = $10 returning *`,
        [
          input.repo,
          input.holder.taskId ?? existing!.taskId,
          input.holder.branch,
          ...fields,
          existing!.branch,
          existing!.acquiredAtMs,
          step === 'refresh' ? 1 : 0,
        ],
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
    const forUpdate = lock && q.dialect === 'postgres' ? ' for update' : '';
    const row = await q.get<LeaseRow>(`select * from merge_leases where repo = $1${forUpdate}`, [
      repo,
    ]);
    return row ? fromRow(row) : null;
  }

  /** Removes the lease only if `holder` holds it. Idempotent; true when a row was removed. */
  async release(repo: string, holder: LeaseHolder): Promise<boolean> {
    const res = await this.#db.run(
      `-- release a merge lease held by branch $2 (task $3, null = any) on repo $1
       delete from merge_leases where repo = $1 and branch = $2
         and (task_id is null or $3::bigint is null or task_id = $3::bigint)`.replaceAll(
        '::bigint',
        this.#db.dialect === 'postgres' ? '::bigint' : '',
      ),
      [repo, holder.branch, holder.taskId],
    );
    return res.changes > 0;
  }

  async list(): Promise<MergeLease[]> {
    const rows = await this.#db.all<LeaseRow>('select * from merge_leases order by repo');
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
    const res = await this.#db.run(
      `-- reclaim a stale merge lease: exactly the row seen (repo $1, branch $2, acquired $3, expires $4)
       delete from merge_leases where repo = $1 and branch = $2 and acquired_at_ms = $3 and expires_at_ms = $4`,
      [lease.repo, lease.branch, lease.acquiredAtMs, lease.expiresAtMs],
    );
    if (res.changes === 0) return false;
    this.#o.log.warn(
      { repo: lease.repo, branch: lease.branch, taskId: lease.taskId, pid: lease.pid },
      `merge-lease for ${lease.repo} reclaimed proactively (${s.why}, holder=${lease.branch})`,
    );
    await this.#o
      .onReclaimed?.(lease, s.why)
      .catch((err: unknown) =>
        this.#o.log.warn({ err, repo: lease.repo }, 'merge-lease reclaim alert failed'),
      );
    return true;
  }
}
