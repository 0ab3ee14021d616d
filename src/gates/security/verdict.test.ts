import { describe, expect, it } from 'vitest';
import { classifySeverity, normalizeSeverity, normalizeThreshold } from './severity.js';
import type { DepAuditResult, DepFinding, SecretScanResult } from './types.js';
import { computeVerdict, type VerdictOptions } from './verdict.js';

const clean: SecretScanResult = {
  status: 'clean',
  findings: [],
  detail: 'no secrets found',
  scanner: 'builtin',
};
const found = (n: number): SecretScanResult => ({
  status: 'found',
  findings: Array.from({ length: n }, (_, i) => ({
    file: 'src/config.py',
    rule: 'generic-api-key',
    line: 12 + i,
    match: 'abcd…yz',
  })),
  detail: `${n} secret(s) found`,
  scanner: 'gitleaks',
});
const dep = (
  pkg: string,
  version: string,
  id: string,
  severity: DepFinding['severity'],
): DepFinding => ({
  package: pkg,
  version,
  id,
  severity,
  fix: '',
  source: 'npm',
});
const ok = (findings: DepFinding[] = []): DepAuditResult => ({
  status: 'ok',
  findings,
  detail: '',
});
const degraded: DepAuditResult = {
  status: 'degraded',
  findings: [],
  detail: 'npm feed unavailable',
};
const OPTS: VerdictOptions = { secretsBlock: true, depBlockSeverity: 'HIGH', depFailClosed: false };

describe('computeVerdict (spec §7.4)', () => {
  it('TC-01: a secret in the diff fails and the reason names rule and file', () => {
    const v = computeVerdict(found(1), ok(), OPTS);
    expect(v.securityStatus).toBe('FAIL');
    expect(v.secretsFound).toBe(1);
    expect(v.reason).toBe('1 secret(s): generic-api-key in src/config.py:12');
  });

  it('TC-02: a clean branch passes with the clean reason', () => {
    const v = computeVerdict(clean, ok(), OPTS);
    expect(v).toMatchObject({ securityStatus: 'PASS', secretsFound: 0, depsBlocking: 0 });
    expect(v.reason).toBe('clean: 0 secrets, 0 blocking CVE(s)');
  });

  it('TC-04: a HIGH or CRITICAL advisory at threshold HIGH blocks', () => {
    const v = computeVerdict(
      clean,
      ok([dep('requests', '2.0.0', 'CVE-1', 'HIGH'), dep('urllib3', '1.0.0', 'CVE-2', 'CRITICAL')]),
      OPTS,
    );
    expect(v.securityStatus).toBe('FAIL');
    expect(v.depsBlocking).toBe(2);
    expect(v.reason).toBe(
      '2 blocking CVE(s): requests 2.0.0 CVE-1 (HIGH), urllib3 1.0.0 CVE-2 (CRITICAL)',
    );
  });

  it('TC-05: only MEDIUM and LOW advisories warn and pass', () => {
    const v = computeVerdict(
      clean,
      ok([dep('jinja2', '2.0', 'CVE-M', 'MEDIUM'), dep('click', '7.0', 'CVE-L', 'LOW')]),
      OPTS,
    );
    expect(v).toMatchObject({ securityStatus: 'PASS', depsWarning: 2, depsBlocking: 0 });
  });

  it('TC-06: the threshold decides whether HIGH blocks', () => {
    const high = ok([dep('requests', '2.0', 'CVE-H', 'HIGH')]);
    expect(computeVerdict(clean, high, { ...OPTS, depBlockSeverity: 'CRITICAL' })).toMatchObject({
      securityStatus: 'PASS',
      depsWarning: 1,
    });
    expect(computeVerdict(clean, high, OPTS)).toMatchObject({
      securityStatus: 'FAIL',
      depsBlocking: 1,
    });
  });

  it('TC-07: a degraded audit passes with a note by default and fails when fail-closed', () => {
    const open = computeVerdict(clean, degraded, OPTS);
    expect(open).toMatchObject({ securityStatus: 'PASS', depsAuditDegraded: true });
    expect(open.reason).toBe(
      'clean: 0 secrets, 0 blocking CVE(s) (dep-audit degraded — warning only)',
    );
    const closed = computeVerdict(clean, degraded, { ...OPTS, depFailClosed: true });
    expect(closed).toMatchObject({ securityStatus: 'FAIL', depsAuditDegraded: true });
    expect(closed.reason).toBe('dep-audit feed unavailable (fail-closed): npm feed unavailable');
  });

  it('a secret scan error fails even when secrets do not block', () => {
    const error: SecretScanResult = {
      ...clean,
      status: 'error',
      detail: 'gitleaks binary not found',
    };
    const v = computeVerdict(error, ok(), { ...OPTS, secretsBlock: false });
    expect(v.securityStatus).toBe('FAIL');
    expect(v.secretsFound).toBe(0);
    expect(v.reason).toBe('secret scan error (fail-closed): gitleaks binary not found');
  });

  it('found secrets pass but are still counted when secrets do not block', () => {
    const v = computeVerdict(found(2), ok(), { ...OPTS, secretsBlock: false });
    expect(v).toMatchObject({ securityStatus: 'PASS', secretsFound: 2 });
    expect(v.reason).toBe('clean: 2 secrets, 0 blocking CVE(s)');
  });

  it('joins every FAIL reason with "; " in a fixed order', () => {
    const v = computeVerdict(
      found(1),
      { ...degraded, findings: [dep('a', '1', 'X', 'CRITICAL')] },
      {
        ...OPTS,
        depFailClosed: true,
      },
    );
    expect(v.reason.split('; ').map((r) => r.split(':')[0])).toEqual([
      '1 secret(s)',
      '1 blocking CVE(s)',
      'dep-audit feed unavailable (fail-closed)',
    ]);
  });

  it('a baseline finding is a warning whatever its severity', () => {
    const v = computeVerdict(
      clean,
      ok([{ ...dep('debug', '2.6.8', 'GHSA-1', 'CRITICAL'), baseline: true }]),
      OPTS,
    );
    expect(v).toMatchObject({ securityStatus: 'PASS', depsBlocking: 0, depsWarning: 1 });
  });
});

describe('severity', () => {
  it('TC-06: classifies against the threshold; UNKNOWN and empty always warn', () => {
    expect(classifySeverity('HIGH', 'CRITICAL')).toBe('warning');
    expect(classifySeverity('HIGH', 'HIGH')).toBe('block');
    expect(classifySeverity('CRITICAL', 'CRITICAL')).toBe('block');
    expect(classifySeverity('UNKNOWN', 'LOW')).toBe('warning');
    expect(classifySeverity('', 'HIGH')).toBe('warning');
    expect(classifySeverity(' medium ', 'moderate')).toBe('block');
  });

  it('normalises tool severities: moderate is MEDIUM, info and vectors are UNKNOWN, scores bucket', () => {
    expect(normalizeSeverity('moderate')).toBe('MEDIUM');
    expect(normalizeSeverity('Critical')).toBe('CRITICAL');
    expect(normalizeSeverity('info')).toBe('UNKNOWN');
    expect(normalizeSeverity('CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H')).toBe('UNKNOWN');
    expect(normalizeSeverity('9.8')).toBe('CRITICAL');
    expect(normalizeSeverity(7)).toBe('HIGH');
    expect(normalizeSeverity(4.0)).toBe('MEDIUM');
    expect(normalizeSeverity(0.1)).toBe('LOW');
    expect(normalizeSeverity(0)).toBe('UNKNOWN');
    expect(normalizeSeverity(null)).toBe('UNKNOWN');
  });

  it('G-14: trims and upper-cases a threshold; unknown values fall back to HIGH', () => {
    expect(normalizeThreshold('high ')).toBe('HIGH');
    expect(normalizeThreshold('MODERATE')).toBe('MEDIUM');
    expect(normalizeThreshold('')).toBe('HIGH');
    expect(normalizeThreshold('severe')).toBe('HIGH');
  });
});
