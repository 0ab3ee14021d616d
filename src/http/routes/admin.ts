import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { createAgentToken } from '../../remote/agent-tokens.js';
import { requireAdmin } from '../auth.js';
import type { HttpContext } from '../deps.js';
import { idParams, kindSchema, labelSchema, tenantSchema } from '../schemas.js';
import { jobView } from '../views.js';

const security = [{ bearer: [] }];

/** `POST /admin/jobs/:id/retry|cancel`. */
function adminJobRoutes(app: FastifyInstance, ctx: HttpContext): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.post(
    '/admin/jobs/:id/retry',
    {
      schema: {
        tags: ['admin'],
        summary: 'Requeue a failed or cancelled job',
        params: idParams,
        security,
      },
    },
    async (request) => ({ job: jobView(await ctx.deps.admin.retry(request.params.id)) }),
  );
  r.post(
    '/admin/jobs/:id/cancel',
    {
      schema: {
        tags: ['admin'],
        summary: 'Cancel a queued job now, or ask the holder of a running one to stop',
        params: idParams,
        security,
      },
    },
    async (request) => {
      const { job, immediate } = await ctx.deps.admin.requestCancel(request.params.id);
      return { job: jobView(job), immediate };
    },
  );
}

const createTokenBody = z.object({
  tenant_id: tenantSchema,
  name: z.string().min(1).max(100),
  kinds: z.array(kindSchema).min(1).max(50),
  labels: z.array(labelSchema).max(32).optional(),
});

/** `POST /v2/agent_tokens`: the token is in this response only; the store keeps its hash. */
function agentTokenRoutes(app: FastifyInstance, ctx: HttpContext): void {
  app.withTypeProvider<ZodTypeProvider>().post(
    '/v2/agent_tokens',
    {
      schema: {
        tags: ['admin', 'v2'],
        summary: 'Create an agent token scoped to a tenant and kinds (shown once)',
        body: createTokenBody,
        security,
      },
    },
    async (request, reply) => {
      const b = request.body;
      const created = await createAgentToken(
        ctx.deps.db,
        { tenantId: b.tenant_id, name: b.name, kinds: b.kinds, labels: b.labels ?? [] },
        ctx.deps.clock.now(),
      );
      return reply.code(201).send({
        id: created.grant.tokenId,
        token: created.token,
        tenant_id: b.tenant_id,
        name: b.name,
        kinds: created.grant.kinds,
        labels: created.grant.labels,
        created_at: new Date(created.createdAtMs).toISOString(),
      });
    },
  );
}

/**
 * Every admin route, behind the admin bearer check (run on `onRequest`, before the body is read).
 * Add new admin modules (task approve/reject/cancel/escalate, lessons…) to `ADMIN_ROUTES` here,
 * or pass them as `HttpDeps.adminRoutes`.
 */
export const ADMIN_ROUTES = [adminJobRoutes, agentTokenRoutes] as const;

export function adminRoutes(app: FastifyInstance, ctx: HttpContext): void {
  app.addHook('onRoute', (route) => {
    // The read-access hook leaves these routes to requireAdmin (src/http/read-access.ts).
    route.config = { ...route.config, orchOwnAuth: true };
  });
  app.addHook('onRequest', requireAdmin(ctx.auth));
  for (const routes of [...ADMIN_ROUTES, ...(ctx.deps.adminRoutes ?? [])]) routes(app, ctx);
}
