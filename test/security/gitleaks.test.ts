import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/log.js';
import { scanSecrets, type SecretScanOptions } from '../../src/gates/security/secret-scan.js';
import { fakeGitleaksBin, FAKE, git, makeRepo, taskBranch, type TestRepo } from './helpers.js';

const scratchDirs = () => readdirSync(tmpdir()).filter((d) => d.startsWith('orch-gitleaks-'));

describe('gitleaks code path (a fake gitleaks on a PATH the test controls)', () => {
  let repo: TestRepo;
  const disposers: (() => void)[] = [];
  const withGitleaks = (mode: string, over: Partial<SecretScanOptions> = {}) => {
    const bin = fakeGitleaksBin(mode);
    disposers.push(() => bin.dispose());
    const opts: SecretScanOptions = {
      worktree: repo.dir,
      targetRef: 'main',
      scanner: 'auto',
      searchPath: `/nonexistent:${bin.binDir}`,
      timeoutMs: 20_000,
      log: silentLogger,
      ...over,
    };
    return {
      opts,
      argv: () =>
        readFileSync(bin.argvLog, 'utf8')
          .trim()
          .split('\n')
          .map((l) => JSON.parse(l) as string[]),
    };
  };

  beforeEach(() => {
    repo = makeRepo();
    taskBranch(repo);
    repo.commit({ 'src/x.ts': 'export {};\n' });
  });
  afterEach(() => {
    repo.dispose();
    for (const d of disposers.splice(0)) d();
  });

  it('runs gitleaks detect with the spec arguments over the target..HEAD range', async () => {
    const { opts, argv } = withGitleaks('clean');
    expect(await scanSecrets(opts)).toEqual({
      status: 'clean',
      findings: [],
      detail: 'no secrets found',
      scanner: 'gitleaks',
    });
    const base = git(repo.dir, 'rev-parse', 'main').trim();
    const [args] = argv();
    expect(args?.slice(0, 5)).toEqual([
      'detect',
      '--source',
      repo.dir,
      '--log-opts',
      `${base}..HEAD`,
    ]);
    expect(args?.slice(5, 8)).toEqual(['--report-format', 'json', '--report-path']);
    expect(args?.slice(9)).toEqual(['--exit-code', '1', '--no-banner']);
    // G-8: the raw report is written outside the worktree.
    expect(args?.[8]?.startsWith(repo.dir)).toBe(false);
  });

  it('passes the target branch .gitleaks.toml as --config', async () => {
    git(repo.dir, 'checkout', '--quiet', 'main');
    repo.commit({ '.gitleaks.toml': "[allowlist]\npaths = ['''x''']\n" });
    repo.checkout('feature/SEC-1-x');
    git(repo.dir, 'rebase', '--quiet', 'main');
    const { opts, argv } = withGitleaks('clean');
    await scanSecrets(opts);
    const args = argv()[0] ?? [];
    expect(args.at(-2)).toBe('--config');
    expect(args.at(-1)?.endsWith('.gitleaks.toml')).toBe(true);
  });

  it('rc 1 with a report: found, masked, and the scratch report is deleted', async () => {
    const before = scratchDirs();
    const { opts } = withGitleaks('leaks:gitleaks/gitleaks8_many.json');
    const r = await scanSecrets(opts);
    expect(r).toMatchObject({ status: 'found', detail: '4 secret(s) found', scanner: 'gitleaks' });
    expect(r.findings[3]).toEqual({
      file: 'tests/api.py',
      rule: 'generic-api-key',
      line: 21,
      match: 'dfjk…13',
    });
    expect(JSON.stringify(r)).not.toContain('secretAWSsecret');
    expect(scratchDirs()).toEqual(before);
  });

  it('G-4: rc 1 without a report is a tool error (fail-closed), not a synthetic finding', async () => {
    const { opts } = withGitleaks('fatal');
    const r = await scanSecrets(opts);
    expect(r.status).toBe('error');
    expect(r.detail).toMatch(/^gitleaks rc=1 without a report: .*FTL failed to scan/);
  });

  it('rc ≥ 2 is a tool error with the output tail', async () => {
    const { opts } = withGitleaks('crash');
    expect(await scanSecrets(opts)).toMatchObject({
      status: 'error',
      detail: 'gitleaks rc=2: panic: runtime error',
    });
  });

  it('TC-12: a scan longer than the timeout is killed and is an error', async () => {
    const { opts } = withGitleaks('sleep:30000', { timeoutMs: 500 });
    const started = Date.now();
    const r = await scanSecrets(opts);
    expect(r).toMatchObject({ status: 'error', scanner: 'gitleaks' });
    expect(r.detail.toLowerCase()).toContain('timeout');
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('the built-in scanner is used when gitleaks is not on the PATH, or when chosen', async () => {
    repo.commit({ 'k.txt': `${FAKE.githubToken}\n` });
    const { opts, argv } = withGitleaks('clean', { scanner: 'builtin' });
    expect(await scanSecrets(opts)).toMatchObject({ status: 'found', scanner: 'builtin' });
    expect(
      await scanSecrets({ ...opts, scanner: 'auto', searchPath: '/nonexistent' }),
    ).toMatchObject({
      status: 'found',
      scanner: 'builtin',
    });
    expect(() => argv()).toThrow();
    expect(existsSync(repo.dir)).toBe(true);
  });
});
