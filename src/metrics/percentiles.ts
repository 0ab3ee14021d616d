/** How many values a summary was computed from, and its median and 95th percentile (null: none). */
export interface Summary {
  count: number;
  p50: number | null;
  p95: number | null;
}

/**
 * Pure: the nearest-rank percentile `q` (0 < q ≤ 1) of values sorted ascending — the smallest
 * value with at least `q` of the values at or below it, so always one of the values. Null when
 * there are none.
 */
export function percentile(sortedAsc: readonly number[], q: number): number | null {
  if (sortedAsc.length === 0) return null;
  const rank = Math.max(1, Math.ceil(q * sortedAsc.length));
  return sortedAsc[Math.min(rank, sortedAsc.length) - 1]!;
}

/** Pure: count, p50 and p95 of `values` (any order), each divided by `unit` (e.g. 1000: ms → s). */
export function summarize(values: readonly number[], unit = 1): Summary {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => {
    const v = percentile(sorted, q);
    return v === null ? null : v / unit;
  };
  return { count: sorted.length, p50: at(0.5), p95: at(0.95) };
}
