import { greatest, sqlFor, type Queryable } from '../db.js';
import type { BreakerState } from '../../queue/circuit-breaker.js';

/** A `breakers` row; `probe_status` only where a statement joins the probe job's status. */
export interface BreakerRow {
  kind: string;
  state: BreakerState;
  consecutive_transient: number;
  opened_at_ms: number | null;
  open_until_ms: number | null;
  probe_job_id: number | null;
  updated_at_ms: number;
  probe_status?: string | null;
}

/** A `kind_pauses` row. */
export interface KindPauseRow {
  kind: string;
  paused_until_ms: number;
  reason: string;
}

/** The breaker of `kind`, if it has a row (no row = closed). */
export function breakerRow(q: Queryable, kind: string): Promise<BreakerRow | undefined> {
  return q.get<BreakerRow>(
    `-- the breaker of kind $1
     select * from breakers where kind = $1`,
    [kind],
  );
}

/** Every breaker row, by kind. */
export function breakerRows(q: Queryable): Promise<BreakerRow[]> {
  return q.all<BreakerRow>(
    `-- every breaker, by kind
     select * from breakers order by kind`,
  );
}

const LOCK_BREAKER = {
  sqlite: `-- the breaker of kind $1 (BEGIN IMMEDIATE already serializes writers)
    select * from breakers where kind = $1`,
  postgres: `-- the breaker of kind $1, row-locked until the transaction ends
    select * from breakers where kind = $1 for update`,
} as const;

/**
 * Inside a transaction: creates the breaker row of `kind` (closed) if missing, then reads it
 * locked so the caller's transition cannot interleave with another writer's.
 */
export async function lockBreakerRow(
  q: Queryable,
  kind: string,
  nowMs: number,
): Promise<BreakerRow> {
  await q.run(
    `-- breaker row for $1 if missing (closed), at $2
     insert into breakers (kind, state, consecutive_transient, updated_at_ms)
     values ($1, 'closed', 0, $2) on conflict (kind) do nothing`,
    [kind, nowMs],
  );
  const row = await q.get<BreakerRow>(sqlFor(q, LOCK_BREAKER), [kind]);
  return row!;
}

/** Writes the breaker state a transition computed. */
export async function writeBreaker(
  q: Queryable,
  b: Pick<BreakerRow, 'kind' | 'state' | 'consecutive_transient' | 'opened_at_ms'> &
    Pick<BreakerRow, 'open_until_ms' | 'probe_job_id' | 'updated_at_ms'>,
): Promise<void> {
  await q.run(
    `-- breaker transition for kind $1: state $2, $3 transient failures in a row, opened $4,
     -- open until $5, probe job $6, at $7
     update breakers set state = $2, consecutive_transient = $3, opened_at_ms = $4,
       open_until_ms = $5, probe_job_id = $6, updated_at_ms = $7 where kind = $1`,
    [
      b.kind,
      b.state,
      b.consecutive_transient,
      b.opened_at_ms,
      b.open_until_ms,
      b.probe_job_id,
      b.updated_at_ms,
    ],
  );
}

/**
 * Compare-and-set on the probe slot of `kind`: an open breaker whose pause is over becomes
 * half-open with the slot reserved (`reservedId`), or a half-open one whose slot still holds
 * `expectProbeJobId` is re-reserved. True when this caller won the slot.
 */
export async function reserveProbeSlot(
  q: Queryable,
  p: { kind: string; nowMs: number; expectProbeJobId: number | null; reservedId: number },
): Promise<boolean> {
  const res = await q.run(
    `-- reserve the probe slot of kind $1 at $2 (marker $4): open & pause over → half_open, or a
     -- free/stale slot that still holds $3
     update breakers set state = 'half_open', probe_job_id = $4, updated_at_ms = $2
     where kind = $1 and ((state = 'open' and open_until_ms <= $2)
       or (state = 'half_open' and coalesce(probe_job_id, -1) = coalesce($3, -1)))`,
    [p.kind, p.nowMs, p.expectProbeJobId, p.reservedId],
  );
  return res.changes === 1;
}

/** Records the probe job a reserved slot claimed, or frees the slot (`jobId` null). */
export async function settleProbeSlot(
  q: Queryable,
  p: { kind: string; jobId: number | null; nowMs: number; reservedId: number },
): Promise<void> {
  await q.run(
    `-- settle the probe slot of kind $1 reserved with marker $4: job $2 (null frees it), at $3
     update breakers set probe_job_id = $2, updated_at_ms = $3
     where kind = $1 and state = 'half_open' and probe_job_id = $4`,
    [p.kind, p.jobId, p.nowMs, p.reservedId],
  );
}

/** The pause of `kind` still in force at `nowMs`, if any. */
export function activePause(
  q: Queryable,
  kind: string,
  nowMs: number,
): Promise<Pick<KindPauseRow, 'paused_until_ms'> | undefined> {
  return q.get<{ paused_until_ms: number }>(
    `-- current pause of kind $1 (in force after $2)
     select paused_until_ms from kind_pauses where kind = $1 and paused_until_ms > $2`,
    [kind, nowMs],
  );
}

/** Pauses `kind` until `untilMs`; an existing later pause is kept. */
export async function upsertPause(
  q: Queryable,
  p: { kind: string; untilMs: number; reason: string; nowMs: number },
): Promise<void> {
  await q.run(
    `-- pause kind $1 until $2 for reason $3 at $4 (keep the later of old and new)
     insert into kind_pauses (kind, paused_until_ms, reason, updated_at_ms) values ($1, $2, $3, $4)
     on conflict (kind) do update set
       paused_until_ms = ${greatest(q.dialect)}(kind_pauses.paused_until_ms, excluded.paused_until_ms),
       reason = excluded.reason, updated_at_ms = excluded.updated_at_ms`,
    [p.kind, p.untilMs, p.reason, p.nowMs],
  );
}

/** Pauses in force at `nowMs`, by kind. */
export function activePauses(q: Queryable, nowMs: number): Promise<KindPauseRow[]> {
  return q.all<KindPauseRow>(
    `-- active kind pauses at $1
     select * from kind_pauses where paused_until_ms > $1 order by kind`,
    [nowMs],
  );
}

/**
 * Non-closed breakers with their probe job's status (the claim gates). The probe job may have
 * been moved to history already (`all_jobs`); a missing one reads as null, which is stale.
 */
export function openBreakerRowsWithProbe(q: Queryable): Promise<BreakerRow[]> {
  return q.all<BreakerRow>(
    `-- non-closed breakers with their probe job's status
     select b.*, (select j.status from all_jobs j where j.id = b.probe_job_id) as probe_status
     from breakers b where b.state <> 'closed'`,
  );
}
