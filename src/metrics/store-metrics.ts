import type { Clock } from '../clock.js';
import type { Db } from '../store/db.js';
import { MetricsRepo, type MetricTotal } from '../store/metrics/metrics-repo.js';
import { summarize, type Summary } from './percentiles.js';
import { agentMetrics, costMetrics, type AgentMetrics, type CostMetrics } from './run-stats.js';
import { rollbacksByStage, stageVisits } from './stage-times.js';

/**
 * The bounds of the windowed reads (docs/operations.md "Metrics"): percentiles, runs, cost and
 * rollbacks cover the last `windowDays`; at most `maxItems` items' timelines and `maxRuns` runs
 * are read; `cost.by_item` lists the `itemLimit` most expensive items.
 */
export const METRICS_WINDOW = {
  windowDays: 30,
  maxItems: 500,
  maxRuns: 20_000,
  itemLimit: 50,
} as const;

const DAY_MS = 24 * 60 * 60 * 1000;

/** JSON `stages[]` of GET /metrics. */
export interface StageMetrics {
  stage: string;
  /** Unfinished items in the stage now (every state but done and cancelled). */
  items: number;
  /** Of them, by state (only states with items). */
  states: Record<string, number>;
  /** Age of the longest stay now, in seconds (null: no items). */
  oldest_age_s: number | null;
  /** Finished stays that ended in the window, in seconds. */
  time_in_stage_s: Summary;
  /** Rollbacks out of this stage in the window. */
  rollbacks: number;
}

/** Pure: `seen` ordered as the pipelines list them (`known`), unknown stages last, alphabetically. */
export function orderStages(seen: Iterable<string>, known: readonly string[]): string[] {
  const all = new Set([...known, ...seen]);
  const rank = (s: string) => {
    const i = known.indexOf(s);
    return i === -1 ? known.length : i;
  };
  return [...all].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
}

/**
 * What GET /metrics reports from the store, for the JSON envelope and the Prometheus series
 * alike: read on every request, so it is true across restarts and for every replica. Each method
 * may reject (the route turns that into an error block or leaves its series as they were).
 */
export class StoreMetrics {
  readonly #repo: MetricsRepo;
  readonly #clock: Clock;
  readonly #stageOrder: () => readonly string[];

  /** `stageOrder`: the stages of the configured pipelines, in order (listed even when empty). */
  constructor(db: Db, clock: Clock, o: { stageOrder?: () => readonly string[] } = {}) {
    this.#repo = new MetricsRepo(db);
    this.#clock = clock;
    this.#stageOrder = o.stageOrder ?? (() => []);
  }

  #sinceMs(): number {
    return this.#clock.now() - METRICS_WINDOW.windowDays * DAY_MS;
  }

  async stages(): Promise<StageMetrics[]> {
    const nowMs = this.#clock.now();
    const sinceMs = this.#sinceMs();
    const [items, timeline] = await Promise.all([
      this.#repo.stageItems(),
      this.#repo.timeline(sinceMs, METRICS_WINDOW.maxItems),
    ]);
    const visits = stageVisits(timeline, sinceMs);
    const rollbacks = rollbacksByStage(timeline, sinceMs);
    const names = orderStages(
      [...items.map((r) => r.stage), ...visits.map((v) => v.stage), ...rollbacks.keys()],
      this.#stageOrder(),
    );
    return names.map((stage) => {
      const rows = items.filter((r) => r.stage === stage);
      const oldest = Math.min(...rows.map((r) => r.oldestEnteredAtMs));
      return {
        stage,
        items: rows.reduce((n, r) => n + r.items, 0),
        states: Object.fromEntries(rows.map((r) => [r.state, r.items])),
        oldest_age_s: rows.length === 0 ? null : Math.max(0, nowMs - oldest) / 1000,
        time_in_stage_s: summarize(
          visits.filter((v) => v.stage === stage).map((v) => v.durationMs),
          1000,
        ),
        rollbacks: rollbacks.get(stage) ?? 0,
      };
    });
  }

  async agents(): Promise<AgentMetrics[]> {
    return agentMetrics(await this.#repo.recentRuns(this.#sinceMs(), METRICS_WINDOW.maxRuns));
  }

  async cost(): Promise<CostMetrics> {
    const runs = await this.#repo.recentRuns(this.#sinceMs(), METRICS_WINDOW.maxRuns);
    return costMetrics(runs, METRICS_WINDOW);
  }

  /** The all-time totals behind the Prometheus counters. */
  totals(): Promise<MetricTotal[]> {
    return this.#repo.totals();
  }
}
