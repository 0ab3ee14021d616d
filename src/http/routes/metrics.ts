import type { FastifyInstance } from 'fastify';
import type { HttpContext } from '../deps.js';
import { BLOCK_TIMEOUT_MS, runBlock } from '../status-blocks.js';

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

/**
 * Reads one source and applies it to its series; a source that fails (or takes longer than a
 * /queue block) is a log line and leaves its series as they were, never a 500.
 */
async function refresh<T>(
  ctx: HttpContext,
  name: string,
  source: (() => Promise<T> | T) | undefined,
  apply: (value: T) => void,
): Promise<void> {
  if (!source) return;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('timeout')), BLOCK_TIMEOUT_MS);
  });
  try {
    apply(await Promise.race([Promise.resolve().then(source), timeout]));
  } catch (err) {
    ctx.deps.logger?.warn({ err }, `metrics: ${name} failed`);
  } finally {
    clearTimeout(timer);
  }
}

/** Refreshes the scrape-time series from their sources (each independently). */
async function refreshGauges(ctx: HttpContext): Promise<void> {
  const { deps, metrics } = ctx;
  const src = deps.metricsSources ?? {};
  await Promise.all([
    refresh(
      ctx,
      'queue counts',
      () => deps.admin.counts(),
      (c) => metrics.refreshQueue(c, deps.clock.now()),
    ),
    refresh(ctx, 'breaker states', src.breakerStates, (s) => metrics.refreshBreakers(s)),
    refresh(ctx, 'totals', src.totals, (t) => metrics.store.refreshTotals(t)),
    refresh(ctx, 'stages', src.stages, (s) => metrics.store.refreshStages(s)),
    refresh(ctx, 'agents', src.agents, (a) => metrics.store.refreshAgents(a)),
  ]);
}

/**
 * `GET /metrics`: Prometheus text by default; with `Accept: application/json` the raw-signal
 * snapshot `{ schema_version, generated_at, stages, queue, agents, cost }` (spec §2.1; fields in
 * docs/http-api.md). Both are read from the same sources on every request; a block whose source
 * fails is `{ error }` in the JSON, and its series keep their last values in the text.
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
