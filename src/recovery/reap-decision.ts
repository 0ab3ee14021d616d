/**
 * The job reaper's per-job decision (spec reaper.md §6.3), as a pure function over one running
 * job, the clock and a liveness reading. No I/O: the daemon (job-reaper.ts) gathers the inputs,
 * calls `decideReap`, and acts on the decision with a guarded claim.
 */
export interface ReapSettings {
  /** Tier-1: consecutive ticks a pid must be seen dead (effective value at least 1). */
  deadTicks: number;
  /** Tier-3: a job running this long is reaped whatever its liveness. */
  maxRunningMs: number;
  /** Tier-2: how long after the run recorded its exit code a live finalizer may still be busy. */
  finalizeGraceMs: number;
}

/** A running job joined with the agent run it links to (jobs.agent_run_id). */
export interface RunningJobView {
  id: number;
  pid: number | null;
  startedAtMs: number | null;
  attempts: number;
  maxAttempts: number;
  runStartedAtMs: number | null;
  runFinishedAtMs: number | null;
  exitCode: number | null;
  /** The classified outcome of the run (`success` only when the result was parsed as one). */
  runOutcome: string | null;
}

export interface ReapInput {
  job: RunningJobView;
  nowMs: number;
  settings: ReapSettings;
  /** The pid's liveness; null when it cannot be judged here (no pid, another host). */
  pidAlive: boolean | null;
  /** Consecutive dead readings before this tick. */
  streak: number;
  /** This process's worker holds the job: its monitor is alive and will finalize it. */
  heldLocally: boolean;
}

export type ReapDecision =
  | { kind: 'keep'; streak: number; note: string | null }
  /** Known success: the pipeline decides (already advanced → done; gate green → done + advance). */
  | { kind: 'reap_exit0' }
  /** Unknown or failed outcome: retry while attempts remain, else fail. */
  | { kind: 'reap_unknown'; reason: string };

/**
 * The run's fields count only if the run belongs to the current claim (hazard H-2: a requeued
 * and re-claimed row must never be judged by the previous attempt's exit code).
 */
function currentRun(job: RunningJobView): boolean {
  return (
    job.runStartedAtMs !== null && job.startedAtMs !== null && job.runStartedAtMs >= job.startedAtMs
  );
}

function tier3(input: ReapInput, streak: number, note: string | null): ReapDecision {
  const { job, nowMs, settings } = input;
  // E-2: a row without started_at counts as age 0, so the backstop never fires for it.
  const ageMs = job.startedAtMs === null ? 0 : nowMs - job.startedAtMs;
  if (ageMs >= settings.maxRunningMs) {
    const age = Math.floor(ageMs / 1000);
    const max = Math.floor(settings.maxRunningMs / 1000);
    return { kind: 'reap_unknown', reason: `backstop age=${age}s>=${max}s` };
  }
  return { kind: 'keep', streak, note };
}

export function decideReap(input: ReapInput): ReapDecision {
  const { job, nowMs, settings } = input;
  const run = currentRun(job);
  if (run && job.exitCode !== null) {
    // Tier-2: the agent finished; after the grace its finalizer is presumed dead.
    const finishedAgoMs = job.runFinishedAtMs === null ? null : nowMs - job.runFinishedAtMs;
    if (!input.heldLocally && finishedAgoMs !== null && finishedAgoMs >= settings.finalizeGraceMs) {
      if (job.exitCode === 0 && job.runOutcome === 'success') return { kind: 'reap_exit0' };
      const outcome = job.runOutcome && job.runOutcome !== 'success' ? ` (${job.runOutcome})` : '';
      return { kind: 'reap_unknown', reason: `exit=${job.exitCode}${outcome}` };
    }
    const note = input.heldLocally
      ? null
      : `exit_code=${job.exitCode} recorded ${finishedAgoMs === null ? '?' : Math.floor(finishedAgoMs / 1000)}s ago (< grace ${Math.floor(settings.finalizeGraceMs / 1000)}s); deferring`;
    return tier3(input, 0, note);
  }
  if (input.pidAlive === false && !input.heldLocally) {
    // Tier-1: only consecutive dead readings count; any other reading resets the streak.
    const n = input.streak + 1;
    const needed = Math.max(Math.floor(settings.deadTicks), 1);
    if (n >= needed) return { kind: 'reap_unknown', reason: `dead pid=${job.pid}` };
    return tier3(input, n, `pid=${job.pid} dead (streak ${n}/${needed}); deferring`);
  }
  return tier3(input, 0, null);
}

/** Where an unknown outcome sends a job (E-8: max_attempts 0 counts as 2). */
export function unknownOutcomeStatus(job: {
  attempts: number;
  maxAttempts: number;
}): 'queued' | 'failed' {
  const max = job.maxAttempts > 0 ? job.maxAttempts : 2;
  return Math.max(job.attempts, 0) < max ? 'queued' : 'failed';
}
