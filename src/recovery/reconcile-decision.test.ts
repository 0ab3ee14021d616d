import { describe, expect, it } from 'vitest';
import {
  decideReconcile,
  parseGraceOverrides,
  stageGraceMs,
  type ReconcileTaskView,
} from './reconcile-decision.js';

const task = (o: Partial<ReconcileTaskView> = {}): ReconcileTaskView => ({
  stage: 'development',
  state: 'active',
  devRetries: 0,
  maxDeveloperRetries: 3,
  terminalStage: false,
  ...o,
});
const quiet = {
  liveJob: false,
  lastJobFailed: false,
  lastActivityMs: 0,
  nowMs: 1_000_000,
  graceMs: 300_000,
};

describe('decideReconcile', () => {
  it('evaluates a quiet active task with no live job', () => {
    expect(decideReconcile(task(), quiet)).toEqual({ kind: 'evaluate' });
  });
  it.each(['cancelled', 'done'] as const)('skips %s tasks', (state) => {
    expect(decideReconcile(task({ state }), quiet)).toEqual({ kind: 'skip', reason: state });
  });
  it('never evaluates a task whose last job failed: it blocks it, even within the grace', () => {
    const failed = { ...quiet, lastJobFailed: true, lastActivityMs: quiet.nowMs };
    expect(decideReconcile(task(), failed)).toEqual({ kind: 'block_failed' });
    expect(decideReconcile(task({ terminalStage: true }), failed)).toEqual({
      kind: 'block_failed',
    });
    expect(decideReconcile(task(), { ...failed, liveJob: true })).toMatchObject({ kind: 'skip' });
  });
  it.each(['awaiting_approval', 'needs_input', 'blocked'] as const)(
    'polls comments for %s',
    (state) => {
      expect(decideReconcile(task({ state }), quiet)).toEqual({ kind: 'poll_comments' });
    },
  );
  it('skips a task with a live job', () => {
    expect(decideReconcile(task(), { ...quiet, liveJob: true })).toMatchObject({ kind: 'skip' });
  });
  it('respects the grace', () => {
    const recent = { ...quiet, lastActivityMs: quiet.nowMs - 299_999 };
    expect(decideReconcile(task(), recent)).toEqual({ kind: 'skip', reason: 'within grace' });
    const old = { ...quiet, lastActivityMs: quiet.nowMs - 300_000 };
    expect(decideReconcile(task(), old)).toEqual({ kind: 'evaluate' });
  });
  it('skips escalated tasks and the terminal stage', () => {
    expect(decideReconcile(task({ devRetries: 3 }), quiet)).toMatchObject({ reason: 'escalated' });
    expect(decideReconcile(task({ terminalStage: true }), quiet)).toMatchObject({
      reason: 'terminal stage',
    });
  });
});

describe('grace overrides', () => {
  it('parses per-stage seconds and applies them', () => {
    const o = parseGraceOverrides('{"deploy": 900}');
    expect(stageGraceMs('deploy', { defaultMs: 1000, overridesS: o })).toBe(900_000);
    expect(stageGraceMs('review', { defaultMs: 1000, overridesS: o })).toBe(1000);
    expect(parseGraceOverrides('  ')).toEqual({});
  });
  it('rejects malformed overrides', () => {
    expect(() => parseGraceOverrides('[1]')).toThrow();
    expect(() => parseGraceOverrides('{"deploy": -1}')).toThrow();
    expect(() => parseGraceOverrides('{"deploy": "x"}')).toThrow();
  });
});
