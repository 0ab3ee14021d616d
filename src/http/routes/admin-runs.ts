import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { listRunsAllTenants, runDetailAnyTenant } from '../../remote/runs-admin.js';
import type { HttpContext } from '../deps.js';
import { idParams } from '../schemas.js';

const tags = ['admin', 'dashboard'];
const security = [{ bearer: [] }];
const listQuery = z.object({ limit: z.coerce.number().int().min(1).max(500).optional() });

/**
 * `GET /api/v2runs` and `GET /api/v2runs/:id`: v2 runs of every tenant, for the dashboard. Admin
 * routes (registered through `adminRoutes`, so the admin bearer check runs first).
 */
export function adminRunRoutes(app: FastifyInstance, { deps }: HttpContext): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.get(
    '/api/v2runs',
    {
      schema: {
        tags,
        summary: 'v2 runs of every tenant, newest first',
        querystring: listQuery,
        security,
      },
    },
    async (request) => ({ runs: await listRunsAllTenants(deps.db, request.query.limit ?? 50) }),
  );
  r.get(
    '/api/v2runs/:id',
    {
      schema: {
        tags,
        summary: 'A v2 run with jobs, events, artifacts and findings',
        params: idParams,
        security,
      },
    },
    (request) => runDetailAnyTenant(deps.db, request.params.id, deps.clock.now()),
  );
}
