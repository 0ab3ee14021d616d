import { describe, expect, it } from 'vitest';
import { backoffMs } from './backoff.js';

const policy = { baseMs: 10_000, capMs: 600_000 };

describe('backoffMs', () => {
  it('doubles from the base: 20 s, 40 s, 80 s … for n = 1, 2, 3', () => {
    expect([1, 2, 3, 4, 5].map((n) => backoffMs(n, policy))).toEqual([
      20_000, 40_000, 80_000, 160_000, 320_000,
    ]);
  });

  it('never exceeds the cap', () => {
    expect(backoffMs(6, policy)).toBe(600_000);
    expect(backoffMs(60, policy)).toBe(600_000);
  });

  it('uses Retry-After as a floor, itself capped', () => {
    expect(backoffMs(1, policy, 30_000)).toBe(30_000);
    expect(backoffMs(3, policy, 30_000)).toBe(80_000);
    expect(backoffMs(1, policy, 3_600_000)).toBe(600_000);
  });

  it('ignores a missing, zero or negative Retry-After', () => {
    expect(backoffMs(1, policy, null)).toBe(20_000);
    expect(backoffMs(1, policy, 0)).toBe(20_000);
    expect(backoffMs(1, policy, -5)).toBe(20_000);
  });
});
