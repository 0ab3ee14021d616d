import { isOrchError } from '../errors.js';
import { classifyRun } from '../queue/classifier.js';
import type { RunFinish } from '../store/agent-runs/agent-run-store.js';
import type { ProcessResult } from './process-runner.js';
import { emptyParsedRun, type AgentOutcome } from './runner.js';

/** A finished process plus whether its lease was lost meanwhile. */
export type WatchedResult = ProcessResult & { leaseLost: boolean };

export function errorText(err: unknown): string {
  if (isOrchError(err)) return `${err.code}: ${err.message}`;
  return err instanceof Error ? err.message : String(err);
}

/** The result of a run that never started (bad command config, unwritable log directory). */
export function launchFailure(err: unknown): WatchedResult {
  return {
    pid: null,
    exitCode: null,
    signal: null,
    killReason: null,
    parsed: emptyParsedRun(),
    logTail: '',
    spawnError: errorText(err),
    leaseLost: false,
  };
}

/** A launch error in words: a missing binary says so ("claude not found on PATH"). */
function launchReason(spawnError: string): string {
  const m = /spawn (\S+) ENOENT/.exec(spawnError);
  if (m) return `${m[1]} not found on PATH (launch failed: ${spawnError})`;
  return `launch failed: ${spawnError}`;
}

/**
 * A watchdog timeout in words ("timed out after 1800 s"); null when the run was not timed out
 * or it produced a final result (then the result decides).
 */
export function timeoutReason(
  result: Pick<WatchedResult, 'killReason' | 'parsed'>,
  limits: { wallMs: number; idleMs: number },
): string | null {
  if (result.parsed.resultSeen) return null;
  const s = (ms: number) => `${Number((ms / 1000).toFixed(1))} s`;
  if (result.killReason === 'wall_timeout') return `timed out after ${s(limits.wallMs)}`;
  if (result.killReason === 'idle_timeout')
    return `timed out: no output for ${s(limits.idleMs)} (idle hang)`;
  return null;
}

/** The outcome of a finished process: launch failure, stop/cancel, timeout, else the classifier's. */
export function outcomeOf(
  result: WatchedResult,
  options: {
    requiresResult: boolean;
    nowMs: number;
    defaultQuotaPauseMs: number;
    limits?: { wallMs: number; idleMs: number };
  },
): AgentOutcome {
  if (result.spawnError !== null) {
    return { kind: 'permanent', reason: launchReason(result.spawnError) };
  }
  if (result.killReason === 'stop' || result.killReason === 'cancel') {
    return { kind: 'permanent', reason: `stopped (${result.killReason})` };
  }
  const timedOut = options.limits ? timeoutReason(result, options.limits) : null;
  // A hang is not evidence of an API problem: an attempt, not the transient budget.
  if (timedOut !== null) return { kind: 'permanent', reason: timedOut };
  if (result.exitCode === null && result.signal !== null && !result.parsed.resultSeen) {
    const words = lastWords(result.logTail);
    return {
      kind: 'permanent',
      reason: `crashed: killed by ${result.signal}${words ? ` (${words})` : ''}`,
    };
  }
  const outcome = classifyRun({
    parsed: result.parsed,
    exitCode: result.exitCode,
    killReason: result.killReason,
    requiresResult: options.requiresResult,
    logTail: result.logTail,
    nowMs: options.nowMs,
    defaultQuotaPauseMs: options.defaultQuotaPauseMs,
  });
  // "exit code 3: <the whole JSON tail>" says little; the last plain line is what the CLI said.
  if (outcome.kind === 'permanent' && /^exit code /.test(outcome.reason)) {
    const words = lastWords(result.logTail);
    if (words) return { ...outcome, reason: `exit code ${result.exitCode ?? 'unknown'}: ${words}` };
  }
  return outcome;
}

/** The last line of a log that is not a JSON event (what a CLI printed on stderr), clipped. */
export function lastWords(logTail: string): string | null {
  const lines = logTail
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('{'));
  const last = lines.at(-1);
  if (last === undefined) return null;
  // Cut between characters, not inside a surrogate pair: half an emoji is not text the store and
  // the HTTP API accept (src/store/safe-text.ts).
  const chars = Array.from(last);
  return chars.length > 300 ? `${chars.slice(0, 300).join('')}…` : last;
}

/** The agent_runs fields recorded when a run ends. */
export function runFinish(result: WatchedResult, outcome: AgentOutcome, nowMs: number): RunFinish {
  const p = result.parsed;
  return {
    finishedAtMs: nowMs,
    exitCode: result.exitCode,
    // A watchdog timeout is recorded as what it was, not as "permanent, exit -9".
    outcome:
      outcome.kind === 'permanent' && /^timed out\b/.test(outcome.reason)
        ? 'timeout'
        : outcome.kind,
    isError: p.isError,
    subtype: p.subtype,
    sessionId: p.sessionId,
    costUsd: p.costUsd,
    inputTokens: p.inputTokens,
    outputTokens: p.outputTokens,
    killReason: result.killReason,
    error: outcome.kind === 'success' ? null : outcome.reason,
  };
}
