import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { QueueCounts } from '../queue/job-queue.js';
import type { Job } from '../queue/job.js';
import { StoreSeries } from './store-series.js';

export const BREAKER_STATES = ['closed', 'half_open', 'open'] as const;
export type BreakerState = (typeof BREAKER_STATES)[number];

/** Pure: the gauge value of a breaker state (0 closed, 1 half-open, 2 open). */
export function breakerGaugeValue(state: BreakerState): number {
  return BREAKER_STATES.indexOf(state);
}

/**
 * The Prometheus metrics of one process (its own registry, so several servers in one process —
 * tests — never collide). Most series are read from the store on every scrape, so they are true
 * across restarts and replicas: queue gauges (`refreshQueue`), breaker states (`refreshBreakers`)
 * and everything in `store` (agent runs, cost, tokens, stages, rollbacks, gate results, webhook
 * deliveries, lease expirations). Only what the store does not record is counted in process, where
 * it happens: claims (the v2 API with source `v2`; the runtime's worker and handler pools with
 * source `local`, sharing this instance as `HttpDeps.metrics`), stale-lease rejections, v2 lease
 * durations.
 */
export class OrchMetrics {
  readonly registry = new Registry();
  readonly claims = new Counter({
    name: 'orch_job_claims_total',
    help: 'Jobs leased through this process, by kind and source (v2 = remote agents, local = its pools)',
    labelNames: ['kind', 'source'] as const,
    registers: [this.registry],
  });
  readonly staleLeaseRejections = new Counter({
    name: 'orch_stale_lease_rejections_total',
    help: 'v2 agent writes refused because the lease token was stale (HTTP 409 LEASE_LOST)',
    labelNames: ['endpoint'] as const,
    registers: [this.registry],
  });
  readonly leaseWait = new Histogram({
    name: 'orch_v2_lease_duration_seconds',
    help: 'Time a v2 lease request took (long-poll included), by outcome',
    labelNames: ['outcome'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60],
    registers: [this.registry],
  });
  readonly queueDepth = new Gauge({
    name: 'orch_queue_depth',
    help: 'Jobs by kind and status',
    labelNames: ['kind', 'status'] as const,
    registers: [this.registry],
  });
  readonly oldestQueuedAge = new Gauge({
    name: 'orch_queue_oldest_queued_age_seconds',
    help: 'Age of the oldest available queued job, by kind (0 when none is available)',
    labelNames: ['kind'] as const,
    registers: [this.registry],
  });
  readonly breakerState = new Gauge({
    name: 'orch_breaker_state',
    help: 'Circuit breaker state by kind: 0 closed, 1 half-open, 2 open',
    labelNames: ['kind'] as const,
    registers: [this.registry],
  });
  /** Series read from the store at scrape time (see StoreSeries). */
  readonly store = new StoreSeries(this.registry);

  /** Read at scrape time; set by the v2 routes to the lease hub's count of waiting requests. */
  #waitingLongPolls: () => number = () => 0;
  readonly longPollsWaiting: Gauge = new Gauge({
    name: 'orch_v2_long_polls_waiting',
    help: 'v2 lease requests waiting for a job right now (long-polls held open)',
    registers: [this.registry],
    collect: (): void => this.longPollsWaiting.set(this.#waitingLongPolls()),
  });

  watchLongPolls(count: () => number): void {
    this.#waitingLongPolls = count;
  }

  recordClaims(jobs: readonly Job[], source: 'v2' | 'local'): void {
    for (const job of jobs) this.claims.inc({ kind: job.kind, source });
  }

  refreshQueue(counts: QueueCounts, nowMs: number): void {
    this.queueDepth.reset();
    this.oldestQueuedAge.reset();
    for (const row of counts.byKind) {
      this.queueDepth.set({ kind: row.kind, status: row.status }, row.count);
      if (row.status !== 'queued') continue;
      const oldest = row.oldestAvailableAtMs;
      const ageS = oldest === null ? 0 : Math.max(0, (nowMs - oldest) / 1000);
      this.oldestQueuedAge.set({ kind: row.kind }, ageS);
    }
  }

  refreshBreakers(states: Readonly<Record<string, BreakerState>>): void {
    this.breakerState.reset();
    for (const [kind, state] of Object.entries(states)) {
      this.breakerState.set({ kind }, breakerGaugeValue(state));
    }
  }
}
