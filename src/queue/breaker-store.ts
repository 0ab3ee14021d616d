import type { Clock } from '../clock.js';
import { greatest, type Db } from '../store/db.js';
import {
  breakerSnapshot,
  claimGate,
  closedBreaker,
  recordOutcome,
  type Breaker,
  type BreakerEvent,
  type BreakerPolicy,
  type BreakerState,
} from './circuit-breaker.js';

interface BreakerRow {
  kind: string;
  state: BreakerState;
  consecutive_transient: number;
  opened_at_ms: number | null;
  open_until_ms: number | null;
  probe_job_id: number | null;
  updated_at_ms: number;
  probe_status?: string | null;
}

function fromRow(r: BreakerRow): Breaker {
  const n = (v: number | null) => (v === null ? null : Number(v));
  return {
    kind: r.kind,
    state: r.state,
    consecutiveTransient: r.consecutive_transient,
    openedAtMs: n(r.opened_at_ms),
    openUntilMs: n(r.open_until_ms),
    probeJobId: n(r.probe_job_id),
  };
}

/** A probe slot reserved by a claimer that died before recording its job is freed after this. */
const PROBE_RESERVATION_MS = 60_000;
/** probe_job_id while a claimer holds the probe slot but has not claimed a job yet. */
const RESERVED = 0;

export interface KindPause {
  kind: string;
  pausedUntilMs: number;
  reason: string;
}

export interface ClaimGates {
  /** Kinds nobody may claim now: open breakers, probing half-open ones, quota pauses. */
  blocked: string[];
  /** Kinds whose breaker allows one probe job; reserve it with `reserveProbe` first. */
  probe: { kind: string; expectProbeJobId: number | null }[];
}

/**
 * Durable breaker and quota-pause state, shared by every worker on the store (restarts and other
 * replicas see the same state). Transitions are the pure ones in circuit-breaker.ts, applied
 * under a row lock (PostgreSQL `for update`; SQLite's BEGIN IMMEDIATE serializes writers).
 */
export class BreakerStore {
  readonly #db: Db;
  readonly #clock: Clock;
  readonly policy: BreakerPolicy;

  constructor(db: Db, clock: Clock, policy: BreakerPolicy) {
    this.#db = db;
    this.#clock = clock;
    this.policy = policy;
  }

  async get(kind: string): Promise<Breaker> {
    const row = await this.#db.get<BreakerRow>('select * from breakers where kind = $1', [kind]);
    return row ? fromRow(row) : closedBreaker(kind);
  }

  async list(): Promise<Breaker[]> {
    const rows = await this.#db.all<BreakerRow>('select * from breakers order by kind');
    return rows.map(fromRow);
  }

  /** Applies a run's outcome to its kind's breaker; `opened` → the caller notifies. */
  async record(
    kind: string,
    event: BreakerEvent,
  ): Promise<{ breaker: Breaker; opened: boolean; reason: string | null }> {
    const nowMs = this.#clock.now();
    const current = await this.get(kind);
    if (event !== 'transient' && current.state === 'closed' && current.consecutiveTransient === 0) {
      return { breaker: current, opened: false, reason: null };
    }
    return this.#db.tx(async (q) => {
      await q.run(
        `-- breaker row for $1 if missing (closed)
         insert into breakers (kind, state, consecutive_transient, updated_at_ms)
         values ($1, 'closed', 0, $2) on conflict (kind) do nothing`,
        [kind, nowMs],
      );
      const lock = q.dialect === 'postgres' ? ' for update' : '';
      const row = await q.get<BreakerRow>(`select * from breakers where kind = $1${lock}`, [kind]);
      const r = recordOutcome(fromRow(row!), event, this.policy, nowMs);
      const b = r.breaker;
      await q.run(
        `-- breaker transition for kind $1
         update breakers set state = $2, consecutive_transient = $3, opened_at_ms = $4,
           open_until_ms = $5, probe_job_id = $6, updated_at_ms = $7 where kind = $1`,
        [kind, b.state, b.consecutiveTransient, b.openedAtMs, b.openUntilMs, b.probeJobId, nowMs],
      );
      return r;
    });
  }

  /** Which kinds are blocked or may send a probe, from breakers and quota pauses. */
  async gates(): Promise<ClaimGates> {
    const nowMs = this.#clock.now();
    const rows = await this.#db.all<BreakerRow>(
      `-- non-closed breakers with their probe job's status
       select b.*, (select j.status from jobs j where j.id = b.probe_job_id) as probe_status
       from breakers b where b.state <> 'closed'`,
    );
    const blocked = new Set((await this.pauses()).map((p) => p.kind));
    const probe: ClaimGates['probe'] = [];
    for (const row of rows) {
      const b = fromRow(row);
      if (blocked.has(b.kind)) continue;
      let gate = claimGate(b, nowMs);
      if (gate === 'blocked' && b.state === 'half_open' && probeIsStale(row, nowMs)) gate = 'probe';
      if (gate === 'blocked') blocked.add(b.kind);
      if (gate === 'probe') {
        blocked.add(b.kind);
        probe.push({
          kind: b.kind,
          expectProbeJobId: b.state === 'half_open' ? b.probeJobId : null,
        });
      }
    }
    return { blocked: [...blocked].sort(), probe };
  }

  /** Takes the single probe slot of a kind (compare-and-set; one claimer wins across replicas). */
  async reserveProbe(kind: string, expectProbeJobId: number | null): Promise<boolean> {
    const nowMs = this.#clock.now();
    const res = await this.#db.run(
      `-- reserve the probe slot of kind $1: open & pause over → half_open, or a free/stale slot
       update breakers set state = 'half_open', probe_job_id = ${RESERVED}, updated_at_ms = $2
       where kind = $1 and ((state = 'open' and open_until_ms <= $2)
         or (state = 'half_open' and coalesce(probe_job_id, -1) = coalesce($3, -1)))`,
      [kind, nowMs, expectProbeJobId],
    );
    return res.changes === 1;
  }

  /** Records the probe job a reserved slot claimed, or frees the slot (`jobId` null). */
  async settleProbe(kind: string, jobId: number | null): Promise<void> {
    await this.#db.run(
      `-- settle a reserved probe slot of kind $1 with job $2 (null frees it)
       update breakers set probe_job_id = $2, updated_at_ms = $3
       where kind = $1 and state = 'half_open' and probe_job_id = ${RESERVED}`,
      [kind, jobId, this.#clock.now()],
    );
  }

  /**
   * Pauses a kind until `untilMs` (quota exhausted); an existing later pause is kept. Returns
   * whether this call started or extended the pause (so concurrent runs hitting the same cap
   * notify once).
   */
  async pauseKind(kind: string, untilMs: number, reason: string): Promise<boolean> {
    const before = await this.#db.get<{ paused_until_ms: number }>(
      '-- current pause of kind $1\n select paused_until_ms from kind_pauses where kind = $1 and paused_until_ms > $2',
      [kind, this.#clock.now()],
    );
    await this.#db.run(
      `-- pause kind $1 until $2 (keep the later of old and new)
       insert into kind_pauses (kind, paused_until_ms, reason, updated_at_ms) values ($1, $2, $3, $4)
       on conflict (kind) do update set
         paused_until_ms = ${greatest(this.#db.dialect)}(kind_pauses.paused_until_ms, excluded.paused_until_ms),
         reason = excluded.reason, updated_at_ms = excluded.updated_at_ms`,
      [kind, Math.round(untilMs), reason.slice(0, 1000), this.#clock.now()],
    );
    return !before || Number(before.paused_until_ms) < Math.round(untilMs);
  }

  /** The status block for `GET /queue`: every non-closed breaker and every active pause. */
  async snapshot() {
    const nowMs = this.#clock.now();
    const breakers = (await this.list()).filter(
      (b) => b.state !== 'closed' || b.consecutiveTransient > 0,
    );
    return {
      breakers: breakers.map((b) => breakerSnapshot(b, nowMs)),
      pauses: await this.pauses(),
    };
  }

  /** Active quota pauses. */
  async pauses(): Promise<KindPause[]> {
    const rows = await this.#db.all<{ kind: string; paused_until_ms: number; reason: string }>(
      '-- active kind pauses\n select * from kind_pauses where paused_until_ms > $1 order by kind',
      [this.#clock.now()],
    );
    return rows.map((r) => ({
      kind: r.kind,
      pausedUntilMs: Number(r.paused_until_ms),
      reason: r.reason,
    }));
  }
}

function probeIsStale(row: BreakerRow, nowMs: number): boolean {
  if (row.probe_job_id === null) return false;
  if (Number(row.probe_job_id) === RESERVED) {
    return nowMs - Number(row.updated_at_ms) >= PROBE_RESERVATION_MS;
  }
  return row.probe_status !== 'running';
}
