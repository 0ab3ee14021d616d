import { StoreMetrics } from '../metrics/store-metrics.js';
import type { Runtime } from '../runtime.js';
import type { MetricsSources } from './deps.js';

/**
 * The `GET /metrics` sources of a running Orch, all read from the store on each request: stages,
 * agents, cost and the all-time totals (StoreMetrics), and the breaker state of every kind that
 * has one (the BreakerStore; a kind without a row is closed).
 */
export function runtimeMetricsSources(rt: Runtime): MetricsSources {
  const store = new StoreMetrics(rt.db, rt.clock, {
    stageOrder: () => [
      ...new Set(rt.projects.all().flatMap((p) => p.pipeline.stages.map((s) => s.name))),
    ],
  });
  return {
    stages: () => store.stages(),
    agents: () => store.agents(),
    cost: () => store.cost(),
    totals: () => store.totals(),
    breakerStates: async () =>
      Object.fromEntries((await rt.breakers.list()).map((b) => [b.kind, b.state])),
  };
}
