import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { listArtifacts, readArtifact, storeArtifact } from '../../remote/artifacts-store.js';
import { addFindings, listFindings } from '../../remote/findings-store.js';
import { createRun, getRun } from '../../remote/runs-store.js';
import { requireTenant, tenantOf } from '../auth.js';
import type { HttpContext } from '../deps.js';
import { idParams, kindSchema, labelSchema, safeJson, safeString } from '../schemas.js';

const security = [{ bearer: [] }];
const tags = ['v2'];

const planItem = z.object({
  kind: kindSchema,
  payload: safeJson.optional(),
  labels: z.array(labelSchema).max(32).optional(),
  priority: z.number().int().min(0).max(1_000_000).optional(),
  max_attempts: z.number().int().min(1).max(100).optional(),
});
const createRunBody = z.object({ plan: z.array(planItem).min(1).max(100) });

const artifactBody = z.object({
  label: safeString(200, 1),
  kind: kindSchema,
  path: safeString(500, 1).optional(),
  job_id: z.number().int().min(1).optional(),
  content_base64: z
    .string()
    .max(64 * 1024 * 1024)
    .regex(/^[A-Za-z0-9+/]*={0,2}$/, 'base64'),
});
const artifactParams = idParams.extend({
  artifactId: z.coerce.number().int().min(1).max(Number.MAX_SAFE_INTEGER),
});

const findingsBody = z.object({
  job_id: z.number().int().min(1).optional(),
  findings: z
    .array(z.record(safeString(100), safeJson))
    .min(1)
    .max(1000),
});

function runRoutes(app: FastifyInstance, ctx: HttpContext): void {
  const { deps } = ctx;
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.post(
    '/v2/runs',
    {
      schema: {
        tags,
        summary: 'Start a run: one job per plan item',
        body: createRunBody,
        security,
      },
    },
    async (request, reply) => {
      const plan = request.body.plan.map((p) => ({
        kind: p.kind,
        payload: p.payload,
        labels: p.labels ?? [],
        ...(p.priority === undefined ? {} : { priority: p.priority }),
        ...(p.max_attempts === undefined ? {} : { maxAttempts: p.max_attempts }),
      }));
      const tenantId = tenantOf(request);
      const p = request.principal;
      const granted = p?.kind === 'agent' ? p.grant.kinds : null;
      ctx.kinds.assertCreatable(
        plan.map((i) => i.kind),
        granted,
      );
      const created = await createRun(deps.db, { tenantId, plan }, deps.clock.now());
      deps.queue.wake.notify();
      return reply.code(201).send({ id: created.runId, status: 'queued', job_ids: created.jobIds });
    },
  );

  r.get(
    '/v2/runs/:id',
    {
      schema: { tags, summary: 'Run status with its jobs and events', params: idParams, security },
    },
    (request) => getRun(deps.db, tenantOf(request), request.params.id, deps.clock.now()),
  );
}

function artifactRoutes(app: FastifyInstance, { deps, limits }: HttpContext): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.post(
    '/v2/runs/:id/artifacts',
    {
      bodyLimit: limits.artifactBodyBytes,
      schema: {
        tags,
        summary: 'Upload an artifact (base64 JSON)',
        params: idParams,
        body: artifactBody,
        security,
      },
    },
    async (request, reply) => {
      const b = request.body;
      const artifact = await storeArtifact(
        deps.db,
        deps.dataDir,
        {
          tenantId: tenantOf(request),
          runId: request.params.id,
          jobId: b.job_id,
          label: b.label,
          kind: b.kind,
          path: b.path,
          content: Buffer.from(b.content_base64, 'base64'),
        },
        deps.clock.now(),
      );
      return reply.code(201).send(artifact);
    },
  );

  r.get(
    '/v2/runs/:id/artifacts/index.json',
    {
      schema: {
        tags,
        summary: 'Artifact index (id, label, kind, path, created_at)',
        params: idParams,
        security,
      },
    },
    async (request) => ({
      items: await listArtifacts(deps.db, tenantOf(request), request.params.id),
    }),
  );

  r.get(
    '/v2/runs/:id/artifacts/:artifactId',
    { schema: { tags, summary: "An artifact's bytes", params: artifactParams, security } },
    async (request, reply) => {
      const { id, artifactId } = request.params;
      const ref = { tenantId: tenantOf(request), runId: id, artifactId };
      const { content } = await readArtifact(deps.db, deps.dataDir, ref);
      return reply.type('application/octet-stream').send(content);
    },
  );
}

function findingRoutes(app: FastifyInstance, { deps }: HttpContext): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.post(
    '/v2/runs/:id/findings',
    {
      schema: {
        tags,
        summary: 'Add findings (normalized on write)',
        params: idParams,
        body: findingsBody,
        security,
      },
    },
    async (request, reply) => {
      const input = {
        tenantId: tenantOf(request),
        runId: request.params.id,
        jobId: request.body.job_id,
        findings: request.body.findings,
      };
      const added = await addFindings(deps.db, input, deps.clock.now());
      return reply.code(201).send({ added });
    },
  );

  r.get(
    '/v2/runs/:id/findings',
    {
      schema: {
        tags,
        summary: 'Normalized findings: title, severity, description, assets, tags',
        params: idParams,
        security,
      },
    },
    async (request) => ({
      findings: await listFindings(deps.db, tenantOf(request), request.params.id),
    }),
  );
}

/** Runs: create with a plan, status, artifacts (upload, index, download), findings. */
export function v2RunRoutes(app: FastifyInstance, ctx: HttpContext): void {
  app.addHook('onRequest', requireTenant(ctx.auth));
  for (const routes of [runRoutes, artifactRoutes, findingRoutes]) routes(app, ctx);
}
