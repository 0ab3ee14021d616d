import type { FastifyInstance, FastifyReply } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { OrchError } from '../../errors.js';
import { AgentProtocol } from '../../remote/agent-protocol.js';
import { grantOf, requireAgent } from '../auth.js';
import type { HttpContext } from '../deps.js';
import {
  idParams,
  kindSchema,
  labelSchema,
  leaseTokenSchema,
  safeJson,
  safeString,
} from '../schemas.js';
import { leasedJobView } from '../views.js';

const security = [{ bearer: [] }];

const leaseBody = z.object({
  kinds: z.array(kindSchema).max(50).optional(),
  labels: z.array(labelSchema).max(32).optional(),
  max: z.number().int().min(1).max(100).default(1),
  wait_ms: z.number().int().min(0).max(600_000).default(0),
  agent: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9._:@-]{0,99}$/)
    .optional(),
});

const heartbeatBody = z.object({ lease_token: leaseTokenSchema });

const eventBody = z.object({
  lease_token: leaseTokenSchema,
  type: z.string().regex(/^[a-z][a-z0-9_.-]{0,63}$/, 'e.g. job.started, job.progress'),
  data: safeJson.optional(),
});

const completeBody = z.object({
  lease_token: leaseTokenSchema,
  status: z.enum(['succeeded', 'failed', 'cancelled']),
  result: safeJson.optional(),
  error: safeString(4000).optional(),
  retryable: z.boolean().optional(),
  retry_after_ms: z.number().int().min(0).max(86_400_000).optional(),
});

/** The job status after a batched complete (the batch does not return the row). */
const COMPLETE_STATUS = { succeeded: 'done', failed: 'failed', cancelled: 'cancelled' } as const;

function leaseLost(jobId: number): OrchError {
  return new OrchError('LEASE_LOST', `the lease on job ${jobId} is no longer held by this token`);
}

/**
 * Aborts a long-poll when the client goes away or the server closes. Call `done()` when the
 * handler ends: the response's `close` comes after every response, and an abort then (nothing
 * listens any more) would only build a DOMException with a stack trace per lease request —
 * ~2.5 % of the server's busy time in bench:agents.
 */
function abortOnClose(
  reply: FastifyReply,
  polls: Set<AbortController>,
): { signal: AbortSignal; done: () => void } {
  const ac = new AbortController();
  polls.add(ac);
  const abort = () => ac.abort();
  reply.raw.once('close', abort);
  return {
    signal: ac.signal,
    done: () => {
      polls.delete(ac);
      reply.raw.off('close', abort);
    },
  };
}

/**
 * Whether the long-poll's client has gone. One turn of the event loop first, so that a
 * disconnect that raced the claim (the socket's close is already queued) is seen now, before the
 * jobs are written into a dead socket and held until their leases expire.
 */
async function clientGone(reply: FastifyReply, signal: AbortSignal): Promise<boolean> {
  await new Promise((resolve) => setImmediate(resolve));
  return signal.aborted || reply.raw.destroyed || reply.raw.socket?.destroyed === true;
}

/** Hands the jobs back if the connection closes before the response was fully written. */
function handBackIfUndelivered(reply: FastifyReply, handBack: () => Promise<void>): void {
  let finished = false;
  reply.raw.once('finish', () => (finished = true));
  reply.raw.once('close', () => {
    if (!finished) void handBack().catch(() => undefined);
  });
}

interface AgentRouteCtx {
  app: FastifyInstance;
  ctx: HttpContext;
  protocol: AgentProtocol;
  polls: Set<AbortController>;
}

function leaseRoute({ app, ctx, protocol, polls }: AgentRouteCtx): void {
  const { deps, metrics } = ctx;
  app.withTypeProvider<ZodTypeProvider>().post(
    '/v2/agents/lease2',
    {
      schema: {
        tags: ['v2'],
        summary: 'Long-poll for up to wait_ms (≤ 50 s) and lease up to max jobs',
        body: leaseBody,
        security,
      },
    },
    async (request, reply) => {
      const b = request.body;
      const poll = abortOnClose(reply, polls);
      const started = process.hrtime.bigint();
      try {
        const jobs = await protocol.lease(
          grantOf(request),
          { kinds: b.kinds, labels: b.labels, max: b.max, waitMs: b.wait_ms, agent: b.agent },
          poll.signal,
        );
        if (jobs.length > 0 && (await clientGone(reply, poll.signal))) {
          await protocol.handBack(jobs, 'lease handed back: the long-poll client disconnected');
          return { jobs: [], lease_ms: deps.leaseMs, heartbeat_interval_ms: 0 };
        }
        handBackIfUndelivered(reply, () =>
          protocol.handBack(jobs, 'lease handed back: the response was not delivered'),
        );
        const seconds = Number(process.hrtime.bigint() - started) / 1e9;
        metrics.leaseWait.observe({ outcome: jobs.length > 0 ? 'leased' : 'empty' }, seconds);
        return {
          jobs: jobs.map(leasedJobView),
          lease_ms: deps.leaseMs,
          heartbeat_interval_ms: Math.max(1000, Math.floor(deps.leaseMs / 3)),
        };
      } finally {
        poll.done();
      }
    },
  );
}

function heartbeatRoute({ app, protocol }: AgentRouteCtx): void {
  app.withTypeProvider<ZodTypeProvider>().post(
    '/v2/jobs/:id/heartbeat',
    {
      schema: {
        tags: ['v2'],
        summary: 'Extend a held lease; the response says whether to cancel',
        params: idParams,
        body: heartbeatBody,
        security,
      },
    },
    async (request) => {
      const { id } = request.params;
      const res = await protocol.heartbeat(grantOf(request), id, request.body.lease_token);
      if (res.kind === 'lease_lost') throw leaseLost(id);
      return {
        cancel: res.cancelRequested,
        lease_expires_at: new Date(res.leaseExpiresAtMs).toISOString(),
        lease_expires_at_ms: res.leaseExpiresAtMs,
      };
    },
  );
}

function eventsRoute({ app, protocol }: AgentRouteCtx): void {
  app.withTypeProvider<ZodTypeProvider>().post(
    '/v2/jobs/:id/events',
    {
      schema: {
        tags: ['v2'],
        summary: 'Record a job event (job.started, job.running, adapter.started, progress…)',
        params: idParams,
        body: eventBody,
        security,
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      const b = request.body;
      const e = { leaseToken: b.lease_token, type: b.type, data: b.data };
      const res = await protocol.event(grantOf(request), id, e);
      if (res.kind === 'lease_lost') throw leaseLost(id);
      return reply.code(202).send({ ok: true });
    },
  );
}

function completeRoute({ app, protocol }: AgentRouteCtx): void {
  app.withTypeProvider<ZodTypeProvider>().post(
    '/v2/jobs/:id/complete',
    {
      schema: {
        tags: ['v2'],
        summary: 'Finish a held job: succeeded, failed (retryable or not) or cancelled',
        params: idParams,
        body: completeBody,
        security,
      },
    },
    async (request) => {
      const { id } = request.params;
      const b = request.body;
      const res = await protocol.complete(grantOf(request), id, {
        leaseToken: b.lease_token,
        status: b.status,
        result: b.result,
        error: b.error,
        retryable: b.retryable,
        retryAfterMs: b.retry_after_ms,
      });
      if (res.kind === 'lease_lost') throw leaseLost(id);
      return { job: { id, status: res.job?.status ?? COMPLETE_STATUS[b.status] } };
    },
  );
}

/** The v2 remote-agent protocol: lease2 (long-poll), heartbeat, events, complete. */
export function v2AgentRoutes(app: FastifyInstance, ctx: HttpContext): void {
  const { deps, metrics } = ctx;
  const protocol = new AgentProtocol({
    db: deps.db,
    queue: deps.queue,
    clock: deps.clock,
    leaseMs: deps.leaseMs,
    maxWaitMs: ctx.limits.maxLeaseWaitMs,
    pollIntervalMs: deps.pollIntervalMs,
    onClaimed: (jobs) => metrics.recordClaims(jobs, 'v2'),
    onLeaseLost: (endpoint) => metrics.staleLeaseRejections.inc({ endpoint }),
  });
  metrics.watchLongPolls(() => protocol.waitingLeases);
  const polls = new Set<AbortController>();
  app.addHook('preClose', () => {
    for (const ac of polls) ac.abort();
  });
  app.addHook('onRequest', requireAgent(ctx.auth));
  const routeCtx: AgentRouteCtx = { app, ctx, protocol, polls };
  for (const route of [leaseRoute, heartbeatRoute, eventsRoute, completeRoute]) route(routeCtx);
}
