/**
 * Line coverage from the report a project's test command writes (spec ORCH-027). Pure parsers
 * of the four formats teams actually produce: lcov (`LF:`/`LH:` per file), Cobertura XML (the
 * root's `line-rate`), istanbul's `coverage-summary.json` (`total.lines.pct`) and coverage.py's
 * JSON (`totals.percent_covered`). Each returns the percentage (0–100) or null when the text is
 * not that format.
 */
export const COVERAGE_FORMATS = ['lcov', 'cobertura', 'istanbul', 'coveragepy'] as const;
export type CoverageFormat = (typeof COVERAGE_FORMATS)[number];

const round = (n: number) => Math.round(n * 100) / 100;

export function parseLcov(text: string): number | null {
  let found = 0;
  let hit = 0;
  let seen = false;
  for (const line of text.split(/\r?\n/)) {
    const m = /^(LF|LH):(\d+)\s*$/.exec(line);
    if (!m) continue;
    seen = true;
    if (m[1] === 'LF') found += Number(m[2]);
    else hit += Number(m[2]);
  }
  if (!seen) return null;
  return found === 0 ? 100 : round((hit / found) * 100);
}

export function parseCobertura(text: string): number | null {
  const root = /<coverage\b[^>]*>/.exec(text);
  const rate = root ? /\bline-rate="([0-9.]+)"/.exec(root[0]) : null;
  return rate ? round(Number(rate[1]) * 100) : null;
}

function json(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const obj = (v: unknown) =>
  v !== null && typeof v === 'object' ? (v as Record<string, unknown>) : null;

export function parseIstanbulSummary(text: string): number | null {
  const pct = num(obj(obj(obj(json(text))?.total)?.lines)?.pct);
  return pct === null ? null : round(pct);
}

export function parseCoveragePy(text: string): number | null {
  const pct = num(obj(obj(json(text))?.totals)?.percent_covered);
  return pct === null ? null : round(pct);
}

const PARSERS: Record<CoverageFormat, (text: string) => number | null> = {
  lcov: parseLcov,
  cobertura: parseCobertura,
  istanbul: parseIstanbulSummary,
  coveragepy: parseCoveragePy,
};

/** The format a report file's name suggests (`auto` in the config), or null. */
export function guessFormat(path: string): CoverageFormat | null {
  if (/\.info$|lcov/i.test(path)) return 'lcov';
  if (/\.xml$/i.test(path)) return 'cobertura';
  if (/coverage-summary\.json$/i.test(path)) return 'istanbul';
  if (/\.json$/i.test(path)) return 'coveragepy';
  return null;
}

/** Line coverage of a report in `format` (or every format in turn for `auto`), or null. */
export function parseCoverage(text: string, format: CoverageFormat | 'auto', path = ''): number | null {
  if (format !== 'auto') return PARSERS[format](text);
  const guess = guessFormat(path);
  const order = guess ? [guess, ...COVERAGE_FORMATS.filter((f) => f !== guess)] : COVERAGE_FORMATS;
  for (const f of order) {
    const pct = PARSERS[f](text);
    if (pct !== null) return pct;
  }
  return null;
}

export interface CoveragePolicy {
  policy: 'ratchet' | 'absolute';
  /** ratchet: how many points below the baseline still pass. */
  epsilon: number;
  /** absolute: the lowest coverage that passes. */
  floor: number;
}

/** Pure: whether measured coverage passes, with both numbers in the reason. */
export function decideCoverage(
  pct: number,
  baseline: number | null,
  p: CoveragePolicy,
): { passed: boolean; reason: string } {
  if (p.policy === 'absolute')
    return pct >= p.floor
      ? { passed: true, reason: `coverage ${pct}% meets the floor ${p.floor}%` }
      : { passed: false, reason: `coverage ${pct}% is below the floor ${p.floor}%` };
  if (baseline === null)
    return { passed: true, reason: `coverage ${pct}% (no baseline yet: this sets it when done)` };
  if (pct < baseline - p.epsilon)
    return {
      passed: false,
      reason: `coverage dropped from ${baseline}% to ${pct}% (more than ${p.epsilon} points below the baseline)`,
    };
  return { passed: true, reason: `coverage ${pct}% (baseline ${baseline}%, −${p.epsilon} allowed)` };
}
