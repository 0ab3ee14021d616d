import type { KillReason } from './runner.js';

/**
 * When to stop an agent process (spec integrations §3.1 "known liveness bugs"). Pure; times are
 * monotonic ms from the same source.
 * - wall_timeout: the whole run took longer than `wallMs`;
 * - idle_timeout: no output for `idleMs` before a final result (stream-json stalls, #39700);
 * - exit_grace: a final result was printed but the process has not exited `exitGraceMs` later
 *   (#25629). The run's outcome is still taken from that result.
 */
export interface WatchdogLimits {
  wallMs: number;
  idleMs: number;
  exitGraceMs: number;
}

export interface WatchdogState {
  startedAtMs: number;
  lastOutputAtMs: number;
  resultSeenAtMs: number | null;
}

export function watchdogVerdict(
  state: WatchdogState,
  limits: WatchdogLimits,
  nowMs: number,
): KillReason | null {
  if (state.resultSeenAtMs !== null && nowMs - state.resultSeenAtMs >= limits.exitGraceMs) {
    return 'exit_grace';
  }
  if (nowMs - state.startedAtMs >= limits.wallMs) return 'wall_timeout';
  if (state.resultSeenAtMs === null && nowMs - state.lastOutputAtMs >= limits.idleMs) {
    return 'idle_timeout';
  }
  return null;
}
