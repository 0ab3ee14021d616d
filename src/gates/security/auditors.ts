import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isObject, tryJson, type AuditParse } from './audit-parse.js';
import { parseNpmAudit } from './audit-parse-npm.js';
import { parseOsvScannerReport, parsePipAuditReport } from './audit-parse-osv.js';
import { parseYarnBerryAudit, parseYarnClassicAudit } from './audit-parse-yarn.js';
import { outputTail, type RunOutcome } from './process-runner.js';
import { assertNever } from '../../errors.js';
import { describeOutcome } from './git.js';
import type { DepAuditResult } from './types.js';

export const AUDITOR_NAMES = [
  'npm',
  'pnpm',
  'yarn',
  'yarn-berry',
  'osv-scanner',
  'pip-audit',
] as const;
export type AuditorName = (typeof AUDITOR_NAMES)[number];

/**
 * Default argv per auditor, run in the directory being audited. Configurable so operators can pin
 * flags (osv-scanner v1 vs v2) and tests can substitute a fake command; `null` disables one.
 */
export const DEFAULT_AUDIT_COMMANDS: Readonly<Record<AuditorName, readonly string[]>> = {
  npm: ['npm', 'audit', '--json', '--package-lock-only'],
  pnpm: ['pnpm', 'audit', '--json'],
  yarn: ['yarn', 'audit', '--json'],
  'yarn-berry': ['yarn', 'npm', 'audit', '--all', '--recursive', '--json'],
  'osv-scanner': ['osv-scanner', '--format', 'json', '--recursive', '.'],
  'pip-audit': ['pip-audit', '-r', 'requirements.txt', '-f', 'json', '--progress-spinner', 'off'],
};

export type AuditCommands = Readonly<Partial<Record<AuditorName, readonly string[] | null>>>;

/** Lockfile-driven auditors must run when their lockfile is there; the others only when installed. */
export const OPTIONAL_AUDITORS: ReadonlySet<AuditorName> = new Set(['osv-scanner', 'pip-audit']);

const read = (dir: string, file: string) => readFile(join(dir, file), 'utf8').catch(() => null);

export interface Detection {
  readonly auditors: AuditorName[];
  /** A manifest whose audit is impossible (package.json without a lockfile). */
  readonly impossible: string | null;
  /** package-lock.json text, for installed versions in npm audit output. */
  readonly npmLock: string | undefined;
}

/** Which auditors apply to a directory, judged by its root lockfiles and manifests. */
export async function detectAuditors(dir: string): Promise<Detection> {
  const [npmLock, shrinkwrap, pnpmLock, yarnLock, pkg, req] = await Promise.all(
    [
      'package-lock.json',
      'npm-shrinkwrap.json',
      'pnpm-lock.yaml',
      'yarn.lock',
      'package.json',
      'requirements.txt',
    ].map((f) => read(dir, f)),
  );
  const auditors: AuditorName[] = [];
  if (npmLock !== null || shrinkwrap !== null) auditors.push('npm');
  if (pnpmLock !== null) auditors.push('pnpm');
  if (yarnLock !== null)
    auditors.push(/^__metadata:/m.test(yarnLock ?? '') ? 'yarn-berry' : 'yarn');
  const impossible =
    pkg !== null && auditors.length === 0
      ? 'package.json has no lockfile (package-lock.json, pnpm-lock.yaml or yarn.lock): npm audit impossible'
      : null;
  auditors.push('osv-scanner');
  if (req !== null) auditors.push('pip-audit');
  return { auditors, impossible, npmLock: npmLock ?? shrinkwrap ?? undefined };
}

function parseFor(name: AuditorName, out: string, npmLock: string | undefined): AuditParse {
  switch (name) {
    case 'npm':
    case 'pnpm':
      return parseNpmAudit(out, name, npmLock);
    case 'yarn':
      return parseYarnClassicAudit(out);
    case 'yarn-berry':
      return parseYarnBerryAudit(out);
    case 'osv-scanner':
      return parseOsvScannerReport(out);
    case 'pip-audit':
      return isObject(tryJson(out)) || Array.isArray(tryJson(out))
        ? { kind: 'ok', findings: parsePipAuditReport(out) }
        : { kind: 'degraded', detail: 'pip-audit output is not JSON' };
    default:
      return assertNever(name, 'auditor');
  }
}

/**
 * Maps one auditor run to a result (spec §7.2, §11.3). Output is parsed first whatever the exit
 * code (audit tools exit non-zero when they find something); empty output with rc ≠ 0, output
 * that is not the tool's JSON, a timeout or a missing binary are `degraded`.
 */
export function interpretAudit(
  name: AuditorName,
  o: RunOutcome,
  ctx: { timeoutMs: number; npmLock: string | undefined },
): DepAuditResult {
  const degraded = (detail: string): DepAuditResult => ({
    status: 'degraded',
    findings: [],
    detail,
  });
  if (o.kind !== 'exit') return degraded(describeOutcome(name, o, ctx.timeoutMs));
  if (name === 'osv-scanner' && o.rc === 128)
    return { status: 'ok', findings: [], detail: 'no packages found' };
  if (name === 'osv-scanner' && o.rc > 1)
    return degraded(`osv-scanner rc=${o.rc}: ${outputTail(o)}`);
  const out = o.stdout.trim();
  if (out === '') {
    if (o.rc === 0) return { status: 'ok', findings: [], detail: 'no vulnerabilities' };
    return degraded(`${name} no output (rc=${o.rc}): ${o.stderr.trim().slice(-200)}`);
  }
  const parsed = parseFor(name, out, ctx.npmLock);
  if (parsed.kind === 'degraded') {
    return degraded(`${name} feed unavailable: ${parsed.detail}; ${o.stderr.trim().slice(-200)}`);
  }
  return { status: 'ok', findings: parsed.findings, detail: `${parsed.findings.length} vuln(s)` };
}
