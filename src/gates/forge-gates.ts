import { access, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { childBaseEnv } from '../config/child-env.js';
import { checkReviewerVerdict } from './artifact-gates.js';
import { decideCoverage, parseCoverage } from './coverage/coverage-report.js';
import { workItemDir, type CoverageCheck, type GateContext, type GateResult } from './gate.js';
import { runCommand } from './run-command.js';

/** Runs the project's test command in the worktree; the output tail is the evidence. */
export async function checkTestsLocal(ctx: GateContext): Promise<GateResult> {
  const gate = 'check_tests_local';
  const res = await runCommand(ctx.testCommand, {
    cwd: ctx.worktree,
    timeoutMs: ctx.testTimeoutMs,
    env: childBaseEnv(),
  });
  const cmd = ctx.testCommand.join(' ');
  if (res.error) return { gate, passed: false, reason: `could not run "${cmd}": ${res.error}` };
  if (res.timedOut) {
    return {
      gate,
      passed: false,
      reason: `"${cmd}" timed out after ${ctx.testTimeoutMs} ms`,
      evidence: res.tail,
    };
  }
  if (res.exitCode !== 0) {
    return {
      gate,
      passed: false,
      reason: `"${cmd}" failed with exit code ${res.exitCode}`,
      evidence: res.tail,
    };
  }
  if (ctx.coverage) return coverageResult(ctx, ctx.coverage, cmd, res.tail);
  return { gate, passed: true, reason: `"${cmd}" passed`, evidence: res.tail };
}

/** Green tests, then the coverage their report shows against the policy (ratchet or floor). */
async function coverageResult(
  ctx: GateContext,
  c: CoverageCheck,
  cmd: string,
  tail: string,
): Promise<GateResult> {
  const gate = 'check_tests_local';
  let text: string;
  try {
    text = await readFile(join(ctx.worktree, c.report), 'utf8');
  } catch {
    return {
      gate,
      passed: false,
      reason: `"${cmd}" passed but wrote no coverage report at ${c.report}`,
      evidence: tail,
    };
  }
  const pct = parseCoverage(text, c.format, c.report);
  if (pct === null)
    return {
      gate,
      passed: false,
      reason: `${c.report} is not a ${c.format === 'auto' ? 'known' : c.format} coverage report`,
      evidence: text.slice(0, 2000),
    };
  await c.record(pct);
  const d = decideCoverage(pct, c.baseline, c);
  return {
    gate,
    passed: d.passed,
    reason: `"${cmd}" passed; ${d.reason}`,
    evidence: tail,
    ...(!d.passed && { summary: `Coverage too low (${d.reason})` }),
  };
}

/** The forge's combined commit status for the task branch is success. */
export async function checkCiGreen(ctx: GateContext): Promise<GateResult> {
  const gate = 'check_ci_green';
  try {
    const status = await ctx.forge.combinedStatus(ctx.repo, ctx.branch);
    return { gate, passed: status === 'success', reason: `combined status: ${status}` };
  } catch (err) {
    return {
      gate,
      passed: false,
      reason: `combined status unavailable: ${(err as Error).message}`,
    };
  }
}

/**
 * With a PR for the branch, the reviewer's verdict decides; without one, the review file's
 * existence is the approval (spec §4.3 file fallback: 12-review.md or the legacy 09-review.md).
 */
export async function checkReviewApproved(ctx: GateContext): Promise<GateResult> {
  const gate = 'check_review_approved';
  let pr = null;
  try {
    pr = await ctx.forge.findPullRequest(ctx.repo, ctx.branch, ctx.baseBranch);
  } catch (err) {
    return { gate, passed: false, reason: `PR lookup failed: ${(err as Error).message}` };
  }
  if (pr) return { ...(await checkReviewerVerdict(ctx)), gate };
  for (const f of ['12-review.md', '09-review.md']) {
    try {
      await access(`${workItemDir(ctx)}/${f}`);
      return { gate, passed: true, reason: `Review file exists (file-based approval): ${f}` };
    } catch {
      // try the next name
    }
  }
  return { gate, passed: false, reason: 'No open PR found and no review file' };
}
