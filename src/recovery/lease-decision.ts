/**
 * Merge-lease rules (spec reaper.md §4), pure. A lease is held by a task's branch; the pid, host
 * and per-boot instance id of the holding Orch process are liveness hints, the TTL is the rule
 * that always applies.
 */
export interface MergeLease {
  repo: string;
  taskId: number | null;
  branch: string;
  pid: number | null;
  host: string;
  instanceId: string;
  acquiredAtMs: number;
  expiresAtMs: number;
}

export interface LeaseHolder {
  taskId: number | null;
  branch: string;
}

/** Who is asking, and how to judge a pid on this host. */
export interface LivenessContext {
  nowMs: number;
  host: string;
  instanceId: string;
  selfPid: number;
  pidAlive: (pid: number | null) => boolean;
}

export type Staleness = { stale: false } | { stale: true; why: string };

/**
 * Stale = dead holder OR expired. Dead only on the same host (a pid means nothing elsewhere),
 * never for our own instance, and — hazard H-5 — a lease whose pid is our own pid but whose
 * instance id is not ours was taken by an earlier incarnation (a container restart reuses low
 * pids), so it is dead although `kill(pid, 0)` succeeds. Dead wins the message.
 */
export function leaseStaleness(lease: MergeLease, ctx: LivenessContext): Staleness {
  const foreignInstance = lease.instanceId !== ctx.instanceId;
  const dead =
    lease.host === ctx.host &&
    foreignInstance &&
    (lease.pid === ctx.selfPid || !ctx.pidAlive(lease.pid));
  if (dead) return { stale: true, why: `dead pid=${lease.pid}` };
  const ageMs = ctx.nowMs - lease.acquiredAtMs;
  if (ctx.nowMs >= lease.expiresAtMs) {
    return { stale: true, why: `stale age=${Math.round(ageMs / 1000)}s>=TTL` };
  }
  return { stale: false };
}

export function sameHolder(lease: MergeLease, holder: LeaseHolder): boolean {
  return (
    lease.branch === holder.branch &&
    (lease.taskId === null || holder.taskId === null || lease.taskId === holder.taskId)
  );
}

export type AcquireStep = 'insert' | 'refresh' | 'take_over' | 'busy';

/**
 * How `acquire` proceeds: free → insert; held by the same branch → refresh (idempotent re-drive);
 * held by another branch past its TTL → take over (the lazy reclaim, which stays even with
 * proactive reclaim switched off); otherwise busy.
 */
export function acquireStep(
  existing: MergeLease | null,
  holder: LeaseHolder,
  nowMs: number,
): AcquireStep {
  if (!existing) return 'insert';
  if (sameHolder(existing, holder)) return 'refresh';
  if (nowMs >= existing.expiresAtMs) return 'take_over';
  return 'busy';
}
