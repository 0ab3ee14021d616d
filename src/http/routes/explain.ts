import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Explanation } from '../../pipeline/explain.js';
import type { HttpRoutes } from '../deps.js';
import { taskNotFound, taskRefParams } from './tasks.js';

const tags = ['dashboard'];

/**
 * `GET /api/tasks/:id/explain` (issue 18): why a work item is where it is and what would move
 * it — the same structure as `orch explain <ID> --json`, read like the other `/api/tasks` routes.
 */
export function explainRoutes(
  explain: (ref: string) => Promise<Explanation | undefined>,
): HttpRoutes {
  return (app: FastifyInstance, ctx) => {
    const r = app.withTypeProvider<ZodTypeProvider>();
    r.get(
      '/api/tasks/:id/explain',
      {
        schema: {
          tags,
          summary:
            'Why a work item is where it is (approval, serial gate, dependency, breaker, queue…) and what would move it',
          params: taskRefParams,
        },
      },
      async (request) => {
        const e = await explain(request.params.id);
        if (!e) throw taskNotFound(request.params.id);
        return { now_ms: ctx.deps.clock.now(), ...e };
      },
    );
  };
}
