import { sqlFor, type Queryable } from '../db.js';

/** A `merge_leases` row: the one lease per repository that lets a task merge into its base. */
export interface LeaseRow {
  repo: string;
  task_id: number | null;
  branch: string;
  pid: number | null;
  host: string;
  instance_id: string;
  acquired_at_ms: number;
  expires_at_ms: number;
}

/** Who takes or refreshes a lease, and until when. */
export interface LeaseWrite {
  repo: string;
  taskId: number | null;
  branch: string;
  pid: number;
  host: string;
  instanceId: string;
  nowMs: number;
  expiresAtMs: number;
}

const READ_LOCKED = {
  sqlite: `-- the merge lease of repo $1 (BEGIN IMMEDIATE already serializes writers)
    select * from merge_leases where repo = $1`,
  postgres: `-- the merge lease of repo $1, row-locked until the transaction ends
    select * from merge_leases where repo = $1 for update`,
} as const;

/** The lease of `repo`; `lock` row-locks it for the rest of the transaction (PostgreSQL). */
export function leaseRow(
  q: Queryable,
  repo: string,
  o: { lock: boolean },
): Promise<LeaseRow | undefined> {
  if (o.lock) return q.get<LeaseRow>(sqlFor(q, READ_LOCKED), [repo]);
  return q.get<LeaseRow>(
    `-- the merge lease of repo $1
     select * from merge_leases where repo = $1`,
    [repo],
  );
}

/** Every merge lease, by repo. */
export function leaseRows(q: Queryable): Promise<LeaseRow[]> {
  return q.all<LeaseRow>(
    `-- every merge lease, by repo
     select * from merge_leases order by repo`,
  );
}

/** Inserts the lease of a free repo; undefined when a concurrent acquirer inserted first. */
export function insertLease(q: Queryable, w: LeaseWrite): Promise<LeaseRow | undefined> {
  return q.get<LeaseRow>(
    `-- acquire a free merge lease: repo $1, task $2, branch $3, pid $4, host $5, instance $6,
     -- now $7, expires $8
     insert into merge_leases (repo, task_id, branch, pid, host, instance_id, acquired_at_ms, expires_at_ms)
     values ($1, $2, $3, $4, $5, $6, $7, $8) on conflict (repo) do nothing returning *`,
    [w.repo, w.taskId, w.branch, w.pid, w.host, w.instanceId, w.nowMs, w.expiresAtMs],
  );
}

/**
 * Refreshes (`keepAcquiredAt`) or takes over the exact lease seen (`seen`: its branch and
 * acquisition time); undefined when the lease changed meanwhile.
 */
export function replaceLease(
  q: Queryable,
  w: LeaseWrite,
  o: { seen: { branch: string; acquiredAtMs: number }; keepAcquiredAt: boolean },
): Promise<LeaseRow | undefined> {
  return q.get<LeaseRow>(
    `-- refresh or take over a merge lease: repo $1 from branch $9 (acquired $10); new holder
     -- $2/$3 by $4@$5 ($6), now $7, expires $8; $11 = 1 keeps the acquisition time (refresh)
     update merge_leases set task_id = $2, branch = $3, pid = $4, host = $5, instance_id = $6,
       acquired_at_ms = case when $11 = 1 then acquired_at_ms else $7 end, expires_at_ms = $8
     where repo = $1 and branch = $9 and acquired_at_ms = $10 returning *`,
    [
      w.repo,
      w.taskId,
      w.branch,
      w.pid,
      w.host,
      w.instanceId,
      w.nowMs,
      w.expiresAtMs,
      o.seen.branch,
      o.seen.acquiredAtMs,
      o.keepAcquiredAt ? 1 : 0,
    ],
  );
}

// PostgreSQL cannot infer the type of `$3` in `$3 is null`; SQLite binds untyped.
const DELETE_HELD = {
  sqlite: `-- release a merge lease held by branch $2 (task $3, null = any) on repo $1
    delete from merge_leases where repo = $1 and branch = $2
      and (task_id is null or $3 is null or task_id = $3)`,
  postgres: `-- release a merge lease held by branch $2 (task $3, null = any) on repo $1
    delete from merge_leases where repo = $1 and branch = $2
      and (task_id is null or $3::bigint is null or task_id = $3::bigint)`,
} as const;

/** Deletes the lease of `repo` if `branch` (and task, when both are known) holds it. */
export async function deleteHeldLease(
  q: Queryable,
  h: { repo: string; branch: string; taskId: number | null },
): Promise<number> {
  const res = await q.run(sqlFor(q, DELETE_HELD), [h.repo, h.branch, h.taskId]);
  return res.changes;
}

/** Deletes exactly the lease seen (same branch, acquisition and expiry); 0 when it changed. */
export async function deleteSeenLease(
  q: Queryable,
  l: { repo: string; branch: string; acquiredAtMs: number; expiresAtMs: number },
): Promise<number> {
  const res = await q.run(
    `-- reclaim a stale merge lease: exactly the row seen (repo $1, branch $2, acquired $3, expires $4)
     delete from merge_leases where repo = $1 and branch = $2 and acquired_at_ms = $3 and expires_at_ms = $4`,
    [l.repo, l.branch, l.acquiredAtMs, l.expiresAtMs],
  );
  return res.changes;
}
