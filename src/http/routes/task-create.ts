import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { OrchError } from '../../errors.js';
import { fileWorkItem, type FileItemDeps } from '../../pipeline/file-item.js';
import type { ProjectRegistry } from '../../pipeline/project.js';
import type { HttpRoutes } from '../deps.js';
import { isSafeText, safeString, safeTrimmed } from '../schemas.js';
import { dashboardActor } from './task-actions.js';

const createBody = z
  .object({
    project: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/, 'a project key'),
    title: safeTrimmed(200),
    description: safeString(20_000).optional(),
    by: z
      .string()
      .trim()
      .min(1)
      .max(100)
      .regex(/^[^\p{Cc}]+$/u, 'printable text')
      .refine(isSafeText, 'no unpaired surrogates')
      .optional(),
  })
  .strict();

/** Only the local tracker can be filed in from Orch; Plane and others file their own items. */
const canFile = (trackerKind: string) => trackerKind === 'local';

/** `GET /api/projects`: the configured projects and whether the dashboard can file items in them. */
export function projectRoutes(projects: Pick<ProjectRegistry, 'all'>): HttpRoutes {
  return (app: FastifyInstance) => {
    app.withTypeProvider<ZodTypeProvider>().get(
      '/api/projects',
      {
        schema: {
          tags: ['dashboard'],
          summary: 'Configured projects, their tracker and whether items can be filed here',
        },
      },
      () => ({
        projects: projects.all().map((p) => ({
          key: p.key,
          tracker: p.tracker.kind,
          can_file: canFile(p.tracker.kind),
        })),
      }),
    );
  };
}

/**
 * `POST /admin/tasks` (issue 19): files a new item in the local tracker and takes it in exactly
 * as `orch task create` does (src/pipeline/file-item.ts). 404 PROJECT_NOT_FOUND, 409
 * TRACKER_NOT_LOCAL for a project on Plane or another tracker.
 */
export function taskCreateRoutes(
  projects: Pick<ProjectRegistry, 'find'>,
  deps: FileItemDeps,
): HttpRoutes {
  return (app: FastifyInstance) => {
    app.withTypeProvider<ZodTypeProvider>().post(
      '/admin/tasks',
      {
        schema: {
          tags: ['admin', 'dashboard'],
          summary: 'File a work item in the local tracker and start its pipeline',
          body: createBody,
          security: [{ bearer: [] }],
        },
      },
      async (request, reply) => {
        const { project: key, title, description, by } = request.body;
        const project = projects.find((p) => p.key === key);
        if (!project) throw new OrchError('PROJECT_NOT_FOUND', `no project "${key}" is configured`);
        if (!canFile(project.tracker.kind)) {
          throw new OrchError(
            'TRACKER_NOT_LOCAL',
            `project ${key} uses the ${project.tracker.kind} tracker: file the item there`,
          );
        }
        const res = await fileWorkItem(deps, project, { title, description: description ?? '' });
        if (res.created) {
          await deps.pipeline.core.record(res.task, {
            type: 'filed',
            message: `filed by ${dashboardActor(by)}`,
          });
        }
        return reply.code(201).send({
          task: { id: res.task.id, work_item_id: res.task.workItemId },
          job_id: res.jobId,
        });
      },
    );
  };
}
