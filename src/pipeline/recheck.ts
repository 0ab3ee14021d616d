import { z } from 'zod';
import { OrchError } from '../errors.js';
import type { AdvanceResult } from './engine.js';
import type { Pipeline } from './pipeline.js';

const payloadSchema = z.object({ taskId: z.number().int().positive(), stage: z.string().min(1) });

/** A `pipeline.recheck` job: re-evaluate a deferred stage if the task is still in it. */
export async function recheck(pipeline: Pipeline, payload: unknown): Promise<AdvanceResult> {
  const p = payloadSchema.safeParse(payload);
  if (!p.success)
    throw new OrchError('RECHECK_PAYLOAD_INVALID', 'recheck job needs { taskId, stage }');
  const task = await pipeline.core.deps.tasks.mustGet(p.data.taskId);
  if (task.stage !== p.data.stage) return { kind: 'noop', reason: `task left ${p.data.stage}` };
  return pipeline.reconcile(task.id);
}
