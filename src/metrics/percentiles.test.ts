import { describe, expect, it } from 'vitest';
import { percentile, summarize } from './percentiles.js';

describe('percentile (nearest rank)', () => {
  it('is null for no values', () => {
    expect(percentile([], 0.5)).toBeNull();
  });

  it('is the only value of a single-value list, whatever the percentile', () => {
    expect(percentile([7], 0.5)).toBe(7);
    expect(percentile([7], 0.95)).toBe(7);
  });

  it('picks the smallest value with at least q of the values at or below it', () => {
    const ten = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
    expect(percentile(ten, 0.5)).toBe(5);
    expect(percentile(ten, 0.95)).toBe(10);
    expect(percentile(ten, 0.1)).toBe(1);
    expect(percentile(ten, 1)).toBe(10);
  });

  it('takes the upper of two middle values only when the rank says so', () => {
    expect(percentile([1, 2], 0.5)).toBe(1);
    expect(percentile([1, 2, 3], 0.5)).toBe(2);
  });

  it('never reads past either end for tiny or full percentiles', () => {
    expect(percentile([3, 4], 0.0001)).toBe(3);
    expect(percentile([3, 4], 1)).toBe(4);
  });
});

describe('summarize', () => {
  it('sorts its input and converts to the unit', () => {
    expect(summarize([3000, 1000, 2000], 1000)).toEqual({ count: 3, p50: 2, p95: 3 });
  });

  it('reports a count of 0 and null percentiles for no values', () => {
    expect(summarize([])).toEqual({ count: 0, p50: null, p95: null });
  });

  it('does not reorder the caller’s array', () => {
    const values = [3, 1, 2];
    summarize(values);
    expect(values).toEqual([3, 1, 2]);
  });
});
