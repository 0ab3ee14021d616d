import type { Logger } from '../log.js';
import type { Pipeline } from '../pipeline/pipeline.js';
import type { Task } from '../pipeline/task.js';
import type { Db } from '../store/db.js';
import {
  claimCommentForPoll,
  recordCommentOutcome,
  releaseComment,
} from '../store/tasks/processed-comments.js';

export interface AppliedComment {
  commentId: string;
  intent: string;
  result: string;
}

/**
 * Polls the tracker for human comments on a task that waits for a human (approval or answers)
 * and routes each through `pipeline.onComment` — the path a webhook takes. Only comments written
 * after the task started waiting count, never Orch's own, and only once they are older than the
 * grace (the webhook had its chance). Each comment is claimed in `processed_comments` before it
 * is applied (claim-before-act), so a comment is applied at most once across ticks and replicas;
 * a claim whose process died before finishing is taken over after `staleClaimMs`.
 */
export async function pollComments(a: {
  db: Db;
  pipeline: Pipeline;
  log: Logger;
  task: Task;
  nowMs: number;
  graceMs: number;
  /** A claim left unfinished this long (its process died mid-way) may be taken again. */
  staleClaimMs: number;
}): Promise<AppliedComment[]> {
  const { db, pipeline, task } = a;
  const project = pipeline.core.project(task);
  const ref = { projectId: task.trackerProjectId, itemId: task.trackerItemId };
  const comments = await project.tracker.listComments(ref, task.updatedAtMs);
  const applied: AppliedComment[] = [];
  for (const c of comments) {
    if (c.byOrch || a.nowMs - c.createdAtMs < a.graceMs) continue;
    // Re-taking a stale claim is safe: every comment action is guarded on the task's state, so
    // an action the dead claimer did apply is a no-op the second time.
    const ref = { taskId: task.id, commentId: c.id };
    const staleBeforeMs = a.nowMs - a.staleClaimMs;
    if (!(await claimCommentForPoll(db, { ...ref, nowMs: a.nowMs, staleBeforeMs }))) continue;
    let routed: Awaited<ReturnType<Pipeline['onComment']>>;
    try {
      routed = await pipeline.onComment(task.id, { body: c.body, authorIds: c.authorIds });
    } catch (err) {
      // Not applied: give the claim back so the next tick retries it.
      await releaseComment(db, ref);
      throw err;
    }
    const { intent, result } = routed;
    await recordCommentOutcome(db, { ...ref, outcome: `${intent.kind}: ${result.kind}` });
    applied.push({ commentId: c.id, intent: intent.kind, result: result.kind });
    // The task changed (or not): the rest of the comments wait for the next tick's fresh view.
    if (result.kind !== 'noop') break;
  }
  return applied;
}
