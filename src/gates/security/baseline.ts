import type { DepFinding } from './types.js';

const key = (f: DepFinding) => `${f.package.toLowerCase()}\u0000${f.id.toLowerCase()}`;

/**
 * Marks head findings whose (package, advisory id) the target branch also reports as `baseline`
 * (pure): they stay in the report as warnings but no longer block, so an advisory published
 * against a dependency already on the target cannot trap every task (G-13).
 */
export function applyBaseline(
  head: readonly DepFinding[],
  target: readonly DepFinding[],
): { findings: DepFinding[]; baselined: number } {
  const known = new Set(target.map(key));
  let baselined = 0;
  const findings = head.map((f) => {
    if (!known.has(key(f))) return f;
    baselined += 1;
    return { ...f, baseline: true };
  });
  return { findings, baselined };
}
