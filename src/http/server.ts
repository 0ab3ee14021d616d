import fastifySwagger from '@fastify/swagger';
import Fastify, { type FastifyInstance } from 'fastify';
import {
  jsonSchemaTransform,
  serializerCompiler,
  validatorCompiler,
} from 'fastify-type-provider-zod';
import { silentLogger } from '../log.js';
import { KindPolicy } from '../remote/kind-policy.js';
import { Authenticator } from './auth.js';
import type { HttpContext, HttpDeps, HttpLimits, HttpRoutes } from './deps.js';
import { installErrorHandling } from './errors.js';
import { OrchMetrics } from './metrics.js';
import { adminRoutes } from './routes/admin.js';
import { docsRoutes } from './routes/docs.js';
import { healthRoutes } from './routes/health.js';
import { metricsRoutes } from './routes/metrics.js';
import { queueRoutes } from './routes/queue.js';
import { sessionRoutes } from './routes/session.js';
import { LOOPBACK_HOSTS } from './allowed-hosts.js';
import { ReadAccess, readAccessHook } from './read-access.js';
import { RequestLogController } from './request-log-controller.js';
import { v2AgentRoutes } from './routes/v2-agents.js';
import { v2RunRoutes } from './routes/v2-runs.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** A one-time code for `GET /login?code=` (the URL `orch serve` prints). */
    orchLoginCode: () => string;
  }
}

export const DEFAULT_LIMITS: Required<HttpLimits> = {
  bodyBytes: 1024 * 1024,
  artifactBodyBytes: 32 * 1024 * 1024,
  maxLeaseWaitMs: 50_000,
};

/**
 * Route modules, each registered in its own encapsulated plugin (so an auth hook added by one
 * applies to its routes only). Public observability first, then admin, then the v2 agent API.
 * Add a module here, or pass it in `HttpDeps.routes` / `HttpDeps.adminRoutes`.
 */
export const ROUTE_MODULES: readonly HttpRoutes[] = [
  healthRoutes,
  queueRoutes,
  metricsRoutes,
  docsRoutes,
  sessionRoutes,
  adminRoutes,
  v2AgentRoutes,
  v2RunRoutes,
];

/**
 * Builds the HTTP server. It never listens: `main`/the CLI calls `listen`, tests call `inject()`.
 * Every error leaves as `{ error: { code, message } }` with the status from `errors.ts`.
 */
export function buildServer(deps: HttpDeps): FastifyInstance {
  const limits = { ...DEFAULT_LIMITS, ...deps.limits };
  const app = Fastify({
    loggerInstance: deps.logger ?? silentLogger,
    // One line per request at debug (5xx at error), not two at info.
    logController: new RequestLogController(),
    bodyLimit: limits.bodyBytes,
    // Long-polls hold requests open; closing must not wait for them (preClose aborts them).
    forceCloseConnections: true,
  });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.decorateRequest('principal', null);
  app.decorateRequest('readLevel', null);
  installErrorHandling(app as unknown as FastifyInstance);
  void app.register(fastifySwagger, {
    openapi: {
      info: { title: 'Orch HTTP API', version: '0.1.0' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    },
    transform: jsonSchemaTransform,
  });
  const auth = new Authenticator(deps.db, deps.clock, deps.adminToken, deps.viewerToken);
  const readAccess = new ReadAccess({
    auth,
    clock: deps.clock,
    adminToken: deps.adminToken,
    viewerToken: deps.viewerToken,
    publicRead: deps.publicRead ?? false,
    allowedHosts: deps.allowedHosts ?? LOOPBACK_HOSTS,
  });
  // Before any route plugin: Host/Origin allowlist and read access apply to every route.
  app.addHook('onRequest', readAccessHook(readAccess));
  app.decorate('orchLoginCode', () => readAccess.issueLoginCode());
  const ctx: HttpContext = {
    deps,
    auth,
    readAccess,
    metrics: deps.metrics ?? new OrchMetrics(),
    limits,
    kinds: new KindPolicy(deps.agentRoles),
  };
  for (const routes of [...ROUTE_MODULES, ...(deps.routes ?? [])]) {
    void app.register((scope, _opts, done) => {
      routes(scope, ctx);
      done();
    });
  }
  return app as unknown as FastifyInstance;
}
