import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { childBaseEnv } from '../../config/child-env.js';
import type { Logger } from '../../log.js';
import {
  DEFAULT_AUDIT_COMMANDS,
  detectAuditors,
  interpretAudit,
  OPTIONAL_AUDITORS,
  type AuditCommands,
  type AuditorName,
} from './auditors.js';
import { applyBaseline } from './baseline.js';
import { git, resolveCommit } from './git.js';
import { findExecutable, runCommand } from './process-runner.js';
import type { DepAuditResult, DepFinding } from './types.js';

export interface DepAuditOptions {
  readonly worktree: string;
  readonly targetRef: string;
  readonly commands: AuditCommands;
  readonly searchPath: string;
  /** Per auditor call. */
  readonly timeoutMs: number;
  /** Subtract findings the target branch also has (by package and advisory id). */
  readonly baseline: boolean;
  readonly log: Logger;
}

/** The audit result plus human notes for the report (baseline outcome). */
export interface DepAuditReport extends DepAuditResult {
  readonly auditors: readonly AuditorName[];
  readonly notes: readonly string[];
}

function commandFor(name: AuditorName, commands: AuditCommands): readonly string[] | null {
  const c = commands[name];
  return c === undefined ? DEFAULT_AUDIT_COMMANDS[name] : c;
}

/** Runs every applicable auditor in `dir`, sequentially, and aggregates (spec §11.3). */
export async function auditDirectory(
  dir: string,
  opts: Pick<DepAuditOptions, 'commands' | 'searchPath' | 'timeoutMs'>,
): Promise<DepAuditResult & { auditors: AuditorName[] }> {
  const detection = await detectAuditors(dir);
  const ran: AuditorName[] = [];
  const findings: DepFinding[] = [];
  const details: string[] = [];
  let degraded = false;
  if (detection.impossible) {
    degraded = true;
    details.push(detection.impossible);
  }
  for (const name of detection.auditors) {
    const argv = commandFor(name, opts.commands);
    if (!argv || argv.length === 0) continue;
    const bin = findExecutable(argv[0] ?? '', opts.searchPath);
    if (!bin && OPTIONAL_AUDITORS.has(name)) continue;
    ran.push(name);
    const o = bin
      ? await runCommand([bin, ...argv.slice(1)], {
          cwd: dir,
          timeoutMs: opts.timeoutMs,
          env: childBaseEnv(),
        })
      : ({ kind: 'not-found' } as const);
    const r = interpretAudit(name, o, { timeoutMs: opts.timeoutMs, npmLock: detection.npmLock });
    degraded ||= r.status === 'degraded';
    findings.push(...r.findings);
    details.push(r.status === 'degraded' ? r.detail : `${name}: ${r.detail}`);
  }
  if (ran.length === 0 && !degraded) {
    return { status: 'ok', findings: [], detail: 'no manifest to audit', auditors: ran };
  }
  return {
    status: degraded ? 'degraded' : 'ok',
    findings,
    detail: details.join('; '),
    auditors: ran,
  };
}

/** Audits the target ref in a throw-away detached worktree outside the task worktree. */
async function auditTarget(opts: DepAuditOptions): Promise<DepAuditResult> {
  const sha = await resolveCommit(opts.worktree, opts.targetRef);
  if (!sha) return { status: 'degraded', findings: [], detail: `cannot resolve ${opts.targetRef}` };
  const scratch = await mkdtemp(join(tmpdir(), 'orch-sec-baseline-'));
  const dir = join(scratch, 'target');
  try {
    const add = await git(opts.worktree, ['worktree', 'add', '--detach', '--quiet', dir, sha]);
    if (!add.ok) return { status: 'degraded', findings: [], detail: add.detail };
    return await auditDirectory(dir, opts);
  } finally {
    await git(opts.worktree, ['worktree', 'remove', '--force', dir]);
    await rm(scratch, { recursive: true, force: true });
    await git(opts.worktree, ['worktree', 'prune']);
  }
}

/**
 * The dependency audit of the task worktree, with the target branch as baseline (issue #7 part 3).
 * Never throws. When the baseline audit itself is unavailable nothing is subtracted: every finding
 * counts as new, which can only over-block, never hide a new advisory.
 */
export async function auditDependencies(opts: DepAuditOptions): Promise<DepAuditReport> {
  try {
    const head = await auditDirectory(opts.worktree, opts);
    if (!opts.baseline || head.findings.length === 0) return { ...head, notes: [] };
    const target = await auditTarget(opts);
    if (target.status === 'degraded') {
      const note = `baseline audit of ${opts.targetRef} unavailable (${target.detail}): every finding counts as new`;
      opts.log.warn({ worktree: opts.worktree }, `security-gate: ${note}`);
      return { ...head, notes: [note] };
    }
    const { findings, baselined } = applyBaseline(head.findings, target.findings);
    const note = `${baselined} finding(s) also present on ${opts.targetRef}: reported as warnings (baseline)`;
    return { ...head, findings, notes: baselined > 0 ? [note] : [] };
  } catch (err) {
    const detail = `dep-audit error: ${err instanceof Error ? err.message : String(err)}`;
    return { status: 'degraded', findings: [], detail, auditors: [], notes: [] };
  }
}
