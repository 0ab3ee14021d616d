import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { childBaseEnv } from '../../config/child-env.js';
import type { Logger } from '../../log.js';
import { EMPTY_ALLOWLIST, parseGitleaksAllowlist } from './allowlist.js';
import { describeOutcome, fetchTarget, git, resolveCommit, showFileAt } from './git.js';
import { COMMIT_MARKER, parseAddedBlocks } from './patch-parser.js';
import { findExecutable, outputTail, runCommand } from './process-runner.js';
import { parseGitleaksReport, scanAddedBlocks } from './secret-findings.js';
import type { SecretScanResult } from './types.js';

export const SECRET_SCANNERS = ['auto', 'gitleaks', 'builtin'] as const;
export type SecretScannerChoice = (typeof SECRET_SCANNERS)[number];

export interface SecretScanOptions {
  readonly worktree: string;
  readonly targetRef: string;
  readonly scanner: SecretScannerChoice;
  /** PATH used to find gitleaks. */
  readonly searchPath: string;
  readonly timeoutMs: number;
  readonly log: Logger;
}

/** The allowlist file, read at the target ref so a branch cannot bless its own leak (G-2). */
export const ALLOWLIST_FILE = '.gitleaks.toml';

type Scanner = SecretScanResult['scanner'];
const error = (scanner: Scanner, detail: string): SecretScanResult => ({
  status: 'error',
  findings: [],
  detail,
  scanner,
});

/**
 * Scans what `targetRef..HEAD` adds for secrets: every commit's patch, not the working tree, so
 * uncommitted files are never scanned (spec §6.3). gitleaks when it is on the PATH (or required),
 * otherwise the built-in rules. Never throws; anything that prevents a scan is `error` (fail-closed).
 */
export async function scanSecrets(opts: SecretScanOptions): Promise<SecretScanResult> {
  const gitleaks = opts.scanner === 'builtin' ? null : findExecutable('gitleaks', opts.searchPath);
  const scanner: Scanner = gitleaks ? 'gitleaks' : 'builtin';
  if (opts.scanner === 'gitleaks' && !gitleaks)
    return error('gitleaks', 'gitleaks binary not found');
  try {
    const fetchWarning = await fetchTarget(opts.worktree, opts.targetRef);
    if (fetchWarning) opts.log.warn({ worktree: opts.worktree }, `security-gate: ${fetchWarning}`);
    const base = await resolveCommit(opts.worktree, opts.targetRef);
    if (!base) return error(scanner, `cannot resolve target ref ${opts.targetRef}`);
    if (!(await resolveCommit(opts.worktree, 'HEAD'))) return error(scanner, 'cannot resolve HEAD');
    const toml = await showFileAt(opts.worktree, base, ALLOWLIST_FILE);
    if (gitleaks) return await runGitleaks({ bin: gitleaks, base, toml }, opts);
    return await runBuiltin(base, toml, opts);
  } catch (err) {
    return error(scanner, `secret scan error: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/** The spec's argv (§6.2); the range starts at the resolved target commit. */
export function gitleaksArgv(
  bin: string,
  p: { worktree: string; base: string; reportPath: string; configPath: string | null },
): string[] {
  const argv = [bin, 'detect', '--source', p.worktree, '--log-opts', `${p.base}..HEAD`];
  argv.push('--report-format', 'json', '--report-path', p.reportPath, '--exit-code', '1');
  argv.push('--no-banner');
  if (p.configPath) argv.push('--config', p.configPath);
  return argv;
}

async function runGitleaks(
  { bin, base, toml }: { bin: string; base: string; toml: string | null },
  opts: SecretScanOptions,
): Promise<SecretScanResult> {
  // Scratch files live outside the worktree: the raw report holds unmasked secrets (G-8).
  const scratch = await mkdtemp(join(tmpdir(), 'orch-gitleaks-'));
  try {
    const configPath = toml === null ? null : join(scratch, ALLOWLIST_FILE);
    if (configPath && toml !== null) await writeFile(configPath, toml, { mode: 0o600 });
    const reportPath = join(scratch, 'report.json');
    const argv = gitleaksArgv(bin, { worktree: opts.worktree, base, reportPath, configPath });
    const o = await runCommand(argv, {
      cwd: opts.worktree,
      timeoutMs: opts.timeoutMs,
      env: childBaseEnv(),
    });
    const report = await readFile(reportPath, 'utf8').catch(() => '');
    if (o.kind !== 'exit') return error('gitleaks', describeOutcome('gitleaks', o, opts.timeoutMs));
    if (o.rc === 0)
      return { status: 'clean', findings: [], detail: 'no secrets found', scanner: 'gitleaks' };
    if (o.rc !== 1) return error('gitleaks', `gitleaks rc=${o.rc}: ${outputTail(o)}`);
    const findings = parseGitleaksReport(report);
    const all = findings.length > 0 ? findings : parseGitleaksReport(o.stdout);
    // rc 1 is also gitleaks' fatal-error exit (G-4): with no parseable findings it is a tool error.
    if (all.length === 0)
      return error('gitleaks', `gitleaks rc=1 without a report: ${outputTail(o)}`);
    return {
      status: 'found',
      findings: all,
      detail: `${all.length} secret(s) found`,
      scanner: 'gitleaks',
    };
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

async function runBuiltin(
  base: string,
  toml: string | null,
  opts: SecretScanOptions,
): Promise<SecretScanResult> {
  const parsed =
    toml === null
      ? { kind: 'ok' as const, allowlist: EMPTY_ALLOWLIST }
      : parseGitleaksAllowlist(toml);
  if (parsed.kind === 'invalid') return error('builtin', parsed.detail);
  const args = ['-c', 'core.quotePath=false', 'log', '-p', '-U0', '--no-color', '--no-ext-diff'];
  args.push(
    '--no-textconv',
    `--format=${COMMIT_MARKER.replace('\u0000', '%x00')}%H`,
    `${base}..HEAD`,
  );
  const r = await git(opts.worktree, args, opts.timeoutMs);
  if (!r.ok) return error('builtin', `built-in scan: ${r.detail}`);
  const findings = scanAddedBlocks(parseAddedBlocks(r.stdout), parsed.allowlist);
  if (findings.length === 0) {
    return { status: 'clean', findings: [], detail: 'no secrets found', scanner: 'builtin' };
  }
  return {
    status: 'found',
    findings,
    detail: `${findings.length} secret(s) found`,
    scanner: 'builtin',
  };
}
