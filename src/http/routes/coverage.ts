import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Clock } from '../../clock.js';
import type { CoverageRepo } from '../../store/coverage/coverage-repo.js';
import { assertKnownRepo } from '../../pipeline/serial-gate.js';
import type { HttpRoutes } from '../deps.js';
import { safeTrimmed } from '../schemas.js';

const repo = z.string().regex(/^[A-Za-z0-9._-]{1,200}$/, 'a plain repository name');

const view = (b: { pct: number; setBy: string; updatedAtMs: number } | null) =>
  b && { pct: b.pct, set_by: b.setBy, updated_at: new Date(b.updatedAtMs).toISOString() };

/**
 * The coverage ratchet's baseline per repository (admin, spec ORCH-027): `GET
 * /coverage/baseline?repo=` reads it, `POST /coverage/baseline?repo=&pct=` overrides it (up or
 * down — the ratchet itself only ever raises it).
 */
export function coverageRoutes(
  coverage: CoverageRepo,
  clock: Clock,
  projects: { all(): readonly { repo: string }[] },
): HttpRoutes {
  return (plain: FastifyInstance) => {
    const app = plain.withTypeProvider<ZodTypeProvider>();
    const security = [{ bearer: [] }];
    app.get(
      '/coverage/baseline',
      {
        schema: {
          tags: ['admin'],
          summary: "A repository's coverage baseline (null before the first item is done)",
          querystring: z.object({ repo }),
          security,
        },
      },
      async (req) => ({
        repo: req.query.repo,
        baseline: view(await coverage.baseline(req.query.repo)),
      }),
    );
    app.post(
      '/coverage/baseline',
      {
        schema: {
          tags: ['admin'],
          summary: "Set a repository's coverage baseline (an override: up or down)",
          querystring: z.object({
            repo,
            pct: z.coerce.number().min(0).max(100),
            by: safeTrimmed(100).optional(),
          }),
          security,
        },
      },
      async (req) => {
        assertKnownRepo(projects.all(), req.query.repo);
        await coverage.setBaseline(
          req.query.repo,
          req.query.pct,
          req.query.by ?? 'admin',
          clock.now(),
        );
        return {
          ok: true,
          repo: req.query.repo,
          baseline: view(await coverage.baseline(req.query.repo)),
        };
      },
    );
  };
}
