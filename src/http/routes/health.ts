import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';

/** `GET /health`: liveness only (no store access). */
export function healthRoutes(app: FastifyInstance): void {
  app.withTypeProvider<ZodTypeProvider>().get(
    '/health',
    {
      schema: {
        tags: ['observability'],
        summary: 'Liveness',
        response: { 200: z.object({ status: z.literal('ok'), service: z.literal('orch') }) },
      },
    },
    () => ({ status: 'ok' as const, service: 'orch' as const }),
  );
}
