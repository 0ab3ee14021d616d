/**
 * Lessons journal auto-detectors (reference ORCH-098): the pipeline's own failures become
 * `source: auto` lessons, so the journal fills itself with what went wrong and where. An observer,
 * never a gate: it reads each committed change and never changes what happened.
 *
 * - `gate_failure`: a red gate rolled the item back or blocked it;
 * - `merge_hold`: the merge was held (busy merge lease, branch protection, a forge still computing);
 * - `transient_retry`: an agent job failed for good after temporary errors (the retry budget ran out);
 * - `deploy_degraded`: recorded by the post-deploy monitor (post-deploy.ts).
 *
 * The same type for the same item and stage is recorded at most once per dedup window
 * (`ORCH_LESSONS_DEDUP_WINDOW_S`).
 */
import type { GateResult } from '../gates/gate.js';
import type { Logger } from '../log.js';
import type { LessonStore } from '../store/lessons/lesson-store.js';
import type { Task } from './task.js';

export interface DetectedLesson {
  lesson_type: 'gate_failure' | 'merge_hold' | 'transient_retry';
  stage: string;
  root_cause: string;
  suggestion: string;
  agent?: string;
}

interface ObservedEvent {
  type: string;
  message: string;
  detail?: unknown;
}

const clip = (text: string, max = 1000) => (text.length > max ? `${text.slice(0, max)}…` : text);

/** What lesson, if any, one committed change teaches. Pure. */
export function detectLesson(
  task: Pick<Task, 'stage'>,
  event: ObservedEvent,
  gates: readonly GateResult[],
): DetectedLesson | null {
  const failed = gates.find((g) => !g.passed);
  const detail = (event.detail ?? {}) as Record<string, unknown>;
  switch (event.type) {
    case 'rollback':
    case 'blocked':
      if (failed && failed.retryAfterMs === undefined)
        return {
          lesson_type: 'gate_failure',
          stage: task.stage,
          root_cause: clip(`${failed.gate}: ${failed.reason}`),
          suggestion: `${event.type === 'rollback' ? 'Rolled back' : 'Blocked'}: ${clip(event.message, 300)}. If ${failed.gate} fails this way again, fix the cause rather than the item.`,
        };
      if (event.type === 'blocked' && Number(detail.transientAttempts ?? 0) > 0)
        return {
          lesson_type: 'transient_retry',
          stage: task.stage,
          ...(typeof detail.kind === 'string' && { agent: detail.kind }),
          root_cause: clip(event.message),
          suggestion:
            'The retry budget for temporary errors ran out: check the provider (quota, outage) and resume the item.',
        };
      return null;
    case 'deferred':
      // Only the merge's holds: a self-deploy hook waiting for its result is not one.
      return failed?.gate === 'merge_gate'
        ? {
            lesson_type: 'merge_hold',
            stage: task.stage,
            root_cause: clip(`${failed.gate}: ${failed.reason}`),
            suggestion:
              'The merge waited: check branch protection, required checks and other items holding the merge lease.',
          }
        : null;
    default:
      return null;
  }
}

/** Records what `detectLesson` finds; failures are logged, never thrown. */
export function lessonObserver(o: {
  lessons: LessonStore;
  dedupWindowMs: number;
  log: Logger;
}): (task: Task, event: ObservedEvent, gates: readonly GateResult[]) => Promise<void> {
  return async (task, event, gates) => {
    const found = detectLesson(task, event, gates);
    if (!found) return;
    try {
      await o.lessons.recordAuto(
        { ...found, task_id: task.id, work_item_id: task.workItemId, repo: task.repo },
        o.dedupWindowMs,
      );
    } catch (err) {
      o.log.warn({ err, taskId: task.id }, 'lessons: automatic lesson not recorded');
    }
  };
}
