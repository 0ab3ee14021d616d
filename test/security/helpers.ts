import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import {
  DEFAULT_SECURITY_GATE_CONFIG,
  type SecurityGateConfig,
} from '../../src/gates/security/index.js';

export const FIXTURES = resolve(import.meta.dirname, '../fixtures/scanners');
export const FAKE_AUDIT = join(FIXTURES, 'fake-audit.mjs');
export const FAKE_GITLEAKS = join(FIXTURES, 'fake-gitleaks.mjs');

/**
 * Fake credentials, assembled at run time so that no complete secret appears in this source file
 * (Orch scans its own branches with these rules). None of them is, or ever was, a real credential.
 */
export const FAKE = {
  awsAccessKeyId: ['AKIA', 'Q3ZT7K2MNB5V4XWR'].join(''),
  awsSecretKey: ['wJalrXUtnFEMI', 'K7MDENGbPxRfiCY', 'q9T4mZ8kLp'].join('/'),
  githubToken: ['ghp', 'R8mQ2xV7kL9pZ4wN6tY3bC1dF5gH0jK2sA7e'].join('_'),
  slackToken: ['xoxb', '2048613257', 'T7kP9qL2mN4vX8zR'].join('-'),
  privateKey: [
    ['-----BEGIN', 'RSA PRIVATE KEY-----'].join(' '),
    'MIIEpAIBAAKCAQEA3Tz2mr7SZiAMfQyuvBjM2TmpQ0E0nC0FfK1hZgZ8uWJb4Q9s',
    'k2x8Ck4nYkGx2m3X1v0P9w8a7T6y5U4r3E2w1Q0z9L8k7J6h5G4f3D2s1A0p9O8',
    ['-----END', 'RSA PRIVATE KEY-----'].join(' '),
  ].join('\n'),
  dbPassword: ['Xk9#mQ2v', 'L8pZr4Tw'].join(''),
} as const;

export function git(dir: string, ...args: string[]): string {
  return execFileSync('git', ['-C', dir, ...args], { encoding: 'utf8' });
}

export interface TestRepo {
  readonly dir: string;
  /** Writes files (path → content) and commits them on the current branch. */
  commit(files: Record<string, string>, message?: string): string;
  remove(paths: string[], message?: string): void;
  checkout(branch: string, create?: boolean): void;
  dispose(): void;
}

/** A real git repo in a temp dir with one commit on `main`. */
export function makeRepo(): TestRepo {
  const root = mkdtempSync(join(tmpdir(), 'orch-sec-test-'));
  const dir = join(root, 'repo');
  mkdirSync(dir);
  git(dir, 'init', '--quiet', '-b', 'main');
  git(dir, 'config', 'user.email', 'test@orch.invalid');
  git(dir, 'config', 'user.name', 'Orch Test');
  git(dir, 'config', 'commit.gpgsign', 'false');
  const repo: TestRepo = {
    dir,
    commit(files, message = 'change') {
      for (const [path, content] of Object.entries(files)) {
        mkdirSync(dirname(join(dir, path)), { recursive: true });
        writeFileSync(join(dir, path), content);
      }
      git(dir, 'add', '-A');
      git(dir, 'commit', '--quiet', '-m', message);
      return git(dir, 'rev-parse', 'HEAD').trim();
    },
    remove(paths, message = 'remove') {
      git(dir, 'rm', '--quiet', ...paths);
      git(dir, 'commit', '--quiet', '-m', message);
    },
    checkout(branch, create = false) {
      git(dir, 'checkout', '--quiet', ...(create ? ['-b', branch] : [branch]));
    },
    dispose() {
      rmSync(root, { recursive: true, force: true });
    },
  };
  repo.commit({ 'README.md': '# demo\n' }, 'initial');
  return repo;
}

/** A task branch `feature/SEC-1-x` cut from main. */
export function taskBranch(repo: TestRepo): void {
  repo.checkout('feature/SEC-1-x', true);
}

/**
 * A directory holding an executable `gitleaks` that runs the fake in `mode`, logging its argv.
 * Returns the directory (for searchPath) and the argv log path.
 */
export function fakeGitleaksBin(mode: string): {
  binDir: string;
  argvLog: string;
  dispose(): void;
} {
  const binDir = mkdtempSync(join(tmpdir(), 'orch-fake-bin-'));
  const argvLog = join(binDir, 'argv.log');
  const script = `#!/bin/sh\nexec "${process.execPath}" "${FAKE_GITLEAKS}" "${mode}" "${argvLog}" "$@"\n`;
  writeFileSync(join(binDir, 'gitleaks'), script);
  chmodSync(join(binDir, 'gitleaks'), 0o755);
  return { binDir, argvLog, dispose: () => rmSync(binDir, { recursive: true, force: true }) };
}

/** argv for the fake audit command. */
export const fakeAudit = (...args: string[]): string[] => [process.execPath, FAKE_AUDIT, ...args];

/** Gate config for tests: built-in scanner, no real audit tools, short timeouts. */
export function testConfig(overrides: Partial<SecurityGateConfig> = {}): SecurityGateConfig {
  return {
    ...DEFAULT_SECURITY_GATE_CONFIG,
    secretScanner: 'builtin',
    scanTimeoutMs: 20_000,
    searchPath: '',
    auditCommands: {
      npm: fakeAudit('lockfile'),
      pnpm: fakeAudit('lockfile', '{"advisories":{}}'),
      yarn: fakeAudit('lockfile', ''),
      'yarn-berry': fakeAudit('lockfile', ''),
      'osv-scanner': null,
      'pip-audit': null,
    },
    ...overrides,
  };
}

/** A package-lock.json whose fake audit prints `fixture` (path under test/fixtures/scanners). */
export function npmLock(fixture: string | null, packages: Record<string, string> = {}): string {
  const entries = Object.fromEntries(
    Object.entries(packages).map(([name, version]) => [`node_modules/${name}`, { version }]),
  );
  return `${JSON.stringify(
    {
      name: 'demo',
      lockfileVersion: 3,
      ...(fixture ? { _fake: `fake-audit-fixture: ${fixture}` } : {}),
      packages: { '': { name: 'demo' }, ...entries },
    },
    null,
    2,
  )}\n`;
}
