import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z, type ZodType } from 'zod';
import { OrchError } from '../../errors.js';
import type { AdvanceResult } from '../../pipeline/engine.js';
import type { Pipeline } from '../../pipeline/pipeline.js';
import type { TaskOverview } from '../../pipeline/task-overview.js';
import type { HttpRoutes } from '../deps.js';
import { isSafeText, safeTrimmed } from '../schemas.js';
import { taskNotFound, taskRefParams } from './tasks.js';

const tags = ['admin', 'dashboard'];
const security = [{ bearer: [] }];

/** Who acted, as the operator typed it (shown in the timeline and tracker): no control chars. */
const actorSchema = z
  .string()
  .trim()
  .min(1)
  .max(100)
  .regex(/^[^\p{Cc}]+$/u, 'printable text')
  .refine(isSafeText, 'no unpaired surrogates');

const approveBody = z.object({ by: actorSchema.optional() }).strict();
const rejectBody = z.object({ reason: safeTrimmed(2000), by: actorSchema.optional() }).strict();
const resumeBody = z
  .object({
    stage: safeTrimmed(64).optional(),
    note: safeTrimmed(2000).optional(),
    by: actorSchema.optional(),
  })
  .strict();
const answerBody = z.object({ text: safeTrimmed(10_000), by: actorSchema.optional() }).strict();
const cancelBody = z
  .object({ reason: safeTrimmed(2000).optional(), by: actorSchema.optional() })
  .strict();

/** The actor recorded for a dashboard action: the name given, marked as coming from the dashboard. */
export function dashboardActor(by: string | undefined): string {
  return `${by ?? 'admin'} (dashboard)`;
}

/**
 * Maps a pipeline outcome to the response: an action that changed nothing is a 409 with a stable
 * code (the message says why), never a silent 200.
 */
function outcome(result: AdvanceResult, noopCode: string) {
  if (result.kind === 'noop') throw new OrchError(noopCode, result.reason);
  if (result.kind === 'gate_failed') {
    throw new OrchError('GATE_FAILED', `${result.gate.gate}: ${result.gate.reason}`, {
      details: { gate: result.gate.gate, reason: result.gate.reason },
    });
  }
  return { result };
}

/** The schema of one action route: the task ref in the path, `body`, admin security. */
function actionSchema<B extends ZodType>(summary: string, body: B) {
  return { schema: { tags, summary, params: taskRefParams, body, security } };
}

/**
 * Admin actions on a work item (behind the admin bearer token): approve the analysis, reject
 * (rerun the stage's agent, or go back a stage), resume a Blocked item, answer, cancel. Each calls the same Pipeline method a
 * tracker comment by an approver reaches, with the operator as the actor.
 */
export function taskActionRoutes(pipeline: Pipeline, overview: TaskOverview): HttpRoutes {
  const taskId = async (ref: string) => {
    const task = await overview.find(ref);
    if (!task) throw taskNotFound(ref);
    return task.id;
  };
  return (app: FastifyInstance) => {
    const r = app.withTypeProvider<ZodTypeProvider>();
    r.post(
      '/admin/tasks/:id/approve',
      actionSchema(
        'Approve the analysis (as an approver’s :approved: comment would)',
        approveBody.nullish(),
      ),
      async (request) => {
        const id = await taskId(request.params.id);
        const by = dashboardActor(request.body?.by);
        return outcome(await pipeline.approve(id, by), 'NOTHING_TO_APPROVE');
      },
    );
    r.post(
      '/admin/tasks/:id/reject',
      actionSchema('Reject: rerun the analyst with the reason, or go back one stage', rejectBody),
      async (request) => {
        const id = await taskId(request.params.id);
        const by = dashboardActor(request.body.by);
        return outcome(await pipeline.reject(id, request.body.reason, by), 'NOTHING_TO_REJECT');
      },
    );
    r.post(
      '/admin/tasks/:id/resume',
      actionSchema(
        'Resume a Blocked (or cancelled) item: re-run its stage agent with a fresh retry budget',
        resumeBody.nullish(),
      ),
      async (request) => {
        const id = await taskId(request.params.id);
        const by = dashboardActor(request.body?.by);
        const { stage, note } = request.body ?? {};
        return outcome(await pipeline.resume(id, { stage, note, by }), 'NOTHING_TO_RESUME');
      },
    );
    r.post(
      '/admin/tasks/:id/answer',
      actionSchema("Answer the analyst's questions of a Needs-Input item", answerBody),
      async (request) => {
        const id = await taskId(request.params.id);
        const by = dashboardActor(request.body.by);
        return outcome(await pipeline.answer(id, request.body.text, by), 'NOT_WAITING_FOR_INPUT');
      },
    );
    r.post(
      '/admin/tasks/:id/cancel',
      actionSchema('Cancel a work item and its queued or running jobs', cancelBody.nullish()),
      async (request) => {
        const id = await taskId(request.params.id);
        const why = request.body?.reason ?? 'cancelled from the dashboard';
        const reason = `${why} (by ${dashboardActor(request.body?.by)})`;
        return outcome(await pipeline.cancel(id, reason), 'NOTHING_TO_CANCEL');
      },
    );
  };
}
