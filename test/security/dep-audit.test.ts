import { readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/log.js';
import { auditDependencies, type DepAuditOptions } from '../../src/gates/security/dep-audit.js';
import {
  fakeAudit,
  git,
  makeRepo,
  npmLock,
  taskBranch,
  testConfig,
  type TestRepo,
} from './helpers.js';

const PKG = '{"name":"demo","version":"1.0.0"}\n';
const baselineDirs = () => readdirSync(tmpdir()).filter((d) => d.startsWith('orch-sec-baseline-'));

describe('dependency audit with fake audit commands (no network)', () => {
  let repo: TestRepo;
  const opts = (over: Partial<DepAuditOptions> = {}): DepAuditOptions => ({
    worktree: repo.dir,
    targetRef: 'main',
    commands: testConfig().auditCommands,
    searchPath: '',
    timeoutMs: 20_000,
    baseline: true,
    log: silentLogger,
    ...over,
  });

  beforeEach(() => {
    repo = makeRepo();
  });
  afterEach(() => repo.dispose());

  it('reports a vulnerable npm lockfile the task branch introduces, with lockfile versions', async () => {
    repo.commit({ 'package.json': PKG, 'package-lock.json': npmLock(null) });
    taskBranch(repo);
    repo.commit({
      'package-lock.json': npmLock('npm_audit_7_plus/one_vuln.json', { debug: '2.6.8' }),
    });
    const r = await auditDependencies(opts());
    expect(r).toMatchObject({ status: 'ok', auditors: ['npm'], notes: [] });
    expect(
      r.findings.map(
        (f) => `${f.package}@${f.version} ${f.id} ${f.severity} ${String(f.baseline)}`,
      ),
    ).toEqual([
      'debug@2.6.8 GHSA-gxpj-cx7g-858c MEDIUM undefined',
      'debug@2.6.8 GHSA-9vvw-cc9w-f27h HIGH undefined',
    ]);
  });

  it('baseline: advisories already on the target are marked, new ones are not', async () => {
    repo.commit({
      'package.json': PKG,
      'package-lock.json': npmLock('npm_audit_7_plus/many_vulns.json'),
    });
    taskBranch(repo);
    repo.commit({
      'package-lock.json': npmLock('npm_audit_7_plus/one_vuln.json', { debug: '2.6.8' }),
    });
    const before = baselineDirs();
    const r = await auditDependencies(opts());
    // GHSA-gxpj (debug) is on main too; GHSA-9vvw (debug, HIGH) is new.
    expect(r.findings.map((f) => `${f.id} ${String(Boolean(f.baseline))}`)).toEqual([
      'GHSA-gxpj-cx7g-858c true',
      'GHSA-9vvw-cc9w-f27h false',
    ]);
    expect(r.notes).toEqual(['1 finding(s) also present on main: reported as warnings (baseline)']);
    // The temporary worktree of the target is gone, and git forgot it.
    expect(baselineDirs()).toEqual(before);
    expect(git(repo.dir, 'worktree', 'list').trim().split('\n')).toHaveLength(1);
  });

  it('baseline off: every finding counts', async () => {
    repo.commit({
      'package.json': PKG,
      'package-lock.json': npmLock('npm_audit_7_plus/one_vuln.json'),
    });
    taskBranch(repo);
    const r = await auditDependencies(opts({ baseline: false }));
    expect(r.findings.every((f) => f.baseline === undefined)).toBe(true);
  });

  it('an unavailable baseline subtracts nothing and says so', async () => {
    repo.commit({
      'package.json': PKG,
      'package-lock.json': npmLock('npm_audit_7_plus/one_vuln.json'),
    });
    taskBranch(repo);
    const r = await auditDependencies(opts({ targetRef: 'origin/gone' }));
    expect(r.findings).toHaveLength(2);
    expect(r.findings.some((f) => f.baseline)).toBe(false);
    expect(r.notes[0]).toMatch(
      /^baseline audit of origin\/gone unavailable \(cannot resolve origin\/gone\)/,
    );
  });

  it('an unreachable advisory feed, garbage output or silence is degraded', async () => {
    repo.commit({ 'package.json': PKG, 'package-lock.json': npmLock(null) });
    taskBranch(repo);
    const feedDown = await auditDependencies(opts({ commands: { npm: fakeAudit('feed-down') } }));
    expect(feedDown.status).toBe('degraded');
    expect(feedDown.detail).toMatch(/^npm feed unavailable: npm audit error: EAI_AGAIN/);
    const garbage = await auditDependencies(opts({ commands: { npm: fakeAudit('garbage') } }));
    expect(garbage).toMatchObject({ status: 'degraded', findings: [] });
    const silent = await auditDependencies(opts({ commands: { npm: fakeAudit('silent-fail') } }));
    expect(silent.detail).toBe('npm no output (rc=1): getaddrinfo EAI_AGAIN pypi.org');
  });

  it('TC-12: a hung auditor is killed at the per-scanner timeout and is degraded', async () => {
    repo.commit({ 'package.json': PKG, 'package-lock.json': npmLock(null) });
    const started = Date.now();
    const r = await auditDependencies(
      opts({ commands: { npm: fakeAudit('sleep', '30000') }, timeoutMs: 500 }),
    );
    expect(r).toMatchObject({ status: 'degraded', detail: 'npm timeout after 1s' });
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('a missing audit binary for a present lockfile is degraded; optional tools are skipped', async () => {
    repo.commit({
      'package.json': PKG,
      'package-lock.json': npmLock(null),
      'requirements.txt': 'requests==2.0\n',
    });
    const r = await auditDependencies(
      opts({ commands: { npm: ['definitely-not-npm'], 'pip-audit': ['pip-audit-missing'] } }),
    );
    expect(r).toMatchObject({
      status: 'degraded',
      detail: 'npm binary not found',
      auditors: ['npm'],
    });
  });

  it('package.json without a lockfile cannot be audited: degraded', async () => {
    repo.commit({ 'package.json': PKG });
    const r = await auditDependencies(opts());
    expect(r.status).toBe('degraded');
    expect(r.detail).toMatch(/^package\.json has no lockfile/);
  });

  it('nothing to audit is ok', async () => {
    expect(await auditDependencies(opts())).toMatchObject({
      status: 'ok',
      detail: 'no manifest to audit',
    });
  });

  it('chooses pnpm, yarn classic, yarn berry, osv-scanner and pip-audit by lockfile and tool', async () => {
    repo.commit({
      'pnpm-lock.yaml': "lockfileVersion: '9.0'\n# fake-audit-fixture: synthetic/pnpm_audit.json\n",
      'requirements.txt': 'requests==2.0.0\n',
    });
    const r = await auditDependencies(
      opts({
        commands: {
          pnpm: fakeAudit('lockfile'),
          'osv-scanner': fakeAudit('print', 'synthetic/osv_scanner.json', '1'),
          'pip-audit': fakeAudit('print', 'synthetic/pip_audit.json', '1'),
        },
      }),
    );
    expect(r.auditors).toEqual(['pnpm', 'osv-scanner', 'pip-audit']);
    expect(r.findings.map((f) => `${f.source}:${f.package}:${f.severity}`)).toEqual([
      'pnpm:lodash:CRITICAL',
      'pnpm:minimist:MEDIUM',
      'osv-scanner:lodash:CRITICAL',
      'osv-scanner:requests:UNKNOWN',
      'pip-audit:requests:UNKNOWN',
    ]);
    const classic = makeRepo();
    const berry = makeRepo();
    try {
      classic.commit({
        'yarn.lock':
          '# yarn lockfile v1\n# fake-audit-fixture: synthetic/yarn_classic_audit.ndjson\n',
      });
      berry.commit({
        'yarn.lock':
          '__metadata:\n  version: 8\n# fake-audit-fixture: synthetic/yarn_berry_audit.ndjson\n',
      });
      const c = await auditDependencies(opts({ worktree: classic.dir }));
      const b = await auditDependencies(opts({ worktree: berry.dir }));
      expect([c.auditors, c.findings.length, b.auditors, b.findings.length]).toEqual([
        ['yarn'],
        1,
        ['yarn-berry'],
        2,
      ]);
    } finally {
      classic.dispose();
      berry.dispose();
    }
  });
});
