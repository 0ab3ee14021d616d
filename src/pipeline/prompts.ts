import type { Task } from './task.js';

/**
 * The instructions written into an agent's task file. Rollback prompts carry the findings
 * verbatim (spec ORCH-046, extracted by findings-extract.ts): the developer must not have to go
 * looking for them. The cap only guards against a runaway artifact.
 */
const MAX_FINDINGS = 10_000;

function header(task: Task, stage: string): string {
  return `Work item: ${task.workItemId}\nTitle: ${task.title}\nRepo: ${task.repo}\nBranch: ${task.branch}\nStage: ${stage}\nArtifacts: docs/work-items/${task.workItemId}/`;
}

export function clip(text: string, max = MAX_FINDINGS): string {
  const t = text.trim();
  return t.length > max ? `${t.slice(0, max)}\n…(truncated)` : t;
}

const ROLE_ASK: Record<string, string> = {
  analyst:
    'Write 01-brd.md, 02-trz.md, 03-acceptance-criteria.md and 04-test-plan.yaml from 00-business-request.md; none may be empty, and 04-test-plan.yaml must hold a YAML `tests:` list with at least one test. If something is unclear, write your questions to 01-questions.md instead.',
  architect:
    'Write the architecture decision(s) to 06-adr/ADR-NNN-<slug>.md. If the TRZ contradicts itself or the codebase, write 10-conflict.md.',
  developer: 'Implement the work item with tests. The repository’s test command must pass.',
  reviewer:
    'Review the change. Write 12-review.md with frontmatter `verdict: APPROVED` or `verdict: REQUEST_CHANGES` and the findings.',
  tester:
    'Run the test plan. Write 13-test-report.md with frontmatter `result: PASS` or `result: FAIL`.',
  deployer:
    'Deploy. Write 15-staging-log.md with frontmatter `staging_status: SUCCESS` or `staging_status: FAILED` in deploy-staging, 14-deploy-log.md with `deploy_status: SUCCESS` or `deploy_status: FAILED` in deploy.',
};

export function stagePrompt(task: Task, role: string, stage: string): string {
  return `${header(task, stage)}\n\n${ROLE_ASK[role] ?? `Do the ${role} work for this stage.`}\n`;
}

export function rollbackPrompt(
  task: Task,
  reason: string,
  findings: string,
  attempt: { n: number; max: number },
): string {
  return `${header(task, 'development')}\n\n${reason} (developer retry ${attempt.n}/${attempt.max}).\nFix these findings:\n\n${clip(findings)}\n`;
}

export function analystRerunPrompt(task: Task, why: string, text: string): string {
  return `${header(task, 'analysis')}\n\n${why}\n\n${clip(text, 500)}\n\nRevise the analysis artifacts accordingly.\n`;
}
