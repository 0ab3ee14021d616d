import type { Db, Dialect } from '../db.js';

/** Every column of `jobs`, in table order; `job_history` has the same ones (migration 0011). */
export const JOB_COLUMNS = [
  'id',
  'tenant_id',
  'kind',
  'labels',
  'task_id',
  'run_id',
  'payload',
  'status',
  'priority',
  'attempts',
  'max_attempts',
  'transient_attempts',
  'available_at_ms',
  'idempotency_key',
  'lease_token',
  'leased_by',
  'lease_expires_at_ms',
  'heartbeat_at_ms',
  'cancel_requested',
  'pid',
  'agent_run_id',
  'error',
  'result',
  'created_at_ms',
  'updated_at_ms',
  'started_at_ms',
  'finished_at_ms',
] as const;

export const JOB_COLUMN_LIST = JOB_COLUMNS.join(', ');

/**
 * The rows a move takes: finished, last changed before $1, at most $2 of them, oldest first.
 * Jobs with an idempotency key stay in `jobs` for ever: its unique index is what makes a key
 * never create a second job (docs/decisions.md "Job history and idempotency keys").
 */
const MOVABLE = `status in ('done', 'failed', 'cancelled') and updated_at_ms < $1
    and idempotency_key is null`;

function build(d: Dialect) {
  if (d === 'postgres') {
    return {
      move: [
        `-- history: move up to $2 finished, unkeyed jobs last changed before $1 into job_history, in one statement
         with moved as (
           delete from jobs where id in (
             select id from jobs where ${MOVABLE} order by id limit $2 for update skip locked)
           returning ${JOB_COLUMN_LIST})
         insert into job_history (${JOB_COLUMN_LIST}) select ${JOB_COLUMN_LIST} from moved`,
      ],
    };
  }
  // SQLite has no data-modifying CTE: copy, then delete the same rows, in one transaction (the
  // write lock keeps the selection identical between the two).
  const pick = `-- history: the batch of finished, unkeyed jobs to move
    select id from jobs where ${MOVABLE} order by id limit $2`;
  return {
    move: [
      `-- history: copy up to $2 finished, unkeyed jobs last changed before $1 into job_history
       insert into job_history (${JOB_COLUMN_LIST})
       select ${JOB_COLUMN_LIST} from jobs where id in (${pick})`,
      `-- history: delete the jobs just copied (the same selection, under the same write lock)
       delete from jobs where id in (${pick})`,
    ],
  };
}

/** Moves finished jobs from the hot `jobs` table to `job_history` (read through `all_jobs`). */
export class JobHistoryRepo {
  readonly #db: Db;
  readonly #move: readonly string[];

  constructor(db: Db) {
    this.#db = db;
    this.#move = build(db.dialect).move;
  }

  /** Moves one batch in one transaction; returns how many jobs moved. */
  moveBatch(beforeMs: number, limit: number): Promise<number> {
    return this.#db.tx(async (q) => {
      let moved = 0;
      for (const [i, sql] of this.#move.entries()) {
        const r = await q.run(sql, [beforeMs, limit]);
        if (i === 0) moved = r.changes;
      }
      return moved;
    });
  }
}
