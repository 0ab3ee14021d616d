import type { AdvanceResult } from './engine.js';
import type { Task } from './task.js';

/**
 * STOP from the tracker (spec ORCH-090): an approver's `STOP` comment cancels the item the way
 * `orch task cancel` does. `ORCH_STOP_ENABLED` is the kill-switch and `ORCH_STOP_REPOS` limits it
 * to some repositories; a STOP that is refused is recorded on the item's timeline, never silent.
 */
export interface StopPolicy {
  enabled: boolean;
  /** Repositories STOP applies to; empty = every repository. */
  repos: readonly string[];
}

export const DEFAULT_STOP_POLICY: StopPolicy = { enabled: true, repos: [] };

/** Pure: why a STOP on this task is refused, or null when it applies. */
export function stopRefusal(policy: StopPolicy, task: Pick<Task, 'repo'>): string | null {
  if (!policy.enabled) return 'STOP is switched off (ORCH_STOP_ENABLED=false)';
  if (policy.repos.length > 0 && !policy.repos.includes(task.repo)) {
    return `STOP does not apply to ${task.repo} (ORCH_STOP_REPOS)`;
  }
  return null;
}

/** The cancellation a STOP asks for, and what to record when it is refused. */
export interface StopActions {
  cancel(reason: string, by: string): Promise<AdvanceResult>;
  ignore(message: string): Promise<void>;
}

/** Acts on an approver's STOP: cancel, or record why not. */
export async function stopFromTracker(
  policy: StopPolicy,
  task: Task,
  stop: { reason: string; by: string },
  actions: StopActions,
): Promise<AdvanceResult> {
  const refused = stopRefusal(policy, task);
  if (refused) {
    await actions.ignore(`STOP from ${stop.by} ignored: ${refused}`);
    return { kind: 'noop', reason: refused };
  }
  const why = stop.reason ? `: ${stop.reason}` : '';
  return actions.cancel(`STOP by ${stop.by}${why}`, stop.by);
}
