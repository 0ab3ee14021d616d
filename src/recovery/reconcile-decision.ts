/**
 * The reconciler's per-task decision (pure). A task is "stuck" when it is active in a non-final
 * stage, has no live (queued/running) job, is not escalated, and nothing happened to it for the
 * stage's grace: then its exit gate decides (the same guarded engine path as after an agent
 * run). A task whose last job failed or was cancelled is never evaluated — a green gate would
 * advance work that no agent finished — it is blocked with the job's reason instead. Tasks
 * waiting for a human (approval, answers, or Blocked: resume / reject) are only polled for
 * comments. Cancelled and done tasks are never touched.
 */
import type { TaskState } from '../pipeline/task.js';

export interface ReconcileTaskView {
  stage: string;
  state: TaskState;
  devRetries: number;
  maxDeveloperRetries: number;
  /** The task's stage is the last of its track. */
  terminalStage: boolean;
}

export type ReconcileAction =
  | { kind: 'skip'; reason: string }
  | { kind: 'poll_comments' }
  | { kind: 'evaluate' }
  | { kind: 'block_failed' };

export function decideReconcile(
  task: ReconcileTaskView,
  o: {
    liveJob: boolean;
    /** The task's latest job ended failed or cancelled (its agent did not succeed). */
    lastJobFailed: boolean;
    lastActivityMs: number;
    nowMs: number;
    graceMs: number;
  },
): ReconcileAction {
  switch (task.state) {
    case 'cancelled':
    case 'done':
      return { kind: 'skip', reason: task.state };
    case 'blocked':
    case 'awaiting_approval':
    case 'needs_input':
    case 'waiting':
      return { kind: 'poll_comments' };
    case 'active':
      break;
  }
  if (!o.liveJob && o.lastJobFailed) return { kind: 'block_failed' };
  if (task.terminalStage) return { kind: 'skip', reason: 'terminal stage' };
  if (task.devRetries >= task.maxDeveloperRetries) return { kind: 'skip', reason: 'escalated' };
  if (o.liveJob) return { kind: 'skip', reason: 'job in flight' };
  if (o.nowMs - o.lastActivityMs < o.graceMs) return { kind: 'skip', reason: 'within grace' };
  return { kind: 'evaluate' };
}

/** The grace of a stage: its override (ORCH_RECONCILE_GRACE_OVERRIDES_JSON, seconds) or the default. */
export function stageGraceMs(
  stage: string,
  o: { defaultMs: number; overridesS: Readonly<Record<string, number>> },
): number {
  const s = o.overridesS[stage];
  return s === undefined ? o.defaultMs : s * 1000;
}

/** Parses the overrides JSON (`{"deploy": 900}`); bad input is a startup error for the caller. */
export function parseGraceOverrides(json: string): Record<string, number> {
  if (json.trim() === '') return {};
  const v = JSON.parse(json) as unknown;
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw new Error('expected a JSON object');
  const out: Record<string, number> = {};
  for (const [k, x] of Object.entries(v)) {
    if (typeof x !== 'number' || !Number.isFinite(x) || x < 0) {
      throw new Error(`grace for "${k}" must be a non-negative number of seconds`);
    }
    out[k] = x;
  }
  return out;
}
