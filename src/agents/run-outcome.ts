import { isOrchError } from '../errors.js';
import { classifyRun } from '../queue/classifier.js';
import type { RunFinish } from './agent-run-store.js';
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

/** The outcome of a finished process: launch failure, stop/cancel, else the classifier's. */
export function outcomeOf(
  result: WatchedResult,
  options: { requiresResult: boolean; nowMs: number; defaultQuotaPauseMs: number },
): AgentOutcome {
  if (result.spawnError !== null) {
    return { kind: 'permanent', reason: `launch failed: ${result.spawnError}` };
  }
  if (result.killReason === 'stop' || result.killReason === 'cancel') {
    return { kind: 'permanent', reason: `stopped (${result.killReason})` };
  }
  return classifyRun({
    parsed: result.parsed,
    exitCode: result.exitCode,
    killReason: result.killReason,
    requiresResult: options.requiresResult,
    logTail: result.logTail,
    nowMs: options.nowMs,
    defaultQuotaPauseMs: options.defaultQuotaPauseMs,
  });
}

/** The agent_runs fields recorded when a run ends. */
export function runFinish(result: WatchedResult, outcome: AgentOutcome, nowMs: number): RunFinish {
  const p = result.parsed;
  return {
    finishedAtMs: nowMs,
    exitCode: result.exitCode,
    outcome: outcome.kind,
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
