import { describe, expect, it } from 'vitest';
import type { AgentRun } from '../store/agent-runs/agent-run-store.js';
import { formatDuration, usageComment } from './usage-comment.js';

const run = (o: Partial<AgentRun>): AgentRun => ({
  id: 12,
  jobId: 3,
  taskId: 1,
  attempt: 2,
  kind: 'developer',
  adapter: 'claude',
  argv: [],
  worktree: null,
  logPath: '',
  pid: null,
  startedAtMs: 1_000,
  finishedAtMs: 84_000,
  exitCode: 0,
  outcome: 'success',
  isError: false,
  subtype: 'success',
  sessionId: null,
  costUsd: 0.0421,
  inputTokens: 12_345,
  outputTokens: 2_345,
  killReason: null,
  error: null,
  ...o,
});

const total = {
  runs: 4,
  costUsd: 1.5,
  inputTokens: 40_000,
  outputTokens: 10_000,
  durationMs: 370_000,
};

describe('usageComment', () => {
  it('says what the run spent and what the item has spent so far', () => {
    expect(usageComment('ET-001', run({}), total)).toBe(
      '📊 ET-001: developer run 12 (attempt 2, success) — 12,345 in / 2,345 out tokens, $0.0421, 1m 23s.\n' +
        'Item so far: 4 runs, 50,000 tokens, $1.50, 6m 10s of agent time.',
    );
  });

  it('says so when the agent reported no tokens or cost, instead of claiming zero', () => {
    const text = usageComment(
      'ET-002',
      run({ inputTokens: null, outputTokens: null, costUsd: null, outcome: 'transient' }),
      { ...total, runs: 1 },
    );
    expect(text).toContain('(attempt 2, transient) — tokens not reported, cost not reported,');
    expect(text).toContain('Item so far: 1 run,');
  });
});

describe('formatDuration', () => {
  it('uses the largest sensible units', () => {
    expect(formatDuration(0)).toBe('0s');
    expect(formatDuration(59_400)).toBe('59s');
    expect(formatDuration(64_000)).toBe('1m 04s');
    expect(formatDuration(3_725_000)).toBe('1h 2m');
  });
});
