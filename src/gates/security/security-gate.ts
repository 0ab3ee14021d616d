import type { SecretMasker } from '../../config/secret-masker.js';
import { mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { systemClock, type Clock } from '../../clock.js';
import { OrchError } from '../../errors.js';
import { silentLogger, type Logger } from '../../log.js';
import { securityGateApplies, type SecurityGateConfig } from './config.js';
import { auditDependencies, type DepAuditReport } from './dep-audit.js';
import {
  extractSecurityFindings,
  parseSecurityStatus,
  renderSecurityReport,
  securityReportRelPath,
} from './report.js';
import { scanSecrets } from './secret-scan.js';
import type { SecretScanResult } from './types.js';
import { computeVerdict, type VerdictFields } from './verdict.js';

export interface RunSecurityGateOptions {
  /** Repo name, matched against the configured scope. */
  readonly repo: string;
  /** The task's git worktree, checked out at the task branch HEAD. */
  readonly worktree: string;
  readonly workItemId: string;
  /** What the branch will merge into, e.g. `main` or `origin/main`; the scan covers `targetRef..HEAD`. */
  readonly targetRef: string;
  readonly config: SecurityGateConfig;
  readonly clock?: Clock;
  readonly log?: Logger;
  /**
   * Orch's own secrets (config/secret-masker.ts), masked in the report before it is written: it
   * lands in the worktree, where the next agent and the merge can carry it into the repository.
   */
  readonly mask?: SecretMasker;
}

/** Structured detail for the gate-result record and the dashboard; never holds a raw secret. */
export interface SecurityGateEvidence {
  readonly outcome: 'disabled' | 'not-applicable' | 'evaluated' | 'error';
  readonly securityStatus: 'PASS' | 'FAIL' | null;
  readonly secretScanner: SecretScanResult['scanner'] | null;
  readonly secretScanStatus: SecretScanResult['status'] | null;
  readonly secretScanDetail: string;
  readonly secretsFound: number;
  readonly depsBlocking: number;
  readonly depsWarning: number;
  readonly depsAuditDegraded: boolean;
  readonly depAuditDetail: string;
  readonly auditors: readonly string[];
  readonly notes: readonly string[];
  readonly durationMs: number;
}

export interface SecurityGateResult {
  readonly passed: boolean;
  /** Spec §12: FAIL reasons joined by "; ", or `security clean (clean: …)`, or N/A / disabled. */
  readonly reason: string;
  /** Absolute path of `17-security-report.md`; '' when the gate did not evaluate. */
  readonly reportPath: string;
  /** Verdict, Secrets and blocking-dependency sections of the report, masked, ≤ 1500 chars. */
  readonly findingsText: string;
  readonly evidence: SecurityGateEvidence;
}

const EMPTY_EVIDENCE = {
  securityStatus: null,
  secretScanner: null,
  secretScanStatus: null,
  secretScanDetail: '',
  secretsFound: 0,
  depsBlocking: 0,
  depsWarning: 0,
  depsAuditDegraded: false,
  depAuditDetail: '',
  auditors: [],
  notes: [],
} as const;

const WORK_ITEM_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

/**
 * The security gate for one task branch (issue #7 parts 1–4, spec §5): secret scan of
 * `targetRef..HEAD`, dependency audit against the target baseline, verdict, report written to
 * `docs/work-items/<ID>/17-security-report.md` in the worktree and the verdict read back from its
 * frontmatter. Disabled or out of scope: an instant pass with no scan and no report. Never throws:
 * any unexpected error is a FAIL (`security-gate error: …`). Only reads, scans and writes its report.
 */
export async function runSecurityGate(opts: RunSecurityGateOptions): Promise<SecurityGateResult> {
  const clock = opts.clock ?? systemClock;
  const log = opts.log ?? silentLogger;
  const startedMs = clock.now();
  const skip = (outcome: 'disabled' | 'not-applicable', reason: string): SecurityGateResult => ({
    passed: true,
    reason,
    reportPath: '',
    findingsText: '',
    evidence: { outcome, ...EMPTY_EVIDENCE, durationMs: clock.now() - startedMs },
  });
  try {
    if (!opts.config.enabled) return skip('disabled', 'security-gate disabled');
    if (!securityGateApplies(opts.repo, opts.config)) {
      return skip('not-applicable', `security-gate N/A for ${opts.repo}`);
    }
    return await evaluate(opts, log, () => clock.now() - startedMs);
  } catch (err) {
    const msg = err instanceof Error ? err.message : String(err);
    log.error({ err, workItemId: opts.workItemId }, 'security-gate error (fail-closed)');
    return {
      passed: false,
      reason: `security-gate error: ${msg}`,
      reportPath: '',
      findingsText: '',
      evidence: { outcome: 'error', ...EMPTY_EVIDENCE, durationMs: clock.now() - startedMs },
    };
  }
}

async function checkInputs(opts: RunSecurityGateOptions): Promise<void> {
  if (!WORK_ITEM_ID.test(opts.workItemId)) {
    const id = JSON.stringify(opts.workItemId);
    throw new OrchError('INVALID_WORK_ITEM_ID', `invalid work item id ${id}`);
  }
  const isDir = await stat(opts.worktree).then(
    (s) => s.isDirectory(),
    () => false,
  );
  if (!isDir) {
    throw new OrchError('WORKTREE_MISSING', `worktree ${opts.worktree} is not a directory`);
  }
}

/** Both scans, sequentially (secrets first), and the verdict over their results. */
async function scanAndDecide(opts: RunSecurityGateOptions, log: Logger) {
  const { config } = opts;
  const base = {
    worktree: opts.worktree,
    targetRef: opts.targetRef,
    searchPath: config.searchPath,
  };
  const timeoutMs = config.scanTimeoutMs;
  const secret = await scanSecrets({ ...base, scanner: config.secretScanner, timeoutMs, log });
  // Always runs, even after a secret was found, so the report is complete (spec §5 step 4).
  const dep = await auditDependencies({
    ...base,
    commands: config.auditCommands,
    timeoutMs,
    baseline: config.depBaseline,
    log,
  });
  const fields = computeVerdict(secret, dep, {
    secretsBlock: config.secretsBlock,
    depBlockSeverity: config.depBlockSeverity,
    depFailClosed: config.depAuditFailClosed,
  });
  if (fields.depsAuditDegraded) {
    const mode = config.depAuditFailClosed ? 'closed' : 'open';
    const msg = `security-gate: dep-audit DEGRADED (fail-${mode}): ${dep.detail}`;
    log.warn({ workItemId: opts.workItemId }, msg);
  }
  return { secret, dep, fields };
}

async function evaluate(
  opts: RunSecurityGateOptions,
  log: Logger,
  elapsedMs: () => number,
): Promise<SecurityGateResult> {
  await checkInputs(opts);
  const { secret, dep, fields } = await scanAndDecide(opts, log);
  const notes = reportNotes(dep, opts.config);
  const reportPath = join(opts.worktree, securityReportRelPath(opts.workItemId));
  const content = renderSecurityReport(fields, {
    workItemId: opts.workItemId,
    targetRef: opts.targetRef,
    scanner: secret.scanner,
    notes,
  });
  await writeReport(reportPath, opts.mask ? opts.mask(content) : content, log);
  const verdict = await readBack(reportPath, fields);
  const evidence: SecurityGateEvidence = {
    outcome: 'evaluated',
    securityStatus: fields.securityStatus,
    secretScanner: secret.scanner,
    secretScanStatus: secret.status,
    secretScanDetail: secret.detail,
    secretsFound: fields.secretsFound,
    depsBlocking: fields.depsBlocking,
    depsWarning: fields.depsWarning,
    depsAuditDegraded: fields.depsAuditDegraded,
    depAuditDetail: dep.detail,
    auditors: dep.auditors,
    notes,
    durationMs: elapsedMs(),
  };
  if (verdict.passed) {
    log.info({ workItemId: opts.workItemId }, `security-gate passed: ${verdict.reason}`);
  }
  return { ...verdict, reportPath, evidence };
}

function reportNotes(dep: DepAuditReport, config: SecurityGateConfig): string[] {
  const notes = [...dep.notes];
  if (dep.status === 'degraded') {
    const mode = config.depAuditFailClosed ? 'fail-closed → FAIL' : 'fail-open → warning only';
    notes.push(`dependency audit degraded (${mode}): ${dep.detail}`);
  }
  return notes;
}

/** Deletes any previous report first, so a failed write can never leave a stale verdict (G-10). */
async function writeReport(path: string, content: string, log: Logger): Promise<void> {
  try {
    await rm(path, { force: true });
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, content, 'utf8');
  } catch (err) {
    // The read-back below turns a failed write into a FAIL.
    log.error({ err }, 'security-gate: cannot write the security report');
  }
}

/**
 * The verdict is what the report's frontmatter says (single source of truth, spec §5 steps 7–11),
 * and it must agree with the computed one; any disagreement is a FAIL (G-10).
 */
async function readBack(
  path: string,
  fields: VerdictFields,
): Promise<{ passed: boolean; reason: string; findingsText: string }> {
  let content: string;
  try {
    content = await readFile(path, 'utf8');
  } catch (err) {
    const msg = err instanceof Error ? err.message : String(err);
    return {
      passed: false,
      reason: `cannot read security report (fail-closed): ${msg}`,
      findingsText: '',
    };
  }
  const parsed = parseSecurityStatus(content);
  const findingsText = extractSecurityFindings(content);
  if (parsed.passed !== (fields.securityStatus === 'PASS')) {
    const reason = `security report read-back mismatch (fail-closed): computed ${fields.securityStatus}, ${parsed.reason}`;
    return { passed: false, reason, findingsText };
  }
  if (parsed.passed)
    return { passed: true, reason: `security clean (${fields.reason})`, findingsText };
  return { passed: false, reason: fields.reason, findingsText };
}
