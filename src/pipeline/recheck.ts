import { z } from 'zod';
import { OrchError } from '../errors.js';
import type { AdvanceResult } from './engine.js';
import type { Pipeline } from './pipeline.js';

const payloadSchema = z.object({ taskId: z.number().int().positive(), stage: z.string().min(1) });

/**
 * A `pipeline.recheck` job: re-evaluate a deferred stage if the task is still in it. The stage's
 * agent did finish (the gate deferred after it), so this is the same evaluation as after an agent
 * run — green advances, undecided defers again, red rolls back or blocks. (The reconciler's
 * evaluation leaves a red gate alone, which here left the item active with no job at all.)
 */
export async function recheck(pipeline: Pipeline, payload: unknown): Promise<AdvanceResult> {
  const p = payloadSchema.safeParse(payload);
  if (!p.success)
    throw new OrchError('RECHECK_PAYLOAD_INVALID', 'recheck job needs { taskId, stage }');
  const task = await pipeline.core.deps.tasks.mustGet(p.data.taskId);
  if (task.stage !== p.data.stage) return { kind: 'noop', reason: `task left ${p.data.stage}` };
  if (task.state !== 'active') return { kind: 'noop', reason: `task is ${task.state}` };
  return pipeline.onAgentFinished({ taskId: task.id, role: 'recheck', stage: task.stage });
}
