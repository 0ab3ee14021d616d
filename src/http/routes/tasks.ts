import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { OrchError } from '../../errors.js';
import type { TaskOverview } from '../../pipeline/task-overview.js';
import { jobRole } from '../../pipeline/task-insights.js';
import type { Clock } from '../../clock.js';
import type { QueueAdmin } from '../../queue/queue-admin.js';
import type { HttpRoutes } from '../deps.js';
import { taskDetailView, taskSummaryView } from '../task-views.js';

const tags = ['dashboard'];

/** A work item by numeric id (`7`) or work-item id (`TRL-007`). */
export const taskRefParams = z.object({
  id: z
    .string()
    .regex(/^(\d{1,15}|[A-Za-z][A-Za-z0-9_]{0,19}-\d{1,9})$/, 'a task id or a work-item id'),
});

const listQuery = z.object({
  active: z.enum(['true', 'false']).optional(),
  limit: z.coerce.number().int().min(1).max(500).optional(),
});

/** Throws TASK_NOT_FOUND (404) for an unknown task. */
export function taskNotFound(ref: string): OrchError {
  return new OrchError('TASK_NOT_FOUND', `work item ${ref} does not exist`);
}

/** `GET /api/queue`: job counts by kind and status with the oldest queued job's age. */
function queueKindsRoute(app: FastifyInstance, admin: QueueAdmin, clock: Clock): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.get(
    '/api/queue',
    { schema: { tags, summary: 'Job counts by kind and status, oldest queued age' } },
    async () => {
      const nowMs = clock.now();
      const counts = await admin.counts();
      const oldest = counts.byKind
        .map((k) => k.oldestAvailableAtMs)
        .filter((ms): ms is number => ms !== null);
      return {
        now_ms: nowMs,
        by_status: counts.byStatus,
        by_kind: counts.byKind.map((k) => ({
          kind: k.kind,
          role: jobRole({ kind: k.kind, payload: null }),
          status: k.status,
          count: k.count,
          oldest_queued_age_ms:
            k.oldestAvailableAtMs === null ? null : Math.max(0, nowMs - k.oldestAvailableAtMs),
        })),
        oldest_queued_age_ms: oldest.length === 0 ? null : Math.max(0, nowMs - Math.min(...oldest)),
      };
    },
  );
}

/**
 * The dashboard's read API for work items: `GET /api/tasks` (with cost so far),
 * `GET /api/tasks/:id` (timeline, gates, agent runs, jobs, links) and `GET /api/queue`
 * (counts by kind and status with the oldest queued job's age).
 */
export function taskRoutes(overview: TaskOverview, admin: QueueAdmin): HttpRoutes {
  return (app: FastifyInstance, ctx) => {
    const r = app.withTypeProvider<ZodTypeProvider>();
    r.get(
      '/api/tasks',
      {
        schema: {
          tags,
          summary:
            'Work items, newest first, with cost so far, why each waits, and the day’s spend',
          querystring: listQuery,
        },
      },
      async (request) => {
        const items = await overview.list({
          activeOnly: request.query.active === 'true',
          limit: request.query.limit ?? 100,
        });
        const nowMs = ctx.deps.clock.now();
        const spend = await overview.spendToday(nowMs);
        return {
          now_ms: nowMs,
          tasks: items.map(taskSummaryView),
          spend_today: { usd: spend.usd, limit_usd: spend.limitUsd, since_ms: spend.sinceMs },
        };
      },
    );
    r.get(
      '/api/tasks/:id',
      {
        schema: {
          tags,
          summary:
            'One work item: timeline, stage durations, gates, agent runs, jobs, cost, explain, links',
          params: taskRefParams,
        },
      },
      async (request) => {
        const detail = await overview.detail(request.params.id);
        if (!detail) throw taskNotFound(request.params.id);
        const nowMs = ctx.deps.clock.now();
        const view = taskDetailView(detail, nowMs);
        // Public read (ORCH_PUBLIC_READ) shows no gate evidence (it carries test output).
        if (request.readLevel === 'public') {
          view.gates = view.gates.map((g) => ({ ...g, evidence: null }));
        }
        return { now_ms: nowMs, ...view };
      },
    );
    queueKindsRoute(app, admin, ctx.deps.clock);
  };
}
