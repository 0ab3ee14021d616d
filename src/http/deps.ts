import type { FastifyInstance } from 'fastify';
import type { Clock } from '../clock.js';
import type { Config } from '../config/config.js';
import type { Logger } from '../log.js';
import type { JobQueue } from '../queue/job-queue.js';
import type { QueueAdmin } from '../queue/queue-admin.js';
import type { KindPolicy } from '../remote/kind-policy.js';
import type { Db } from '../store/db.js';
import type { MetricTotal } from '../store/metrics/metrics-repo.js';
import type { AgentMetrics, CostMetrics } from '../metrics/run-stats.js';
import type { StageMetrics } from '../metrics/store-metrics.js';
import type { Authenticator } from './auth.js';
import { allowedHostsFor } from './allowed-hosts.js';
import type { BreakerState, OrchMetrics } from './metrics.js';
import type { ReadAccess } from './read-access.js';

/** A `/queue` block (may return a promise): computed on every request; a throw becomes `{ error }` in that block only. */
export type StatusBlock = () => unknown;

type Source<T> = () => Promise<T> | T;

/**
 * Optional data sources of `GET /metrics` (each may be absent or return a promise; JSON blocks
 * default to empty). `orch serve` reads them all from the store (`runtimeMetricsSources`).
 */
export interface MetricsSources {
  /** JSON `stages` and the `orch_stage_items` / `orch_stage_duration_seconds` gauges. */
  stages?: Source<readonly StageMetrics[]>;
  /** JSON `agents` and the `orch_agent_run_duration_seconds` gauge. */
  agents?: Source<readonly AgentMetrics[]>;
  /** JSON `cost`. */
  cost?: Source<CostMetrics>;
  /** All-time totals behind the store-fed counters (`orch_agent_runs_total` …; StoreSeries). */
  totals?: Source<readonly MetricTotal[]>;
  /** Circuit breaker state per kind: JSON `queue.breakers` and the `orch_breaker_state` gauge. */
  breakerStates?: Source<Readonly<Record<string, BreakerState>>>;
}

/** What every route module receives. */
export interface HttpContext {
  readonly deps: HttpDeps;
  readonly auth: Authenticator;
  readonly readAccess: ReadAccess;
  readonly metrics: OrchMetrics;
  readonly limits: Required<HttpLimits>;
  /** Which kinds a caller may create or have granted (internal kinds are Orch's). */
  readonly kinds: KindPolicy;
}

/**
 * A route module: registered in its own encapsulated plugin. Public modules go in
 * `HttpDeps.routes`; admin modules in `HttpDeps.adminRoutes` are registered behind the admin
 * bearer check (every route in them requires ORCH_ADMIN_TOKEN).
 */
export type HttpRoutes = (app: FastifyInstance, ctx: HttpContext) => void;

export interface HttpLimits {
  /** Largest JSON body (default 1 MiB) → 413 PAYLOAD_TOO_LARGE. */
  bodyBytes?: number;
  /** Largest artifact upload body (base64 JSON; default 32 MiB). */
  artifactBodyBytes?: number;
  /** Cap on a v2 lease long-poll (default 50 s). */
  maxLeaseWaitMs?: number;
}

/** Everything `buildServer` needs; built once in the composition root. */
export interface HttpDeps {
  db: Db;
  queue: JobQueue;
  admin: QueueAdmin;
  clock: Clock;
  /** Artifacts are stored under `<dataDir>/artifacts/`. */
  dataDir: string;
  /** ORCH_ADMIN_TOKEN; unset → admin routes answer 403 ADMIN_DISABLED. */
  adminToken?: string | undefined;
  /** ORCH_VIEWER_TOKEN: reads everything the admin reads, writes nothing. */
  viewerToken?: string | undefined;
  /** ORCH_PUBLIC_READ: anonymous reads get the public subset (no tenant data, logs, evidence). */
  publicRead?: boolean;
  /** Host/Origin allowlist (lower-case names, `*` = any); default: the loopback names. */
  allowedHosts?: readonly string[];
  /** Masks configured secret values in captured output (run logs served by the API). */
  mask?: (text: string) => string;
  logger?: Logger;
  /** Lease length granted to remote agents. */
  leaseMs: number;
  maxConcurrency: number;
  pollIntervalMs: number;
  limits?: HttpLimits;
  /** Extra `/queue` blocks by name (reaper, reconciler, breakers, merge leases…). */
  statusBlocks?: Readonly<Record<string, StatusBlock>>;
  metricsSources?: MetricsSources;
  /** Shared metrics (so daemons can count into the same registry); default: a new one. */
  metrics?: OrchMetrics;
  routes?: readonly HttpRoutes[];
  adminRoutes?: readonly HttpRoutes[];
  /** Agent roles Orch runs itself (internal kinds); default: the pipeline roles. */
  agentRoles?: readonly string[];
}

/** The HttpDeps fields that come straight from config. */
export function httpConfig(config: Config) {
  return {
    dataDir: config.dataDir,
    adminToken: config.env.ORCH_ADMIN_TOKEN,
    viewerToken: config.env.ORCH_VIEWER_TOKEN,
    publicRead: config.env.ORCH_PUBLIC_READ,
    allowedHosts: allowedHostsFor(config.env),
    leaseMs: config.queue.leaseMs,
    maxConcurrency: config.queue.maxConcurrency,
    pollIntervalMs: config.queue.pollIntervalMs,
  } satisfies Partial<HttpDeps>;
}
