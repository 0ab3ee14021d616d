import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { OrchError } from '../../errors.js';
import type { BranchFiles } from '../../pipeline/branch-files.js';
import type { TaskOverview } from '../../pipeline/task-overview.js';
import type { Task } from '../../pipeline/task.js';
import type { HttpRoutes } from '../deps.js';
import { requireFullRead } from '../read-access.js';
import { taskNotFound, taskRefParams } from './tasks.js';

const tags = ['dashboard'];

/**
 * An artifact name as listed (a path below the item's folder, `/` sent as %2F); only compared
 * with the listing, never used as a path.
 */
const artifactParams = taskRefParams.extend({
  name: z
    .string()
    .min(1)
    .max(255)
    .regex(/^[A-Za-z0-9._/-]+$/, 'an artifact name from the listing'),
});

function noBranch(task: Task): OrchError {
  return new OrchError(
    'NO_BRANCH',
    `${task.workItemId} has no branch ${task.branch} (nor base ${task.baseBranch}) to read`,
  );
}

/**
 * A work item's files on its branch (issue 19): `GET /api/tasks/:id/artifacts` (the listing of
 * `docs/work-items/<ID>/` with front matter), `GET /api/tasks/:id/artifacts/:name` (one file's
 * Markdown) and `GET /api/tasks/:id/diff` (the change against the base branch). Full read only:
 * a public reader gets AUTH_REQUIRED, as for logs.
 */
export function taskFileRoutes(overview: TaskOverview, files: BranchFiles): HttpRoutes {
  const mustFind = async (ref: string) => {
    const task = await overview.find(ref);
    if (!task) throw taskNotFound(ref);
    return task;
  };
  return (app: FastifyInstance) => {
    const r = app.withTypeProvider<ZodTypeProvider>();
    r.get(
      '/api/tasks/:id/artifacts',
      {
        schema: {
          tags,
          summary: "The work item's artifacts (docs/work-items/<ID>/) on its branch",
          params: taskRefParams,
        },
      },
      async (request) => {
        requireFullRead(request);
        const task = await mustFind(request.params.id);
        const listing = await files.artifacts(task);
        if (!listing) throw noBranch(task);
        return listing;
      },
    );
    r.get(
      '/api/tasks/:id/artifacts/:name',
      {
        schema: {
          tags,
          summary: 'One artifact of the work item: its Markdown (up to 1 MiB) and front matter',
          params: artifactParams,
        },
      },
      async (request) => {
        requireFullRead(request);
        const task = await mustFind(request.params.id);
        const { name } = request.params;
        const file = await files.artifact(task, name);
        if (file === null) throw noBranch(task);
        if (file === 'not_found') {
          throw new OrchError('ARTIFACT_NOT_FOUND', `${task.workItemId} has no artifact ${name}`);
        }
        return file;
      },
    );
    r.get(
      '/api/tasks/:id/diff',
      {
        schema: {
          tags,
          summary: "The work item's change against its base branch (files and patch up to 512 KiB)",
          params: taskRefParams,
        },
      },
      async (request) => {
        requireFullRead(request);
        const task = await mustFind(request.params.id);
        const diff = await files.diff(task);
        if (!diff) throw noBranch(task);
        return {
          base: diff.base,
          head: diff.head,
          base_sha: diff.baseSha,
          head_sha: diff.headSha,
          files: diff.files,
          patch: diff.patch,
          truncated: diff.truncated,
        };
      },
    );
  };
}
