import type { Db, Queryable } from '../db.js';

/**
 * One all-time total of `metric_totals` (migration 0013): kept by triggers on agent_runs,
 * task_events, gate_results and webhook_inbox, and by the lease expiry (`addLeaseExpirations`).
 * Unused labels are `''`.
 */
export interface MetricTotal {
  series: string;
  labels: readonly [string, string, string];
  value: number;
}

/** Unfinished items of one stage in one state, and when the longest-waiting one entered it. */
export interface StageItemsRow {
  stage: string;
  state: string;
  items: number;
  oldestEnteredAtMs: number;
}

/** One timeline entry of an item, as the stage-time computation needs it. */
export interface TimelineRow {
  taskId: number;
  atMs: number;
  type: string;
  stage: string;
  /** The event's JSON detail, read for rollbacks only (null otherwise). */
  detail: string | null;
}

/** One agent run started in the window (running runs have `finishedAtMs` null). */
export interface RecentRunRow {
  kind: string;
  outcome: string | null;
  startedAtMs: number;
  finishedAtMs: number | null;
  costUsd: number | null;
  inputTokens: number | null;
  outputTokens: number | null;
  workItemId: string | null;
}

const num = (v: number | string | null): number | null => (v === null ? null : Number(v));

/**
 * The store reads behind `GET /metrics`. Every read is bounded: `metric_totals` holds one row per
 * series and label set; unfinished items come from `tasks_state_idx`; the windowed reads take the
 * newest rows since a time through an index (`agent_runs_started_idx`, `tasks_updated_idx`) and
 * stop at a row limit.
 */
export class MetricsRepo {
  readonly #db: Db;

  constructor(db: Db) {
    this.#db = db;
  }

  async totals(): Promise<MetricTotal[]> {
    const rows = await this.#db.all<{
      series: string;
      label1: string;
      label2: string;
      label3: string;
      value: number | string;
    }>(
      `-- metrics: every all-time total (one row per series and label set)
       select series, label1, label2, label3, value from metric_totals
       order by series, label1, label2, label3`,
    );
    return rows.map((r) => ({
      series: r.series,
      labels: [r.label1, r.label2, r.label3] as const,
      value: Number(r.value),
    }));
  }

  /** Unfinished items (done and cancelled excluded) per stage and state. */
  async stageItems(): Promise<StageItemsRow[]> {
    const rows = await this.#db.all<{
      stage: string;
      state: string;
      n: number | string;
      oldest: number | string;
    }>(
      `-- metrics: unfinished items per stage and state, with the earliest stage entry
       select stage, state, count(*) as n, min(stage_entered_at_ms) as oldest from tasks
       where state in ('active', 'awaiting_approval', 'needs_input', 'waiting', 'blocked')
       group by stage, state order by stage, state`,
    );
    return rows.map((r) => ({
      stage: r.stage,
      state: r.state,
      items: Number(r.n),
      oldestEnteredAtMs: Number(r.oldest),
    }));
  }

  /**
   * The whole timeline of the `maxItems` items changed most recently since `sinceMs` (a stage
   * change updates the item, so every visit that ended since then is in it), per item in order.
   */
  async timeline(sinceMs: number, maxItems: number): Promise<TimelineRow[]> {
    const rows = await this.#db.all<{
      task_id: number | string;
      at_ms: number | string;
      type: string;
      stage: string;
      detail: string | null;
    }>(
      `-- metrics: timelines of the $2 items changed most recently since $1, per item in order
       select e.task_id, e.at_ms, e.type, e.stage,
         case when e.type = 'rollback' then e.detail end as detail
       from task_events e
       where e.task_id in (
         select id from tasks where updated_at_ms >= $1 order by updated_at_ms desc limit $2)
       order by e.task_id, e.id`,
      [sinceMs, maxItems],
    );
    return rows.map((r) => ({
      taskId: Number(r.task_id),
      atMs: Number(r.at_ms),
      type: r.type,
      stage: r.stage,
      detail: r.detail,
    }));
  }

  /** The newest `maxRuns` agent runs started since `sinceMs`, with their item. */
  async recentRuns(sinceMs: number, maxRuns: number): Promise<RecentRunRow[]> {
    const rows = await this.#db.all<{
      kind: string;
      outcome: string | null;
      started_at_ms: number | string;
      finished_at_ms: number | string | null;
      cost_usd: number | string | null;
      input_tokens: number | string | null;
      output_tokens: number | string | null;
      work_item_id: string | null;
    }>(
      `-- metrics: the $2 newest agent runs started since $1, with their work item
       select r.kind, r.outcome, r.started_at_ms, r.finished_at_ms, r.cost_usd, r.input_tokens,
         r.output_tokens, t.work_item_id
       from agent_runs r left join tasks t on t.id = r.task_id
       where r.started_at_ms >= $1
       order by r.started_at_ms desc limit $2`,
      [sinceMs, maxRuns],
    );
    return rows.map((r) => ({
      kind: r.kind,
      outcome: r.outcome,
      startedAtMs: Number(r.started_at_ms),
      finishedAtMs: num(r.finished_at_ms),
      costUsd: num(r.cost_usd),
      inputTokens: num(r.input_tokens),
      outputTokens: num(r.output_tokens),
      workItemId: r.work_item_id,
    }));
  }
}

/**
 * Counts expired leases by job kind into `metric_totals`, on `q` (the expiry's transaction).
 * Kinds are upserted in sorted order, so two replicas expiring at once never deadlock.
 */
export async function addLeaseExpirations(q: Queryable, kinds: readonly string[]): Promise<void> {
  const counts = new Map<string, number>();
  for (const kind of kinds) counts.set(kind, (counts.get(kind) ?? 0) + 1);
  for (const kind of [...counts.keys()].sort()) {
    await q.run(
      `-- metrics: $2 more expired leases of kind $1
       insert into metric_totals (series, label1, value) values ('lease_expirations', $1, $2)
       on conflict (series, label1, label2, label3)
         do update set value = metric_totals.value + excluded.value`,
      [kind, counts.get(kind) ?? 0],
    );
  }
}
