import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { freezeRepo, unfreezeRepo, type FreezeDeps } from '../../pipeline/serial-gate.js';
import type { HttpRoutes } from '../deps.js';
import { safeTrimmed } from '../schemas.js';

const repo = z.string().regex(/^[A-Za-z0-9._-]{1,200}$/, 'a plain repository name');

/**
 * Repository freezes (admin, spec ORCH-088): `POST /serial-gate/freeze?repo=&reason=` keeps the
 * repository's serial gate closed; `POST /serial-gate/unfreeze?repo=` clears it and starts the
 * items that waited. Both are idempotent (`created: false`, `cleared: 0`).
 */
export function serialGateRoutes(deps: FreezeDeps): HttpRoutes {
  return (plain: FastifyInstance) => {
    const app = plain.withTypeProvider<ZodTypeProvider>();
    const security = [{ bearer: [] }];
    app.post(
      '/serial-gate/freeze',
      {
        schema: {
          tags: ['admin'],
          summary: 'Freeze a repository: nothing new passes analysis until it is unfrozen',
          querystring: z.object({
            repo,
            reason: safeTrimmed(500).optional(),
            by: safeTrimmed(100).optional(),
          }),
          security,
        },
      },
      async (req) =>
        freezeRepo(deps, req.query.repo, {
          reason: req.query.reason || 'frozen by hand',
          by: req.query.by ?? 'admin',
        }),
    );
    app.post(
      '/serial-gate/unfreeze',
      {
        schema: {
          tags: ['admin'],
          summary: "Clear a repository's freeze; its waiting items start in filing order",
          querystring: z.object({ repo, by: safeTrimmed(100).optional() }),
          security,
        },
      },
      async (req) => unfreezeRepo(deps, req.query.repo, req.query.by ?? 'admin'),
    );
  };
}
