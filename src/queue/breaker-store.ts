import type { Clock } from '../clock.js';
import type { Db } from '../store/db.js';
import {
  activePause,
  activePauses,
  breakerRow,
  breakerRows,
  lockBreakerRow,
  openBreakerRowsWithProbe,
  reserveProbeSlot,
  settleProbeSlot,
  upsertPause,
  writeBreaker,
  type BreakerRow,
} from '../store/breakers/breaker-rows.js';
import {
  breakerSnapshot,
  claimGate,
  closedBreaker,
  recordOutcome,
  type Breaker,
  type BreakerEvent,
  type BreakerPolicy,
} from './circuit-breaker.js';

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
    const row = await breakerRow(this.#db, kind);
    return row ? fromRow(row) : closedBreaker(kind);
  }

  async list(): Promise<Breaker[]> {
    const rows = await breakerRows(this.#db);
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
      const row = await lockBreakerRow(q, kind, nowMs);
      const r = recordOutcome(fromRow(row), event, this.policy, nowMs);
      const b = r.breaker;
      await writeBreaker(q, {
        kind,
        state: b.state,
        consecutive_transient: b.consecutiveTransient,
        opened_at_ms: b.openedAtMs,
        open_until_ms: b.openUntilMs,
        probe_job_id: b.probeJobId,
        updated_at_ms: nowMs,
      });
      return r;
    });
  }

  /** Which kinds are blocked or may send a probe, from breakers and quota pauses. */
  async gates(): Promise<ClaimGates> {
    const nowMs = this.#clock.now();
    const rows = await openBreakerRowsWithProbe(this.#db);
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
    return reserveProbeSlot(this.#db, { kind, nowMs, expectProbeJobId, reservedId: RESERVED });
  }

  /** Records the probe job a reserved slot claimed, or frees the slot (`jobId` null). */
  async settleProbe(kind: string, jobId: number | null): Promise<void> {
    const nowMs = this.#clock.now();
    await settleProbeSlot(this.#db, { kind, jobId, nowMs, reservedId: RESERVED });
  }

  /**
   * Pauses a kind until `untilMs` (quota exhausted); an existing later pause is kept. Returns
   * whether this call started or extended the pause (so concurrent runs hitting the same cap
   * notify once).
   */
  async pauseKind(kind: string, untilMs: number, reason: string): Promise<boolean> {
    const before = await activePause(this.#db, kind, this.#clock.now());
    await upsertPause(this.#db, {
      kind,
      untilMs: Math.round(untilMs),
      reason: reason.slice(0, 1000),
      nowMs: this.#clock.now(),
    });
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
    const rows = await activePauses(this.#db, this.#clock.now());
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
