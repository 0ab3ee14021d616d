import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseNpmAudit } from './audit-parse-npm.js';
import { parseOsvScannerReport, parsePipAuditReport } from './audit-parse-osv.js';
import { parseYarnBerryAudit, parseYarnClassicAudit } from './audit-parse-yarn.js';
import { interpretAudit } from './auditors.js';
import { applyBaseline } from './baseline.js';
import type { DepFinding } from './types.js';

const FIXTURES = resolve(import.meta.dirname, '../../../test/fixtures/scanners');
const fixture = (p: string) => readFileSync(`${FIXTURES}/${p}`, 'utf8');
const short = (fs: DepFinding[]) =>
  fs.map((f) => `${f.package}@${f.version} ${f.id} ${f.severity}`);

describe('npm audit parsing', () => {
  it('npm 7+ one_vuln fixture: one finding per advisory, moderate → MEDIUM, GHSA ids', () => {
    const lock = JSON.stringify({ packages: { 'node_modules/debug': { version: '2.6.8' } } });
    const r = parseNpmAudit(fixture('npm_audit_7_plus/one_vuln.json'), 'npm', lock);
    expect(r.kind).toBe('ok');
    if (r.kind !== 'ok') return;
    expect(short(r.findings)).toEqual([
      'debug@2.6.8 GHSA-gxpj-cx7g-858c MEDIUM',
      'debug@2.6.8 GHSA-9vvw-cc9w-f27h HIGH',
    ]);
    expect(r.findings[0]?.fix).toBe('express@4.18.3');
  });

  it('npm 7+ many_vulns fixture: transitive string vias carry no finding of their own', () => {
    const r = parseNpmAudit(fixture('npm_audit_7_plus/many_vulns.json'), 'npm');
    expect(r.kind === 'ok' && short(r.findings)).toEqual([
      'debug@? GHSA-gxpj-cx7g-858c MEDIUM',
      'semver@? GHSA-c2qf-rxjj-qqgw MEDIUM',
      'undici@? GHSA-3787-6prv-h9w3 LOW',
    ]);
  });

  it('pnpm (npm 6 advisories shape): ids, versions and patched versions', () => {
    const r = parseNpmAudit(fixture('synthetic/pnpm_audit.json'), 'pnpm');
    expect(r.kind === 'ok' && short(r.findings)).toEqual([
      'lodash@4.17.11 GHSA-jf85-cpcp-j695 CRITICAL',
      'minimist@1.2.0 GHSA-vh95-rmgr-6w4m MEDIUM',
    ]);
    expect(r.kind === 'ok' && r.findings[0]?.fix).toBe('>=4.17.12');
  });

  it('an error object, garbage or an unknown shape is degraded', () => {
    const err = JSON.stringify({
      error: { code: 'ENOLOCK', summary: 'This command requires an existing lockfile.' },
    });
    expect(parseNpmAudit(err, 'npm')).toEqual({
      kind: 'degraded',
      detail: 'npm audit error: ENOLOCK This command requires an existing lockfile.',
    });
    expect(parseNpmAudit('<html>', 'npm').kind).toBe('degraded');
    expect(parseNpmAudit('{"foo":1}', 'npm').kind).toBe('degraded');
    expect(parseNpmAudit('{"auditReportVersion":2,"vulnerabilities":{}}', 'npm')).toEqual({
      kind: 'ok',
      findings: [],
    });
  });
});

describe('yarn, osv-scanner and pip-audit parsing', () => {
  it('yarn classic NDJSON: one finding per advisory across paths', () => {
    const r = parseYarnClassicAudit(fixture('synthetic/yarn_classic_audit.ndjson'));
    expect(r.kind === 'ok' && short(r.findings)).toEqual([
      'lodash@4.17.11 GHSA-jf85-cpcp-j695 HIGH',
    ]);
    expect(parseYarnClassicAudit('{"type":"error","data":"getaddrinfo ENOTFOUND"}').kind).toBe(
      'degraded',
    );
    expect(parseYarnClassicAudit('oops').kind).toBe('degraded');
  });

  it('yarn berry NDJSON', () => {
    const r = parseYarnBerryAudit(fixture('synthetic/yarn_berry_audit.ndjson'));
    expect(r.kind === 'ok' && short(r.findings)).toEqual([
      'lodash@4.17.11 GHSA-jf85-cpcp-j695 CRITICAL',
      'minimist@1.2.0 GHSA-vh95-rmgr-6w4m MEDIUM',
    ]);
  });

  it('osv-scanner: one finding per group, CVSS score bucketed, no score → UNKNOWN', () => {
    const r = parseOsvScannerReport(fixture('synthetic/osv_scanner.json'));
    expect(r.kind === 'ok' && short(r.findings)).toEqual([
      'lodash@4.17.11 GHSA-jf85-cpcp-j695 CRITICAL',
      'requests@2.0.0 PYSEC-2014-13 UNKNOWN',
    ]);
    expect(r.kind === 'ok' && r.findings[0]?.fix).toBe('4.17.12');
  });

  it('pip-audit: tolerant; no severity is UNKNOWN (G-6); skipped deps yield nothing', () => {
    expect(parsePipAuditReport('')).toEqual([]);
    expect(parsePipAuditReport('garbage')).toEqual([]);
    const withSeverity = JSON.stringify({
      dependencies: [
        {
          name: 'requests',
          version: '2.0',
          vulns: [{ id: 'CVE-1', severity: 'HIGH', fix_versions: ['2.1'] }],
        },
      ],
    });
    expect(parsePipAuditReport(withSeverity)).toMatchObject([
      { package: 'requests', severity: 'HIGH', fix: '2.1' },
    ]);
    expect(short(parsePipAuditReport(fixture('synthetic/pip_audit.json')))).toEqual([
      'requests@2.0.0 PYSEC-2014-13 UNKNOWN',
    ]);
    const listSeverity = JSON.stringify([
      {
        name: 'a',
        version: '1',
        vulns: [{ aliases: ['CVE-9'], severity: [{ type: 'CVSS_V3', score: '7.5' }] }],
      },
    ]);
    expect(short(parsePipAuditReport(listSeverity))).toEqual(['a@1 CVE-9 HIGH']);
  });
});

describe('interpretAudit (exit codes and degrade rules)', () => {
  const ctx = { timeoutMs: 5000, npmLock: undefined };
  const exit = (rc: number, stdout: string, stderr = '') => ({
    kind: 'exit' as const,
    rc,
    stdout,
    stderr,
  });

  it('parses output whatever the exit code', () => {
    const r = interpretAudit('npm', exit(1, fixture('npm_audit_7_plus/one_vuln.json')), ctx);
    expect(r).toMatchObject({ status: 'ok', detail: '2 vuln(s)' });
  });

  it('empty output is clean with rc 0 and degraded otherwise', () => {
    expect(interpretAudit('npm', exit(0, ''), ctx)).toMatchObject({
      status: 'ok',
      detail: 'no vulnerabilities',
    });
    expect(interpretAudit('pip-audit', exit(1, '', 'EAI_AGAIN'), ctx)).toMatchObject({
      status: 'degraded',
      detail: 'pip-audit no output (rc=1): EAI_AGAIN',
    });
  });

  it('timeout, missing binary and osv-scanner exit codes', () => {
    expect(interpretAudit('npm', { kind: 'timeout', stdout: '', stderr: '' }, ctx).detail).toBe(
      'npm timeout after 5s',
    );
    expect(interpretAudit('pnpm', { kind: 'not-found' }, ctx).detail).toBe('pnpm binary not found');
    expect(interpretAudit('osv-scanner', exit(128, ''), ctx).status).toBe('ok');
    expect(interpretAudit('osv-scanner', exit(127, '{}'), ctx).status).toBe('degraded');
  });
});

describe('applyBaseline', () => {
  const f = (pkg: string, id: string): DepFinding => ({
    package: pkg,
    version: '1',
    id,
    severity: 'HIGH',
    fix: '',
    source: 'npm',
  });

  it('marks head findings the target also has, by package and advisory id', () => {
    const { findings, baselined } = applyBaseline(
      [f('debug', 'GHSA-1'), f('debug', 'GHSA-2'), f('ms', 'GHSA-1')],
      [f('debug', 'ghsa-1')],
    );
    expect(baselined).toBe(1);
    expect(findings.map((x) => Boolean(x.baseline))).toEqual([true, false, false]);
  });
});
