import type { FastifyInstance } from 'fastify';
import { OrchError } from '../../errors.js';
import { JOB_STATUSES } from '../../queue/job.js';
import type { HttpContext, StatusBlock } from '../deps.js';
import { runBlocks } from '../status-blocks.js';
import { jobView } from '../views.js';

/** The blocks every `/queue` response has; registered blocks may not reuse these names. */
export function builtinQueueBlocks(ctx: HttpContext): Record<string, StatusBlock> {
  const { deps } = ctx;
  return {
    counts: async () => {
      const counts = await deps.admin.counts();
      // Every status is always present (spec §2.1), zero included.
      return Object.fromEntries(JOB_STATUSES.map((s) => [s, counts.byStatus[s]]));
    },
    max_concurrency: () => deps.maxConcurrency,
    poll_interval: () => deps.pollIntervalMs / 1000,
    recent: async () => (await deps.admin.recent(10)).map((j) => jobView(j)),
  };
}

/** All `/queue` blocks: the built-ins, then `deps.statusBlocks`. */
export function queueBlocks(ctx: HttpContext): Record<string, StatusBlock> {
  const builtin = builtinQueueBlocks(ctx);
  const extra = ctx.deps.statusBlocks ?? {};
  const clash = Object.keys(extra).filter((name) => name in builtin);
  if (clash.length > 0) {
    throw new OrchError(
      'CONFIG_INVALID',
      `status blocks reuse built-in names: ${clash.join(', ')}`,
    );
  }
  return { ...builtin, ...extra };
}

type RecentJob = { tenant_id: string | null; run_id: number | null; error: string | null };

/** Pure: Orch's own jobs (no v2 run, no tenant but the internal one). */
function isInternalJob(j: RecentJob): boolean {
  return j.run_id === null && (j.tenant_id === null || j.tenant_id === 'default');
}

/** Pure: `/queue` for a public reader — no tenant's jobs, no job error text. */
export function publicQueueView(out: Record<string, unknown>): Record<string, unknown> {
  const recent = out.recent;
  if (!Array.isArray(recent)) return out;
  const jobs = (recent as RecentJob[]).filter(isInternalJob).map((j) => ({ ...j, error: null }));
  return { ...out, recent: jobs };
}

/**
 * `GET /queue`: queue and subsystem observability. Each block is computed independently; a
 * failing block reports `{ error }` and the response is still 200.
 */
export function queueRoutes(app: FastifyInstance, ctx: HttpContext): void {
  const blocks = queueBlocks(ctx);
  app.get(
    '/queue',
    {
      schema: {
        tags: ['observability'],
        summary: 'Queue counts, recent jobs and subsystem blocks',
      },
    },
    async (request) => {
      const out = await runBlocks(blocks);
      return request.readLevel === 'public' ? publicQueueView(out) : out;
    },
  );
}
