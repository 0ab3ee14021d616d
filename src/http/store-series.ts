import { Counter, Gauge, type Registry } from 'prom-client';
import type { AgentMetrics } from '../metrics/run-stats.js';
import type { StageMetrics } from '../metrics/store-metrics.js';
import type { MetricTotal } from '../store/metrics/metrics-repo.js';

/**
 * The counters fed from `metric_totals` (migration 0013), by series: the Prometheus name, its
 * help and the names of the stored labels in order.
 */
export const TOTAL_SERIES = {
  agent_runs: {
    name: 'orch_agent_runs_total',
    help: 'Finished local agent runs, by kind and outcome (from the store: all replicas, all time)',
    labels: ['kind', 'outcome'],
  },
  agent_cost_usd: {
    name: 'orch_agent_cost_usd_total',
    help: 'Cost the finished agent runs reported, in USD, by kind (from the store)',
    labels: ['kind'],
  },
  agent_tokens: {
    name: 'orch_agent_tokens_total',
    help: 'Tokens of the finished agent runs, by kind and direction (input|output; from the store)',
    labels: ['kind', 'direction'],
  },
  rollbacks: {
    name: 'orch_rollbacks_total',
    help: 'Rollbacks of work items, by the stage they left (from the store)',
    labels: ['stage'],
  },
  gate_results: {
    name: 'orch_gate_results_total',
    help: 'Gate evaluations recorded, by stage, gate and verdict (pass|fail; from the store)',
    labels: ['stage', 'gate', 'verdict'],
  },
  webhook_deliveries: {
    name: 'orch_webhook_deliveries_total',
    help: 'Webhook deliveries stored, by source and outcome (accepted|ignored; from the store)',
    labels: ['source', 'outcome'],
  },
  lease_expirations: {
    name: 'orch_lease_expirations_total',
    help: 'Job leases that expired and were reclaimed, by kind (from the store)',
    labels: ['kind'],
  },
} as const;
export type TotalSeries = keyof typeof TOTAL_SERIES;

const QUANTILES = [
  ['0.5', 'p50'],
  ['0.95', 'p95'],
] as const;

/**
 * The Prometheus series read from the store at scrape time (registered in `registry`). Each
 * refresh is synchronous (reset, then set), so two concurrent scrapes never interleave; a read
 * that failed is simply not refreshed: counters keep their last values rather than dropping.
 */
export class StoreSeries {
  readonly counters: Readonly<Record<TotalSeries, Counter>>;
  readonly stageItems: Gauge;
  readonly stageDuration: Gauge;
  readonly agentRunDuration: Gauge;

  constructor(registry: Registry) {
    const counter = (s: TotalSeries) =>
      new Counter({
        name: TOTAL_SERIES[s].name,
        help: TOTAL_SERIES[s].help,
        labelNames: TOTAL_SERIES[s].labels,
        registers: [registry],
      });
    this.counters = Object.fromEntries(
      Object.keys(TOTAL_SERIES).map((s) => [s, counter(s as TotalSeries)]),
    ) as Record<TotalSeries, Counter>;
    this.stageItems = new Gauge({
      name: 'orch_stage_items',
      help: 'Unfinished work items in a stage now (every state but done and cancelled)',
      labelNames: ['stage'],
      registers: [registry],
    });
    this.stageDuration = new Gauge({
      name: 'orch_stage_duration_seconds',
      help: 'Time items spent in a stage, stays that ended in the last 30 days: p50 and p95',
      labelNames: ['stage', 'quantile'],
      registers: [registry],
    });
    this.agentRunDuration = new Gauge({
      name: 'orch_agent_run_duration_seconds',
      help: 'Wall time of agent runs started in the last 30 days, by kind: p50 and p95',
      labelNames: ['kind', 'quantile'],
      registers: [registry],
    });
  }

  refreshTotals(totals: readonly MetricTotal[]): void {
    for (const c of Object.values(this.counters)) c.reset();
    for (const t of totals) {
      if (!Object.hasOwn(TOTAL_SERIES, t.series)) continue;
      const series = t.series as TotalSeries;
      const names: readonly string[] = TOTAL_SERIES[series].labels;
      const labels = Object.fromEntries(names.map((n, i) => [n, t.labels[i] ?? '']));
      this.counters[series].inc(labels, Math.max(0, t.value));
    }
  }

  refreshStages(stages: readonly StageMetrics[]): void {
    this.stageItems.reset();
    this.stageDuration.reset();
    for (const s of stages) {
      this.stageItems.set({ stage: s.stage }, s.items);
      for (const [quantile, key] of QUANTILES) {
        const v = s.time_in_stage_s[key];
        if (v !== null) this.stageDuration.set({ stage: s.stage, quantile }, v);
      }
    }
  }

  refreshAgents(agents: readonly AgentMetrics[]): void {
    this.agentRunDuration.reset();
    for (const a of agents) {
      for (const [quantile, key] of QUANTILES) {
        const v = a.duration_s[key];
        if (v !== null) this.agentRunDuration.set({ kind: a.kind, quantile }, v);
      }
    }
  }
}
