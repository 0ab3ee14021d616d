import type { PullReview } from '../integrations/forge/forge.js';
import type { AdvanceResult } from '../pipeline/engine.js';
import type { Pipeline } from '../pipeline/pipeline.js';
import type { Project } from '../pipeline/project.js';
import type { Task } from '../pipeline/task.js';
import type { Db } from '../store/db.js';
import {
  claimCommentForPoll,
  recordCommentOutcome,
  releaseComment,
} from '../store/tasks/processed-comments.js';

export interface AppliedReview {
  reviewId: string;
  verdict: PullReview['verdict'];
  result: AdvanceResult['kind'];
}

/**
 * A task whose stage takes pull-request reviews: active, with a PR, from the `review` stage of its
 * track on (where a request for changes sends it back to development, `changesRequested`) and not
 * at its last stage. A track without a review stage has nothing waiting on a review.
 */
export function waitsOnReview(task: Task, project: Project): boolean {
  if (task.state !== 'active' || task.prNumber === null) return false;
  const track = project.pipeline.tracks[task.track] ?? [];
  const review = track.indexOf('review');
  const at = track.indexOf(task.stage);
  return review >= 0 && at >= review && at < track.length - 1;
}

/** The "review" key of a PR review in `processed_comments` (ids of tracker comments never match). */
const reviewKey = (r: PullReview) => `pr-review:${r.id}`;

/**
 * Polls the forge for reviews of a task's pull request (a lost `pull_request_*` webhook) and acts
 * as the webhook would: a request for changes → `changesRequested` (back to development with the
 * review text), an approval → `reconcile` (re-evaluate the stage; not while a job of the task is
 * queued or running — its finish evaluates the stage anyway). Only reviews submitted in the
 * current stage visit and older than the grace count, never Orch's own nor plain comments. Each is
 * claimed in `processed_comments` before it is applied (as polled tracker comments are), so it is
 * applied at most once across ticks and replicas. A review the webhook already applied is outside
 * the visit by then: a rejection that acted moved the task out of the stage (or parked it), and an
 * approval only re-evaluates, which is harmless twice.
 */
export async function pollReviews(a: {
  db: Db;
  pipeline: Pipeline;
  task: Task;
  /** The task has a queued or running job: an approval waits (that job's finish evaluates). */
  liveJob: boolean;
  nowMs: number;
  graceMs: number;
  /** A claim left unfinished this long (its process died mid-way) may be taken again. */
  staleClaimMs: number;
}): Promise<AppliedReview[]> {
  const { db, pipeline, task } = a;
  const project = pipeline.core.project(task);
  const reviews = await project.forge.listReviews(task.repo, task.prNumber!);
  const applied: AppliedReview[] = [];
  for (const r of reviews) {
    if (r.byOrch || r.verdict === 'comment' || (r.verdict === 'approved' && a.liveJob)) continue;
    if (r.submittedAtMs < task.stageEnteredAtMs || a.nowMs - r.submittedAtMs < a.graceMs) continue;
    const ref = { taskId: task.id, commentId: reviewKey(r) };
    const staleBeforeMs = a.nowMs - a.staleClaimMs;
    if (!(await claimCommentForPoll(db, { ...ref, nowMs: a.nowMs, staleBeforeMs }))) continue;
    let result: AdvanceResult;
    try {
      result =
        r.verdict === 'rejected'
          ? await pipeline.changesRequested(
              task.id,
              r.body || 'changes requested on the pull request',
              r.author ?? 'reviewer',
            )
          : await pipeline.reconcile(task.id, 'reconciler');
    } catch (err) {
      // Not applied: give the claim back so the next tick retries it.
      await releaseComment(db, ref);
      throw err;
    }
    await recordCommentOutcome(db, { ...ref, outcome: `${r.verdict}: ${result.kind}` });
    applied.push({ reviewId: r.id, verdict: r.verdict, result: result.kind });
    // The task changed: the rest of the reviews wait for the next tick's fresh view.
    if (result.kind !== 'noop' && result.kind !== 'gate_failed') break;
  }
  return applied;
}
