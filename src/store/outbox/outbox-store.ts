import { randomUUID } from 'node:crypto';
import { maskDeep, noMask, type SecretMasker } from '../../config/secret-masker.js';
import { sqlFor, typedParam, type Db, type Queryable } from '../db.js';

/** One side effect to deliver later: `kind` says how, `payload` carries everything needed. */
export interface OutboxEntry {
  taskId: number;
  kind: string;
  payload: unknown;
}

/** A claimed row: deliver it, then `delivered` or `failed` with its `claimToken`. */
export interface OutboxRow {
  id: number;
  taskId: number;
  kind: string;
  payload: unknown;
  attempts: number;
  claimToken: string;
  createdAtMs: number;
}

interface Row {
  id: number;
  task_id: number;
  kind: string;
  payload: string;
  attempts: number;
  claim_token: string;
  created_at_ms: number;
}

export interface OutboxStats {
  pending: number;
  oldestPendingAtMs: number | null;
  delivered: number;
  dead: number;
  /** Pending rows that failed at least once (waiting for a retry). */
  retrying: number;
}

// A row is the head of its task's queue when no earlier row of the same task is still pending:
// only heads are claimed, so one task's effects go out in id order even across replicas.
const HEAD = `o.delivered_at_ms is null and o.dead_at_ms is null
    and o.available_at_ms <= $1
    and (o.claim_expires_at_ms is null or o.claim_expires_at_ms <= $1)
    and not exists (
      select 1 from outbox e
      where e.task_id = o.task_id and e.id < o.id
        and e.delivered_at_ms is null and e.dead_at_ms is null)`;

const CLAIM = {
  postgres: `
-- outbox claim: up to $3 deliverable task heads at now $1, claim token $2, claim lease $4 ms
with c as materialized (
  select o.id from outbox o
  where ${HEAD}
  order by o.id
  limit $3
  for update skip locked
)
update outbox u set claim_token = $2, claim_expires_at_ms = $1 + $4
from c where u.id = c.id
returning u.*`,
  sqlite: `
-- outbox claim: up to $3 deliverable task heads at now $1, claim token $2, claim lease $4 ms
update outbox set claim_token = $2, claim_expires_at_ms = $1 + $4
where id in (select o.id from outbox o where ${HEAD} order by o.id limit $3)
returning *`,
} as const;

/**
 * The outbox table. `add` takes a Queryable so the rows commit with the change that caused them.
 * Claims are single statements (SQLite: the write lock; PostgreSQL: `for update skip locked`),
 * so on several replicas each row is delivered by one at a time; every write after the claim is
 * fenced by the claim token, so a deliverer whose claim expired changes nothing.
 */
export class OutboxStore {
  readonly #db: Db;
  readonly #mask: SecretMasker;

  /** `mask`: applied to every string of a payload before it is stored (comments quote errors). */
  constructor(db: Db, o: { mask?: SecretMasker } = {}) {
    this.#db = db;
    this.#mask = o.mask ?? noMask;
  }

  async add(q: Queryable, entries: readonly OutboxEntry[], nowMs: number): Promise<void> {
    for (const e of entries) {
      await q.run(
        `-- outbox add: task $1, kind $2, payload $3, at $4
         insert into outbox (task_id, kind, payload, available_at_ms, created_at_ms)
         values ($1, $2, $3, $4, $4)`,
        [e.taskId, e.kind, JSON.stringify(maskDeep(e.payload, this.#mask)), nowMs],
      );
    }
  }

  async claim(o: { nowMs: number; max: number; claimMs: number }): Promise<OutboxRow[]> {
    const rows = await this.#db.all<Row>(sqlFor(this.#db, CLAIM), [
      o.nowMs,
      randomUUID(),
      o.max,
      o.claimMs,
    ]);
    return rows
      .map((r) => ({
        id: Number(r.id),
        taskId: Number(r.task_id),
        kind: r.kind,
        payload: JSON.parse(r.payload) as unknown,
        attempts: Number(r.attempts),
        claimToken: r.claim_token,
        createdAtMs: Number(r.created_at_ms),
      }))
      .sort((a, b) => a.id - b.id);
  }

  /** Marks a claimed row delivered; false when the claim was lost (another replica has it). */
  async delivered(row: OutboxRow, nowMs: number): Promise<boolean> {
    const r = await this.#db.run(
      `-- outbox delivered: row $1 under claim $2 at $3
       update outbox set delivered_at_ms = $3, claim_token = null, claim_expires_at_ms = null
       where id = $1 and claim_token = $2`,
      [row.id, row.claimToken, nowMs],
    );
    return r.changes === 1;
  }

  /** Records a failed attempt: retry at `retryAtMs`, or dead when `retryAtMs` is null. */
  async failed(
    row: OutboxRow,
    o: { nowMs: number; error: string; retryAtMs: number | null },
  ): Promise<boolean> {
    const retryAt = typedParam(this.#db.dialect, 5, 'bigint');
    const r = await this.#db.run(
      `-- outbox failed: row $1 under claim $2 at $3, error $4, retry at $5 (null = dead)
       update outbox set attempts = attempts + 1, last_error = $4, claim_token = null,
         claim_expires_at_ms = null, available_at_ms = coalesce(${retryAt}, available_at_ms),
         dead_at_ms = case when ${retryAt} is null then ${typedParam(this.#db.dialect, 3, 'bigint')} else null end
       where id = $1 and claim_token = $2`,
      [row.id, row.claimToken, o.nowMs, o.error.slice(0, 2000), o.retryAtMs],
    );
    return r.changes === 1;
  }

  /** Deletes delivered rows older than `beforeMs` (the table keeps a week of history). */
  async prune(beforeMs: number): Promise<number> {
    const r = await this.#db.run(
      `-- outbox prune: delivered rows delivered before $1
       delete from outbox where delivered_at_ms is not null and delivered_at_ms < $1`,
      [beforeMs],
    );
    return r.changes;
  }

  async stats(): Promise<OutboxStats> {
    const r = await this.#db.get<Record<keyof OutboxStats, number | string | null>>(
      `-- outbox stats: pending, oldest pending, delivered, dead, retrying
       select
         sum(case when delivered_at_ms is null and dead_at_ms is null then 1 else 0 end) as pending,
         min(case when delivered_at_ms is null and dead_at_ms is null then created_at_ms end)
           as "oldestPendingAtMs",
         sum(case when delivered_at_ms is not null then 1 else 0 end) as delivered,
         sum(case when dead_at_ms is not null then 1 else 0 end) as dead,
         sum(case when delivered_at_ms is null and dead_at_ms is null and attempts > 0
           then 1 else 0 end) as retrying
       from outbox`,
    );
    const n = (v: number | string | null | undefined) =>
      v === null || v === undefined ? 0 : Number(v);
    return {
      pending: n(r?.pending),
      oldestPendingAtMs:
        r?.oldestPendingAtMs === null || r?.oldestPendingAtMs === undefined
          ? null
          : Number(r.oldestPendingAtMs),
      delivered: n(r?.delivered),
      dead: n(r?.dead),
      retrying: n(r?.retrying),
    };
  }
}
