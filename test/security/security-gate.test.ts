import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import { secretMasker } from '../../src/config/secret-masker.js';
import {
  parseSecurityStatus,
  runSecurityGate,
  securityReportRelPath,
  type RunSecurityGateOptions,
  type SecurityGateConfig,
} from '../../src/gates/security/index.js';
import {
  FAKE,
  fakeAudit,
  fakeGitleaksBin,
  makeRepo,
  npmLock,
  taskBranch,
  testConfig,
  type TestRepo,
} from './helpers.js';

const WI = 'SEC-1';
const PKG = '{"name":"demo","version":"1.0.0"}\n';

describe('runSecurityGate end to end (real git repos, fake scanners)', () => {
  let repo: TestRepo;
  const gate = (
    config: SecurityGateConfig = testConfig(),
    over: Partial<RunSecurityGateOptions> = {},
  ) =>
    runSecurityGate({
      repo: 'orchestrator',
      worktree: repo.dir,
      workItemId: WI,
      targetRef: 'main',
      config,
      ...over,
    });
  const report = () => readFileSync(join(repo.dir, securityReportRelPath(WI)), 'utf8');

  beforeEach(() => {
    repo = makeRepo();
    repo.commit({ 'package.json': PKG, 'package-lock.json': npmLock(null) });
    taskBranch(repo);
  });
  afterEach(() => repo.dispose());

  it('AC-1: a planted secret fails, is named by rule and file, and is masked everywhere', async () => {
    repo.commit({
      'src/config.ts': `export const key = '${FAKE.awsAccessKeyId}';\nexport const gh = '${FAKE.githubToken}';\n`,
    });
    const r = await gate();
    expect(r.passed).toBe(false);
    expect(r.reason).toBe(
      '2 secret(s): aws-access-key-id in src/config.ts:1, github-token in src/config.ts:2',
    );
    expect(r.reportPath).toBe(join(repo.dir, 'docs/work-items/SEC-1/17-security-report.md'));
    const text = report();
    expect(text.startsWith('---\nsecurity_status: FAIL\nsecrets_found: 2\n')).toBe(true);
    expect(text).toContain('- `src/config.ts:1` — aws-access-key-id (match `AKIA…WR`)');
    for (const out of [text, JSON.stringify(r)]) {
      expect(out).not.toContain(FAKE.awsAccessKeyId);
      expect(out).not.toContain(FAKE.githubToken);
    }
    expect(r.findingsText).toContain('aws-access-key-id in src/config.ts:1');
    expect(r.findingsText).toContain('## Secrets');
    expect(r.findingsText.length).toBeLessThanOrEqual(1500);
    expect(r.evidence).toMatchObject({
      outcome: 'evaluated',
      securityStatus: 'FAIL',
      secretsFound: 2,
      secretScanner: 'builtin',
    });
  });

  it('AC-2/AC-10: a clean branch passes; the report round-trips through its frontmatter', async () => {
    repo.commit({ 'src/app.ts': 'export const ok = true;\n' });
    const r = await gate();
    expect(r).toMatchObject({
      passed: true,
      reason: 'security clean (clean: 0 secrets, 0 blocking CVE(s))',
    });
    const text = report();
    expect(text).toMatch(
      /^---\nsecurity_status: PASS\nsecrets_found: 0\ndeps_blocking: 0\ndeps_warning: 0\ndeps_audit_degraded: false\n---\n/,
    );
    for (const s of [
      '## Verdict',
      '## Secrets',
      '## Dependencies (blocking)',
      '## Dependencies (warning)',
    ]) {
      expect(text).toContain(`\n${s}\n`);
    }
    expect(parseSecurityStatus(text)).toEqual({ passed: true, reason: 'Security status: PASS' });
  });

  it('AC-4: a new HIGH advisory blocks; AC-5: MEDIUM/LOW only warn and are listed', async () => {
    repo.commit({
      'package-lock.json': npmLock('npm_audit_7_plus/one_vuln.json', { debug: '2.6.8' }),
    });
    const high = await gate();
    expect(high.passed).toBe(false);
    expect(high.reason).toBe('1 blocking CVE(s): debug 2.6.8 GHSA-9vvw-cc9w-f27h (HIGH)');
    expect(report()).toContain('deps_blocking: 1\ndeps_warning: 1\n');
    repo.commit({ 'package-lock.json': npmLock('npm_audit_7_plus/many_vulns.json') });
    const low = await gate();
    expect(low).toMatchObject({
      passed: true,
      reason: 'security clean (clean: 0 secrets, 0 blocking CVE(s))',
    });
    expect(report()).toContain('deps_blocking: 0\ndeps_warning: 3\n');
    expect(report()).toContain('- `undici==?` — GHSA-3787-6prv-h9w3 severity=LOW');
  });

  it('AC-6: the threshold is configuration', async () => {
    repo.commit({ 'package-lock.json': npmLock('npm_audit_7_plus/one_vuln.json') });
    expect((await gate(testConfig({ depBlockSeverity: 'CRITICAL' }))).passed).toBe(true);
    const medium = await gate(testConfig({ depBlockSeverity: 'MEDIUM' }));
    expect(medium.reason).toMatch(/^2 blocking CVE\(s\)/);
  });

  it('baseline: an advisory already on the target branch does not trap the task', async () => {
    repo.checkout('main');
    repo.commit({ 'package-lock.json': npmLock('npm_audit_7_plus/one_vuln.json') });
    repo.checkout('feature/SEC-1-x');
    repo.commit({
      'package-lock.json': npmLock('npm_audit_7_plus/one_vuln.json', { debug: '2.6.8' }),
    });
    const r = await gate();
    expect(r.passed).toBe(true);
    expect(report()).toContain('(already on main, not blocking)');
    expect(report()).toContain('## Notes\n- 2 finding(s) also present on main');
    expect((await gate(testConfig({ depBaseline: false }))).passed).toBe(false);
  });

  it('AC-7: an unreachable feed passes with a degraded warning, and fails when fail-closed', async () => {
    const commands = { ...testConfig().auditCommands, npm: fakeAudit('feed-down') };
    const open = await gate(testConfig({ auditCommands: commands }));
    expect(open).toMatchObject({
      passed: true,
      reason:
        'security clean (clean: 0 secrets, 0 blocking CVE(s) (dep-audit degraded — warning only))',
    });
    expect(report()).toContain('deps_audit_degraded: true');
    const closed = await gate(testConfig({ auditCommands: commands, depAuditFailClosed: true }));
    expect(closed.passed).toBe(false);
    expect(closed.reason).toMatch(
      /^dep-audit feed unavailable \(fail-closed\): npm feed unavailable/,
    );
  });

  it('masks Orch’s own secrets in the report it writes into the worktree (issue 13)', async () => {
    // The audit's error names the registry URL; pretend it carries a credential of Orch's.
    const commands = { ...testConfig().auditCommands, npm: fakeAudit('feed-down') };
    const secret = 'registry.npmjs.org';
    const unmasked = await gate(testConfig({ auditCommands: commands }));
    expect(unmasked.passed).toBe(true);
    expect(report()).toContain(secret);
    const r = await gate(testConfig({ auditCommands: commands }), {
      mask: secretMasker([secret]),
    });
    expect(r.passed).toBe(true);
    expect(report()).toContain('[masked]');
    expect(report()).not.toContain(secret);
  });

  it('AC-17: per-scanner timeouts: a hung auditor degrades, a hung gitleaks fails', async () => {
    const commands = { ...testConfig().auditCommands, npm: fakeAudit('sleep', '30000') };
    const dep = await gate(testConfig({ auditCommands: commands, scanTimeoutMs: 700 }));
    expect(dep.passed).toBe(true);
    expect(dep.evidence.depAuditDetail).toBe('npm timeout after 1s');
    const bin = fakeGitleaksBin('sleep:30000');
    try {
      const r = await gate(
        testConfig({ secretScanner: 'auto', searchPath: bin.binDir, scanTimeoutMs: 700 }),
      );
      expect(r.passed).toBe(false);
      expect(r.reason).toBe('secret scan error (fail-closed): gitleaks timeout after 1s');
    } finally {
      bin.dispose();
    }
  });

  it('AC-16: a secret-scanner error fails closed (missing gitleaks when required)', async () => {
    const r = await gate(testConfig({ secretScanner: 'gitleaks' }));
    expect(r).toMatchObject({
      passed: false,
      reason: 'secret scan error (fail-closed): gitleaks binary not found',
    });
  });

  it('with a gitleaks on the PATH its findings drive the verdict', async () => {
    const bin = fakeGitleaksBin('leaks:gitleaks/gitleaks8_many.json');
    try {
      const r = await gate(testConfig({ secretScanner: 'auto', searchPath: bin.binDir }));
      expect(r.passed).toBe(false);
      expect(r.reason).toMatch(/^4 secret\(s\): aws-access-token in \/conf\/aws\.tf:2/);
      expect(report()).not.toContain('dfjksdjfs3294dfjlsdaf213');
      expect(r.evidence.secretScanner).toBe('gitleaks');
    } finally {
      bin.dispose();
    }
  });

  it('secrets that do not block are still reported', async () => {
    repo.commit({ '.env': `DB_PASSWORD=${FAKE.dbPassword}\n` });
    const r = await gate(testConfig({ secretsBlock: false }));
    expect(r).toMatchObject({
      passed: true,
      reason: 'security clean (clean: 1 secrets, 0 blocking CVE(s))',
    });
    expect(report()).toContain('secrets_found: 1');
  });

  it('AC-14/AC-15: out of scope or disabled is an instant pass with no scan and no report', async () => {
    repo.commit({ 'k.txt': `${FAKE.githubToken}\n` });
    const na = await gate(testConfig({ repos: ['enduro-trails'] }));
    expect(na).toMatchObject({
      passed: true,
      reason: 'security-gate N/A for orchestrator',
      reportPath: '',
    });
    expect(na.evidence.outcome).toBe('not-applicable');
    const off = await gate(testConfig({ enabled: false }));
    expect(off).toMatchObject({ passed: true, reason: 'security-gate disabled' });
    expect(existsSync(join(repo.dir, securityReportRelPath(WI)))).toBe(false);
  });

  it('G-10: a stale report is replaced, and an unwritable report fails closed', async () => {
    const path = join(repo.dir, securityReportRelPath(WI));
    mkdirSync(join(path, '..'), { recursive: true });
    writeFileSync(path, '---\nsecurity_status: PASS\n---\nold\n');
    repo.commit({ 'k.txt': `${FAKE.githubToken}\n` });
    expect((await gate()).passed).toBe(false);
    expect(report()).toContain('security_status: FAIL');
    chmodSync(join(path, '..'), 0o500);
    try {
      const r = await gate();
      expect(r.passed).toBe(false);
      // root ignores directory permissions: then the rewrite simply succeeds and the secret fails it.
      expect(r.reason).toMatch(/^(cannot read security report \(fail-closed\)|1 secret\(s\))/);
    } finally {
      chmodSync(join(path, '..'), 0o755);
    }
  });

  it('AC-16: an unexpected error never throws and fails closed', async () => {
    const bad = await gate(testConfig(), { workItemId: '../../etc' });
    expect(bad).toMatchObject({ passed: false, reportPath: '' });
    expect(bad.reason).toMatch(/^security-gate error: invalid work item id/);
    const clock = new ManualClock();
    const missing = await gate(testConfig(), { worktree: join(repo.dir, 'nope'), clock });
    expect(missing).toMatchObject({ passed: false, evidence: { outcome: 'error', durationMs: 0 } });
    expect(missing.reason).toMatch(/^security-gate error: worktree .* is not a directory$/);
    expect(existsSync(join(repo.dir, 'nope'))).toBe(false);
  });
});
