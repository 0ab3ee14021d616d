import type { FastifyInstance } from 'fastify';
import type { HttpContext } from '../deps.js';
import { runBlock } from '../status-blocks.js';

export const METRICS_SCHEMA_VERSION = 1;

/** Pure: whether the client asked for the JSON snapshot rather than Prometheus text. */
export function wantsJson(accept: string | undefined): boolean {
  return /\bapplication\/json\b/i.test(accept ?? '');
}

async function jsonSnapshot(ctx: HttpContext) {
  const { deps } = ctx;
  const src = deps.metricsSources ?? {};
  const nowMs = deps.clock.now();
  const [queue, stages, agents, cost, breakers] = await Promise.all([
    runBlock(async () => {
      const counts = await deps.admin.counts();
      const byKind = counts.byKind
        .filter((r) => r.status === 'queued')
        .map((r) => ({
          kind: r.kind,
          queued: r.count,
          oldest_queued_age_s:
            r.oldestAvailableAtMs === null
              ? 0
              : Math.max(0, (nowMs - r.oldestAvailableAtMs) / 1000),
        }));
      return { counts: counts.byStatus, by_kind: byKind };
    }),
    runBlock(() => src.stages?.() ?? []),
    runBlock(() => src.agents?.() ?? []),
    runBlock(() => src.cost?.() ?? {}),
    runBlock(() => src.breakerStates?.() ?? {}),
  ]);
  return {
    schema_version: METRICS_SCHEMA_VERSION,
    generated_at: new Date(nowMs).toISOString(),
    stages,
    queue: {
      ...(queue as object),
      breakers,
      max_concurrency: deps.maxConcurrency,
      poll_interval: deps.pollIntervalMs / 1000,
    },
    agents,
    cost,
  };
}

/** Refreshes the scrape-time gauges; a failing source leaves its gauge empty, never a 500. */
async function refreshGauges(ctx: HttpContext): Promise<void> {
  const { deps, metrics } = ctx;
  await Promise.all([
    deps.admin
      .counts()
      .then((c) => metrics.refreshQueue(c, deps.clock.now()))
      .catch((err: unknown) => deps.logger?.warn({ err }, 'metrics: queue counts failed')),
    Promise.resolve()
      .then(() => deps.metricsSources?.breakerStates?.())
      .then((s) => s && metrics.refreshBreakers(s))
      .catch((err: unknown) => deps.logger?.warn({ err }, 'metrics: breaker states failed')),
  ]);
}

/**
 * `GET /metrics`: Prometheus text by default; with `Accept: application/json` the raw-signal
 * snapshot `{ schema_version, generated_at, stages, queue, agents, cost }` (spec §2.1).
 */
export function metricsRoutes(app: FastifyInstance, ctx: HttpContext): void {
  app.get(
    '/metrics',
    { schema: { tags: ['observability'], summary: 'Prometheus metrics, or a JSON snapshot' } },
    async (request, reply) => {
      if (wantsJson(request.headers.accept)) return jsonSnapshot(ctx);
      await refreshGauges(ctx);
      const text = await ctx.metrics.registry.metrics();
      return reply.type(ctx.metrics.registry.contentType).send(text);
    },
  );
}
