import type { Queryable } from '../db.js';

/**
 * `processed_comments`: the claim-before-act ledger of tracker comments. The webhook path and the
 * reconciler's comment polling both claim a comment here before acting on it, so a comment seen
 * by both is applied by exactly one of them.
 */

/** Claims comment `commentId` of a task for the webhook path; false when it was claimed before. */
export async function claimCommentForWebhook(
  q: Queryable,
  c: { taskId: number; commentId: string; nowMs: number },
): Promise<boolean> {
  const res = await q.run(
    `-- claim comment $2 of task $1 for the webhook path at $3 before acting on it
     insert into processed_comments (task_id, comment_id, processed_at_ms, outcome)
     values ($1, $2, $3, 'webhook') on conflict (task_id, comment_id) do nothing`,
    [c.taskId, c.commentId, c.nowMs],
  );
  return res.changes === 1;
}

/**
 * Claims comment `commentId` of a task for comment polling; a claim left unfinished since before
 * `staleBeforeMs` (its process died) is taken over. False when someone else holds or finished it.
 */
export async function claimCommentForPoll(
  q: Queryable,
  c: { taskId: number; commentId: string; nowMs: number; staleBeforeMs: number },
): Promise<boolean> {
  const res = await q.run(
    `-- claim a tracker comment for task $1 (id $2) at $3 before acting on it; a claim left
     -- unfinished since before $4 (its process died) is taken over
     insert into processed_comments (task_id, comment_id, processed_at_ms, outcome)
     values ($1, $2, $3, 'claimed') on conflict (task_id, comment_id) do update
       set processed_at_ms = excluded.processed_at_ms
       where processed_comments.outcome = 'claimed' and processed_comments.processed_at_ms < $4`,
    [c.taskId, c.commentId, c.nowMs, c.staleBeforeMs],
  );
  return res.changes === 1;
}

/** Records what a claimed comment did (`<intent>: <result>`). */
export async function recordCommentOutcome(
  q: Queryable,
  c: { taskId: number; commentId: string; outcome: string },
): Promise<void> {
  await q.run(
    `-- the outcome $3 of comment $2 of task $1
     update processed_comments set outcome = $3 where task_id = $1 and comment_id = $2`,
    [c.taskId, c.commentId, c.outcome],
  );
}

/** Gives a claim back (the action failed): the next delivery or tick retries the comment. */
export async function releaseComment(
  q: Queryable,
  c: { taskId: number; commentId: string },
): Promise<void> {
  await q.run(
    `-- give back the claim on comment $2 of task $1
     delete from processed_comments where task_id = $1 and comment_id = $2`,
    [c.taskId, c.commentId],
  );
}
