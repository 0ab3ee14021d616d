import { describe, expect, it } from 'vitest';
import {
  breakerSnapshot,
  claimGate,
  closedBreaker,
  recordOutcome,
  startProbe,
  type Breaker,
} from './circuit-breaker.js';

const POLICY = { threshold: 3, pauseMs: 300_000 };

function apply(b: Breaker, events: ('transient' | 'success' | 'permanent')[], nowMs = 0) {
  let cur = b;
  const opened: boolean[] = [];
  for (const e of events) {
    const r = recordOutcome(cur, e, POLICY, nowMs);
    cur = r.breaker;
    opened.push(r.opened);
  }
  return { breaker: cur, opened };
}

describe('circuit breaker', () => {
  it('stays closed below the threshold and opens on the third consecutive transient', () => {
    const { breaker, opened } = apply(
      closedBreaker('developer'),
      ['transient', 'transient', 'transient'],
      1000,
    );
    expect(opened).toEqual([false, false, true]);
    expect(breaker).toMatchObject({
      state: 'open',
      consecutiveTransient: 3,
      openedAtMs: 1000,
      openUntilMs: 301_000,
    });
  });

  it('resets the streak on a success or a permanent failure', () => {
    expect(
      apply(closedBreaker('k'), ['transient', 'transient', 'success', 'transient']).breaker,
    ).toMatchObject({
      state: 'closed',
      consecutiveTransient: 1,
    });
    expect(
      apply(closedBreaker('k'), ['transient', 'transient', 'permanent', 'transient']).breaker.state,
    ).toBe('closed');
  });

  it('blocks claims while open, then lets exactly one probe through after the pause', () => {
    const { breaker } = apply(closedBreaker('k'), ['transient', 'transient', 'transient'], 0);
    expect(claimGate(breaker, 299_999)).toBe('blocked');
    expect(claimGate(breaker, 300_000)).toBe('probe');
    const probing = startProbe(breaker, 42);
    expect(probing).toMatchObject({ state: 'half_open', probeJobId: 42 });
    expect(claimGate(probing, 400_000)).toBe('blocked');
  });

  it('closes when the probe succeeds and re-opens when the probe hits a transient', () => {
    const { breaker } = apply(closedBreaker('k'), ['transient', 'transient', 'transient'], 0);
    const probing = startProbe(breaker, 7);
    expect(recordOutcome(probing, 'success', POLICY, 300_000).breaker).toEqual(closedBreaker('k'));
    const again = recordOutcome(probing, 'transient', POLICY, 300_000);
    expect(again.opened).toBe(true);
    expect(again.reason).toMatch(/re-opened/);
    expect(again.breaker).toMatchObject({ state: 'open', openUntilMs: 600_000, probeJobId: null });
  });

  it('does not re-announce an open breaker when stragglers fail while it is open', () => {
    const { breaker } = apply(closedBreaker('k'), ['transient', 'transient', 'transient']);
    const r = recordOutcome(breaker, 'transient', POLICY, 5);
    expect(r.opened).toBe(false);
    expect(r.breaker).toMatchObject({ state: 'open', consecutiveTransient: 4 });
  });

  it('reports the remaining pause in whole seconds', () => {
    const { breaker } = apply(closedBreaker('k'), ['transient', 'transient', 'transient'], 0);
    expect(breakerSnapshot(breaker, 100_500)).toEqual({
      kind: 'k',
      state: 'open',
      consecutiveTransient: 3,
      pauseRemainingS: 200,
    });
    expect(breakerSnapshot(closedBreaker('k'), 0).pauseRemainingS).toBe(0);
  });
});
