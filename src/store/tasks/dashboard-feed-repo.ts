import { sqlFor, type Db } from '../db.js';

/** A timeline entry as the dashboard's event stream sends it. */
export interface FeedEvent {
  id: number;
  taskId: number;
  workItemId: string;
  type: string;
  stage: string;
  atMs: number;
}

/** What changes in agent_runs show: the newest run id and the runs still running. */
export interface RunsSnapshot {
  maxId: number;
  running: { id: number; taskId: number | null }[];
}

const FINISH_TIMES = {
  sqlite: `-- when tasks in $1 (JSON array) finished: first entry in stage done, last cancellation
    select task_id, min(case when stage = 'done' then at_ms end) as done_at,
      max(case when type = 'cancelled' then at_ms end) as cancelled_at
    from task_events
    where task_id in (select value from json_each($1)) and (stage = 'done' or type = 'cancelled')
    group by task_id`,
  postgres: `-- when tasks in $1 (JSON array) finished: first entry in stage done, last cancellation
    select task_id, min(case when stage = 'done' then at_ms end) as done_at,
      max(case when type = 'cancelled' then at_ms end) as cancelled_at
    from task_events
    where task_id in (select (jsonb_array_elements_text($1::jsonb))::bigint)
      and (stage = 'done' or type = 'cancelled')
    group by task_id`,
} as const;

/**
 * The dashboard's change feed (issue 19): new timeline entries after a cursor and cheap
 * fingerprints of agent_runs and jobs, read by one poller per server (src/http/event-hub.ts).
 * Every statement is an index range or an index-only count.
 */
export class DashboardFeedRepo {
  readonly #db: Db;

  constructor(db: Db) {
    this.#db = db;
  }

  /** The id of the newest timeline entry (0 when there is none). */
  async latestEventId(): Promise<number> {
    const row = await this.#db.get<{ id: number | string | null }>(
      `-- the newest task_events id
       select max(id) as id from task_events`,
    );
    return row?.id == null ? 0 : Number(row.id);
  }

  /** Timeline entries with an id above `afterId`, oldest first, at most `limit`. */
  async eventsAfter(afterId: number, limit: number): Promise<FeedEvent[]> {
    const rows = await this.#db.all<{
      id: number | string;
      task_id: number | string;
      work_item_id: string;
      type: string;
      stage: string;
      at_ms: number | string;
    }>(
      `-- timeline entries with id above $1 (any task), oldest first, $2 at most
       select e.id, e.task_id, t.work_item_id, e.type, e.stage, e.at_ms
       from task_events e join tasks t on t.id = e.task_id
       where e.id > $1 order by e.id limit $2`,
      [afterId, limit],
    );
    return rows.map((r) => ({
      id: Number(r.id),
      taskId: Number(r.task_id),
      workItemId: r.work_item_id,
      type: r.type,
      stage: r.stage,
      atMs: Number(r.at_ms),
    }));
  }

  /** The newest agent run id and the runs without a finish (agent_runs_running_idx). */
  async runsSnapshot(): Promise<RunsSnapshot> {
    const [max, running] = await Promise.all([
      this.#db.get<{ id: number | string | null }>(
        `-- the newest agent_runs id
         select max(id) as id from agent_runs`,
      ),
      this.#db.all<{ id: number | string; task_id: number | string | null }>(
        `-- agent runs still running
         select id, task_id from agent_runs where finished_at_ms is null order by id`,
      ),
    ]);
    return {
      maxId: max?.id == null ? 0 : Number(max.id),
      running: running.map((r) => ({
        id: Number(r.id),
        taskId: r.task_id === null ? null : Number(r.task_id),
      })),
    };
  }

  /** Live jobs by status (jobs_status_idx; jobs moved to job_history are not counted). */
  async jobCounts(): Promise<Record<string, number>> {
    const rows = await this.#db.all<{ status: string; n: number | string }>(
      `-- live job counts by status
       select status, count(*) as n from jobs group by status order by status`,
    );
    return Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
  }

  /**
   * When each of `taskIds` finished, as far as the timeline says: the first entry in stage
   * `done`, else the last `cancelled` entry. Tasks without either are absent.
   */
  async finishTimes(
    taskIds: readonly number[],
  ): Promise<Map<number, { doneAtMs: number | null; cancelledAtMs: number | null }>> {
    const out = new Map<number, { doneAtMs: number | null; cancelledAtMs: number | null }>();
    if (taskIds.length === 0) return out;
    const rows = await this.#db.all<{
      task_id: number | string;
      done_at: number | string | null;
      cancelled_at: number | string | null;
    }>(sqlFor(this.#db, FINISH_TIMES), [JSON.stringify(taskIds)]);
    for (const r of rows) {
      out.set(Number(r.task_id), {
        doneAtMs: r.done_at === null ? null : Number(r.done_at),
        cancelledAtMs: r.cancelled_at === null ? null : Number(r.cancelled_at),
      });
    }
    return out;
  }
}
