import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import {
  listAgentTokens,
  revokeAgentToken,
  type AgentTokenInfo,
} from '../../store/v2/agent-token-admin.js';
import { createAgentToken } from '../../remote/agent-tokens.js';
import { requireAdmin } from '../auth.js';
import type { HttpContext } from '../deps.js';
import { idParams, kindSchema, labelSchema, safeString, tenantSchema } from '../schemas.js';
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
  name: safeString(100, 1),
  kinds: z.array(kindSchema).min(1).max(50),
  labels: z.array(labelSchema).max(32).optional(),
  /** Optional lifetime; the token stops working after it. */
  expires_in_seconds: z
    .number()
    .int()
    .min(1)
    .max(10 * 365 * 86_400)
    .optional(),
});

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

function tokenView(t: AgentTokenInfo) {
  return {
    id: t.id,
    tenant_id: t.tenantId,
    name: t.name,
    kinds: t.kinds,
    labels: t.labels,
    created_at: iso(t.createdAtMs),
    expires_at: iso(t.expiresAtMs),
    last_used_at: iso(t.lastUsedAtMs),
    revoked_at: iso(t.revokedAtMs),
  };
}

/** `POST /v2/agent_tokens`: the token is in this response only; the store keeps its hash. */
function createTokenRoute(app: FastifyInstance, ctx: HttpContext): void {
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
      ctx.kinds.assertGrantable(b.tenant_id, b.kinds);
      const nowMs = ctx.deps.clock.now();
      const expiresAtMs =
        b.expires_in_seconds === undefined ? null : nowMs + b.expires_in_seconds * 1000;
      const created = await createAgentToken(
        ctx.deps.db,
        {
          tenantId: b.tenant_id,
          name: b.name,
          kinds: b.kinds,
          labels: b.labels ?? [],
          expiresAtMs,
        },
        nowMs,
      );
      return reply.code(201).send({
        id: created.grant.tokenId,
        token: created.token,
        tenant_id: b.tenant_id,
        name: b.name,
        kinds: created.grant.kinds,
        labels: created.grant.labels,
        created_at: new Date(created.createdAtMs).toISOString(),
        expires_at: iso(expiresAtMs),
      });
    },
  );
}

const listTokensQuery = z.object({
  tenant_id: tenantSchema.optional(),
  active: z.enum(['true', 'false']).optional(),
});

/** `GET /v2/agent_tokens` and `DELETE /v2/agent_tokens/:id` (revoke, effective at once). */
function manageTokenRoutes(app: FastifyInstance, ctx: HttpContext): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.get(
    '/v2/agent_tokens',
    {
      schema: {
        tags: ['admin', 'v2'],
        summary: 'List agent tokens (never the token itself): expiry, last use, revocation',
        querystring: listTokensQuery,
        security,
      },
    },
    async (request) => {
      const q = request.query;
      const list = await listAgentTokens(ctx.deps.db, {
        tenantId: q.tenant_id,
        activeOnly: q.active === 'true',
      });
      return { items: list.map(tokenView) };
    },
  );
  r.delete(
    '/v2/agent_tokens/:id',
    {
      schema: {
        tags: ['admin', 'v2'],
        summary: 'Revoke an agent token; it stops working at once',
        params: idParams,
        security,
      },
    },
    async (request) => {
      const revoked = await revokeAgentToken(ctx.deps.db, request.params.id, ctx.deps.clock.now());
      ctx.auth.forgetGrants();
      return tokenView(revoked);
    },
  );
}

/**
 * Every admin route, behind the admin bearer check (run on `onRequest`, before the body is read).
 * Add new admin modules (task approve/reject/cancel/escalate, lessons…) to `ADMIN_ROUTES` here,
 * or pass them as `HttpDeps.adminRoutes`.
 */
export const ADMIN_ROUTES = [adminJobRoutes, createTokenRoute, manageTokenRoutes] as const;

export function adminRoutes(app: FastifyInstance, ctx: HttpContext): void {
  app.addHook('onRoute', (route) => {
    // The read-access hook leaves these routes to requireAdmin (src/http/read-access.ts).
    route.config = { ...route.config, orchOwnAuth: true };
  });
  app.addHook('onRequest', requireAdmin(ctx.auth));
  for (const routes of [...ADMIN_ROUTES, ...(ctx.deps.adminRoutes ?? [])]) routes(app, ctx);
}
