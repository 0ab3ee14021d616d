import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { OrchError } from '../../errors.js';
import type { Pipeline } from '../../pipeline/pipeline.js';
import type { HttpRoutes } from '../deps.js';
import { safeTrimmed } from '../schemas.js';

const query = z.object({
  work_item: safeTrimmed(100),
  by: safeTrimmed(100).optional(),
});

/**
 * `POST /bug-fast-track/escalate?work_item=ET-001` (admin, spec §2): a bug-track task returns to
 * the full track while still in analysis. Idempotent: `was` tells the previous track.
 */
export function escalateRoutes(pipeline: Pipeline): HttpRoutes {
  return (plain: FastifyInstance) => {
    const app = plain.withTypeProvider<ZodTypeProvider>();
    app.post(
      '/bug-fast-track/escalate',
      {
        schema: {
          tags: ['admin'],
          summary: 'bug fast-track → full track',
          querystring: query,
          security: [{ bearer: [] }],
        },
      },
      async (req) => {
        const task = await pipeline.core.deps.tasks.byWorkItem(req.query.work_item);
        if (!task) throw new OrchError('TASK_NOT_FOUND', `no work item ${req.query.work_item}`);
        const { was } = await pipeline.escalateToFullTrack(task.id, req.query.by ?? 'admin');
        return { ok: true, work_item: task.workItemId, track: 'full', was };
      },
    );
  };
}
