import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { OrchError } from '../../errors.js';
import { LESSON_FIELDS, type LessonField, type LessonStore } from '../../store/lessons/lesson-store.js';
import type { HttpRoutes } from '../deps.js';
import { safeString, safeTrimmed } from '../schemas.js';

const tags = ['admin', 'lessons'];
const security = [{ bearer: [] }];
const text = safeTrimmed(4000);
const fieldShape = Object.fromEntries(LESSON_FIELDS.map((f) => [f, text.optional()])) as Record<
  LessonField,
  z.ZodOptional<typeof text>
>;

const recordBody = z
  .object({
    lesson_type: safeTrimmed(100),
    task_id: z.number().int().positive().optional(),
    ...fieldShape,
  })
  .strict();
const updateBody = z
  .object(fieldShape)
  .strict()
  .refine((b) => Object.keys(b).length > 0, 'nothing to update');
const listQuery = z.object({
  type: safeString(100).optional(),
  status: safeString(100).optional(),
  repo: safeString(200).optional(),
  work_item: safeString(100).optional(),
  limit: z.coerce.number().int().min(1).max(500).optional(),
});

/**
 * The lessons journal behind the admin token (spec §2): `GET /lessons` with filters,
 * `POST /lessons` records a manual lesson (`source` is always `manual`), `POST /lessons/:id`
 * re-classifies one. With ORCH_LESSONS_ENABLED=false reads return `{ enabled: false, lessons: [] }`
 * and writes `{ enabled: false }`.
 */
export function lessonRoutes(lessons: LessonStore, enabled: boolean): HttpRoutes {
  return (plain: FastifyInstance) => {
    const app = plain.withTypeProvider<ZodTypeProvider>();
    app.get(
      '/lessons',
      { schema: { tags, security, summary: 'read lessons', querystring: listQuery } },
      async (req) => {
        if (!enabled) return { enabled: false, lessons: [] };
        const q = req.query;
        const filter = {
          ...(q.type && { type: q.type }),
          ...(q.status && { status: q.status }),
          ...(q.repo && { repo: q.repo }),
          ...(q.work_item && { workItem: q.work_item }),
          ...(q.limit && { limit: q.limit }),
        };
        return { enabled: true, lessons: await lessons.list(filter) };
      },
    );
    app.post(
      '/lessons',
      { schema: { tags, security, summary: 'record a manual lesson', body: recordBody } },
      async (req, reply) => {
        if (!enabled) return { enabled: false };
        const id = await lessons.record(req.body, 'manual');
        return reply.code(201).send({ id });
      },
    );
    app.post(
      '/lessons/:id',
      {
        schema: {
          tags,
          security,
          summary: 're-classify a lesson',
          params: z.object({ id: z.coerce.number().int().positive() }),
          body: updateBody,
        },
      },
      async (req) => {
        if (!enabled) return { enabled: false };
        if (!(await lessons.update(req.params.id, req.body)))
          throw new OrchError('LESSON_NOT_FOUND', `lesson ${req.params.id} does not exist`);
        return { ok: true };
      },
    );
  };
}
