import { describe, expect, it } from 'vitest';
import { decideCoverage, guessFormat, parseCoverage } from './coverage-report.js';

// What the tools write (trimmed): Node 20's `--test-reporter=lcov`, coverage.py 7 `coverage xml`
// (Cobertura), istanbul/nyc `json-summary`, coverage.py 7 `coverage json`.
const LCOV = `TN:
SF:src/trails.js
FN:1,distanceKm
FNDA:1,distanceKm
FNF:1
FNH:1
DA:1,1
DA:5,0
LH:4
LF:7
end_of_record
SF:test/trails.test.js
DA:1,1
LH:5
LF:5
end_of_record
`;
const COBERTURA = `<?xml version="1.0" ?>
<coverage version="7.4.0" timestamp="1733390000000" lines-valid="120" lines-covered="102" line-rate="0.85" branches-covered="0" branches-valid="0" branch-rate="0" complexity="0">
  <sources><source>/src</source></sources>
  <packages><package name="app" line-rate="0.85" branch-rate="0" complexity="0"></package></packages>
</coverage>`;
const ISTANBUL = JSON.stringify({
  total: {
    lines: { total: 200, covered: 181, skipped: 0, pct: 90.5 },
    statements: { total: 210, covered: 190, skipped: 0, pct: 90.47 },
    functions: { total: 40, covered: 36, skipped: 0, pct: 90 },
    branches: { total: 50, covered: 40, skipped: 0, pct: 80 },
  },
});
const COVERAGE_PY = JSON.stringify({
  meta: { format: 3, version: '7.4.0' },
  files: {},
  totals: { covered_lines: 73, num_statements: 100, percent_covered: 73.0, missing_lines: 27 },
});

describe('coverage reports', () => {
  it('reads line coverage from each format, by name or by trying them', () => {
    expect(parseCoverage(LCOV, 'lcov')).toBe(75); // (4 + 5) / (7 + 5)
    expect(parseCoverage(COBERTURA, 'cobertura')).toBe(85);
    expect(parseCoverage(ISTANBUL, 'istanbul')).toBe(90.5);
    expect(parseCoverage(COVERAGE_PY, 'coveragepy')).toBe(73);
    expect(parseCoverage(LCOV, 'auto', 'lcov.info')).toBe(75);
    expect(parseCoverage(COBERTURA, 'auto', 'coverage.xml')).toBe(85);
    expect(parseCoverage(ISTANBUL, 'auto', 'coverage/coverage-summary.json')).toBe(90.5);
    expect(parseCoverage(COVERAGE_PY, 'auto', 'coverage.json')).toBe(73);
    expect(parseCoverage(COVERAGE_PY, 'auto', 'weird-name')).toBe(73);
  });

  it('answers null for text that is not the format asked for', () => {
    expect(parseCoverage('hello', 'lcov')).toBeNull();
    expect(parseCoverage(ISTANBUL, 'coveragepy')).toBeNull();
    expect(parseCoverage('<html/>', 'cobertura')).toBeNull();
    expect(parseCoverage('{', 'auto', 'x.json')).toBeNull();
    expect(guessFormat('report.txt')).toBeNull();
  });

  it('ratchet: passes within epsilon of the baseline, fails below it with both numbers', () => {
    const p = { policy: 'ratchet' as const, epsilon: 0.5, floor: 0 };
    expect(decideCoverage(80, null, p).passed).toBe(true);
    expect(decideCoverage(79.6, 80, p).passed).toBe(true);
    const drop = decideCoverage(79.4, 80, p);
    expect(drop).toEqual({
      passed: false,
      reason: 'coverage dropped from 80% to 79.4% (more than 0.5 points below the baseline)',
    });
  });

  it('absolute: the floor decides, whatever the baseline', () => {
    const p = { policy: 'absolute' as const, epsilon: 0, floor: 70 };
    expect(decideCoverage(70, 99, p).passed).toBe(true);
    expect(decideCoverage(69.9, null, p)).toEqual({
      passed: false,
      reason: 'coverage 69.9% is below the floor 70%',
    });
  });
});
