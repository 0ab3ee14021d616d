import { describe, expect, it } from 'vitest';
import {
  decideReap,
  unknownOutcomeStatus,
  type ReapInput,
  type RunningJobView,
} from './reap-decision.js';

const NOW = 1_000_000_000;
const S = { deadTicks: 2, maxRunningMs: 3_600_000, finalizeGraceMs: 300_000 };

function job(o: Partial<RunningJobView> = {}): RunningJobView {
  return {
    id: 1,
    pid: 4242,
    startedAtMs: NOW - 10_000,
    attempts: 1,
    maxAttempts: 2,
    runStartedAtMs: NOW - 9_000,
    runFinishedAtMs: null,
    exitCode: null,
    runOutcome: null,
    ...o,
  };
}

function decide(o: Partial<ReapInput> & { job?: RunningJobView } = {}) {
  return decideReap({
    job: job(),
    nowMs: NOW,
    settings: S,
    pidAlive: true,
    streak: 0,
    heldLocally: false,
    ...o,
  });
}

const exited = (exitCode: number, finishedAgoMs: number, runOutcome = 'success') =>
  job({ exitCode, runOutcome, runFinishedAtMs: NOW - finishedAgoMs });

describe('decideReap — Tier-1 (dead pid, no exit code)', () => {
  it('defers on the first dead reading and counts the streak', () => {
    expect(decide({ pidAlive: false })).toMatchObject({ kind: 'keep', streak: 1 });
  });
  it('reaps as an unknown outcome when the streak reaches dead_ticks', () => {
    expect(decide({ pidAlive: false, streak: 1 })).toEqual({
      kind: 'reap_unknown',
      reason: 'dead pid=4242',
    });
  });
  it('needs three consecutive readings with dead_ticks 3', () => {
    const settings = { ...S, deadTicks: 3 };
    expect(decide({ settings, pidAlive: false, streak: 1 })).toMatchObject({ streak: 2 });
    expect(decide({ settings, pidAlive: false, streak: 2 }).kind).toBe('reap_unknown');
  });
  it('treats dead_ticks below 1 as 1', () => {
    expect(decide({ settings: { ...S, deadTicks: 0 }, pidAlive: false }).kind).toBe('reap_unknown');
  });
  it('resets the streak on an alive reading', () => {
    expect(decide({ pidAlive: true, streak: 1 })).toEqual({ kind: 'keep', streak: 0, note: null });
  });
  it('resets the streak when the pid cannot be judged (null pid, another host)', () => {
    expect(decide({ pidAlive: null, streak: 1 })).toMatchObject({ kind: 'keep', streak: 0 });
  });
  it('never reaps a job this process still runs', () => {
    expect(decide({ pidAlive: false, streak: 5, heldLocally: true })).toMatchObject({
      kind: 'keep',
      streak: 0,
    });
  });
});

describe('decideReap — Tier-2 (exit code recorded)', () => {
  it('defers within the finalize grace', () => {
    const d = decide({ job: exited(0, 5_000) });
    expect(d).toMatchObject({ kind: 'keep', streak: 0 });
    expect(d.kind === 'keep' && d.note).toMatch(/deferring/);
  });
  it('reaps exit 0 with a success outcome through the gate path once the grace passed', () => {
    expect(decide({ job: exited(0, 300_000) })).toEqual({ kind: 'reap_exit0' });
  });
  it('treats exit 0 with an error result as a failure (exit 0 is not proof)', () => {
    expect(decide({ job: exited(0, 600_000, 'permanent') })).toEqual({
      kind: 'reap_unknown',
      reason: 'exit=0 (permanent)',
    });
  });
  it('reaps a non-zero exit as an unknown outcome', () => {
    expect(decide({ job: exited(1, 600_000, 'permanent') })).toMatchObject({
      kind: 'reap_unknown',
      reason: 'exit=1 (permanent)',
    });
  });
  it('never reaps through Tier-2 when the run has no finish time (E-3)', () => {
    expect(decide({ job: job({ exitCode: 0, runOutcome: 'success' }) }).kind).toBe('keep');
  });
  it('clears the Tier-1 streak when an exit code is recorded', () => {
    expect(decide({ job: exited(0, 1_000), pidAlive: false, streak: 1 })).toMatchObject({
      streak: 0,
    });
  });
  it('ignores a run from an earlier claim (H-2)', () => {
    const stale = job({
      exitCode: 0,
      runOutcome: 'success',
      runStartedAtMs: NOW - 20_000,
      runFinishedAtMs: NOW - 19_000,
    });
    expect(decide({ job: stale, settings: { ...S, finalizeGraceMs: 0 } }).kind).toBe('keep');
  });
  it('defers while this process finalizes the job', () => {
    expect(decide({ job: exited(0, 600_000), heldLocally: true })).toEqual({
      kind: 'keep',
      streak: 0,
      note: null,
    });
  });
});

describe('decideReap — Tier-3 (backstop)', () => {
  const old = (o: Partial<RunningJobView> = {}) => job({ startedAtMs: NOW - 500_000, ...o });
  const settings = { ...S, maxRunningMs: 100_000 };
  it('reaps a live job past the maximum running time', () => {
    expect(decide({ job: old(), settings })).toEqual({
      kind: 'reap_unknown',
      reason: 'backstop age=500s>=100s',
    });
  });
  it('reaps a job without pid past the maximum', () => {
    expect(decide({ job: old({ pid: null }), settings, pidAlive: null }).kind).toBe('reap_unknown');
  });
  it('fires after a Tier-2 deferral: a known exit 0 within the grace is reaped as unknown (E-14)', () => {
    const j = old({ exitCode: 0, runOutcome: 'success', runFinishedAtMs: NOW - 1_000 });
    expect(decide({ job: j, settings })).toMatchObject({ kind: 'reap_unknown' });
  });
  it('fires after a Tier-1 deferral', () => {
    expect(decide({ job: old(), settings, pidAlive: false })).toMatchObject({
      kind: 'reap_unknown',
      reason: expect.stringMatching(/^backstop/) as unknown,
    });
  });
  it('never fires for a row without started_at (E-2)', () => {
    expect(decide({ job: old({ startedAtMs: null }), settings }).kind).toBe('keep');
  });
  it('leaves a live job within the maximum alone (AC-3)', () => {
    const j = job({ startedAtMs: NOW - 1_800_000 });
    expect(decide({ job: j })).toEqual({ kind: 'keep', streak: 0, note: null });
  });
});

describe('unknownOutcomeStatus', () => {
  it.each([
    [0, 2, 'queued'],
    [1, 2, 'queued'],
    [2, 2, 'failed'],
    [3, 2, 'failed'],
    [1, 0, 'queued'], // E-8: max 0 counts as 2
    [2, 0, 'failed'],
  ] as const)('attempts %i of %i → %s', (attempts, maxAttempts, want) => {
    expect(unknownOutcomeStatus({ attempts, maxAttempts })).toBe(want);
  });
});
