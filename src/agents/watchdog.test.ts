import { describe, expect, it } from 'vitest';
import { watchdogVerdict } from './watchdog.js';

const LIMITS = { wallMs: 10_000, idleMs: 3_000, exitGraceMs: 1_000 };

describe('watchdogVerdict', () => {
  it('lets a chatty run live until the wall timeout', () => {
    const s = { startedAtMs: 0, lastOutputAtMs: 9_500, resultSeenAtMs: null };
    expect(watchdogVerdict(s, LIMITS, 9_999)).toBeNull();
    expect(watchdogVerdict(s, LIMITS, 10_000)).toBe('wall_timeout');
  });

  it('kills a silent run after the idle timeout', () => {
    const s = { startedAtMs: 0, lastOutputAtMs: 1_000, resultSeenAtMs: null };
    expect(watchdogVerdict(s, LIMITS, 3_999)).toBeNull();
    expect(watchdogVerdict(s, LIMITS, 4_000)).toBe('idle_timeout');
  });

  it('gives a run that printed its result only the exit grace, and no idle timeout', () => {
    const s = { startedAtMs: 0, lastOutputAtMs: 500, resultSeenAtMs: 500 };
    expect(watchdogVerdict(s, LIMITS, 1_499)).toBeNull();
    expect(watchdogVerdict(s, LIMITS, 1_500)).toBe('exit_grace');
  });
});
