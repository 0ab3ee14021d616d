import { readdir, readFile, stat } from 'node:fs/promises';
import { parse } from 'yaml';
import { runDeployStep, STAGING_LOG } from './deploy-step.js';
import { parseFrontmatter, readVerdict } from './frontmatter.js';
import { workItemDir, type GateContext, type GateResult } from './gate.js';

/**
 * Gates that read the artifacts agents write. Verdicts come only from YAML frontmatter; a
 * missing file, missing frontmatter or unknown value fails the gate with a reason.
 */
async function readText(path: string): Promise<string | null> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    return null;
  }
}

async function nonEmpty(path: string): Promise<boolean> {
  try {
    return (await stat(path)).size > 0;
  } catch {
    return false;
  }
}

function excerpt(text: string, max = 1500): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

interface VerdictGateSpec {
  gate: string;
  file: string;
  field: string;
  positive: readonly string[];
  negative: readonly string[];
}

async function verdictGate(ctx: GateContext, spec: VerdictGateSpec): Promise<GateResult> {
  const path = `${workItemDir(ctx)}/${spec.file}`;
  const text = await readText(path);
  if (text === null) return { gate: spec.gate, passed: false, reason: `${spec.file} not found` };
  const v = readVerdict(parseFrontmatter(text), spec.field, spec);
  switch (v.kind) {
    case 'positive':
      return { gate: spec.gate, passed: true, reason: `${spec.field}: ${v.value}` };
    case 'negative':
      return {
        gate: spec.gate,
        passed: false,
        reason: `${spec.field}: ${v.value}`,
        evidence: excerpt(text),
      };
    case 'invalid':
      return {
        gate: spec.gate,
        passed: false,
        reason: `${spec.file}: ${v.reason}`,
        evidence: excerpt(text, 500),
      };
  }
}

export const checkReviewerVerdict = (ctx: GateContext) =>
  verdictGate(ctx, {
    gate: 'check_reviewer_verdict',
    file: '12-review.md',
    field: 'verdict',
    positive: ['APPROVED'],
    // The reason carries the token: the engine's reviewer rollback keys on REQUEST_CHANGES.
    negative: ['REQUEST_CHANGES', 'CHANGES_REQUESTED', 'REJECTED'],
  });

export const checkTestsPassed = (ctx: GateContext) =>
  verdictGate(ctx, {
    gate: 'check_tests_passed',
    file: '13-test-report.md',
    field: 'result',
    positive: ['PASS', 'PASSED'],
    negative: ['FAIL', 'FAILED', 'ERROR'],
  });

/** A verdict read from Orch's own deploy log, with what failed added to a failing reason. */
function withWhy(r: GateResult, why: string | null): GateResult {
  return !r.passed && why ? { ...r, reason: `${r.reason}: ${why}` } : r;
}

export const checkStagingStatus = async (ctx: GateContext) => {
  const staging = ctx.deploy?.staging;
  // A staging step with only `provenance` leaves the deploying to the agent: its log stands.
  const step =
    staging && (staging.command?.length || staging.health)
      ? await runDeployStep(ctx, staging, STAGING_LOG)
      : null;
  const verdict = await verdictGate(ctx, {
    gate: 'check_staging_status',
    file: STAGING_LOG.file,
    field: STAGING_LOG.field,
    positive: ['SUCCESS'],
    negative: ['FAILED', 'FAILURE', 'ERROR'],
  });
  return withWhy(verdict, step?.why ?? null);
};

/** The deploy stage's verdict as `14-deploy-log.md` has it now (whoever wrote it). */
export const readDeployStatus = (ctx: GateContext) =>
  verdictGate(ctx, {
    gate: 'check_deploy_status',
    file: '14-deploy-log.md',
    field: 'deploy_status',
    positive: ['SUCCESS'],
    negative: ['FAILED', 'FAILURE', 'ERROR'],
  });

/**
 * Runs the production step (when configured) and reads its verdict. Only merged code is deployed:
 * an item whose track skipped deploy-staging (where the merge gate is) never merged, and its
 * production command would deploy a branch that is not on the base branch — that is Blocked.
 */
export const checkDeployStatus = async (ctx: GateContext): Promise<GateResult> => {
  if (ctx.deploy?.production) {
    if (ctx.merged === false)
      return {
        gate: 'check_deploy_status',
        passed: false,
        blocked: true,
        reason:
          'not merged: production deploys only merged code, and this item never passed the merge ' +
          'gate (its track has no deploy-staging stage); resume it at deploy-staging',
      };
    const step = await runDeployStep(ctx, ctx.deploy.production, {
      file: '14-deploy-log.md',
      field: 'deploy_status',
      title: 'Production deploy',
    });
    return withWhy(await readDeployStatus(ctx), step.why);
  }
  return readDeployStatus(ctx);
};

export const ANALYSIS_ARTIFACTS = [
  '01-brd.md',
  '02-trz.md',
  '03-acceptance-criteria.md',
  '04-test-plan.yaml',
] as const;

/** The analyst's four artifacts exist and are non-empty; the test plan is YAML with tests. */
export async function checkAnalysisComplete(ctx: GateContext): Promise<GateResult> {
  const gate = 'check_analysis_complete';
  const dir = workItemDir(ctx);
  const missing: string[] = [];
  for (const f of ANALYSIS_ARTIFACTS) if (!(await nonEmpty(`${dir}/${f}`))) missing.push(f);
  if (missing.length > 0) return { gate, passed: false, reason: `missing: ${missing.join(', ')}` };
  let plan: unknown;
  try {
    plan = parse((await readText(`${dir}/04-test-plan.yaml`)) ?? '');
  } catch (err) {
    return {
      gate,
      passed: false,
      reason: `04-test-plan.yaml is not valid YAML: ${(err as Error).message.split('\n')[0]}`,
    };
  }
  const tests = (plan as { tests?: unknown } | null)?.tests;
  if (!Array.isArray(tests) || tests.length === 0) {
    return { gate, passed: false, reason: '04-test-plan.yaml has no tests list' };
  }
  return {
    gate,
    passed: true,
    reason: `analysis artifacts complete (${tests.length} planned tests)`,
  };
}

/** At least one ADR in 06-adr/ and no 10-conflict.md (a conflict sends the task back). */
export async function checkArchitectureDone(ctx: GateContext): Promise<GateResult> {
  const gate = 'check_architecture_done';
  const dir = workItemDir(ctx);
  const conflict = await readText(`${dir}/10-conflict.md`);
  if (conflict !== null) {
    return {
      gate,
      passed: false,
      reason: 'architect reported a conflict (10-conflict.md)',
      evidence: excerpt(conflict, 500),
    };
  }
  let adrs: string[] = [];
  try {
    adrs = (await readdir(`${dir}/06-adr`)).filter((f) => f.endsWith('.md'));
  } catch {
    adrs = [];
  }
  if (adrs.length === 0) return { gate, passed: false, reason: 'no ADR in 06-adr/' };
  return { gate, passed: true, reason: `${adrs.length} ADR(s): ${adrs.join(', ')}` };
}
