import type { Task } from './task.js';
import {
  renderTemplate,
  templateVariables,
  type TemplateValues,
  type WorkflowRole,
} from './workflow-file.js';
import type { WorkflowLookup } from './workflow-registry.js';

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

/**
 * The role's template from the project's current workflow file (workflow-registry.ts), or
 * undefined: no lookup, no workflow, or no section for the role (the built-in ask applies).
 */
export function templateFor(
  workflows: WorkflowLookup | undefined,
  task: Task,
  role: string,
): string | undefined {
  return workflows?.current(task.projectKey)?.templates[role as WorkflowRole];
}

/** A workflow template and the values only the caller knows; absent ones render empty. */
export interface RoleTemplate {
  template: string | undefined;
  findings?: string;
  attempt?: string;
  note?: string;
}

function render(task: Task, stage: string, template: string, t: Partial<RoleTemplate>): string {
  const values: TemplateValues = {
    'work_item.id': task.workItemId,
    'work_item.title': task.title,
    stage,
    findings: t.findings ?? '',
    attempt: t.attempt ?? '',
    note: t.note ?? '',
  };
  return renderTemplate(template, values).trim();
}

/** Whether a template places the variable's text itself (else the built-in text follows it). */
const places = (template: string, variable: 'findings' | 'note'): boolean =>
  templateVariables(template).has(variable);

/**
 * The header, then the role's ask: the workflow template (rendered) when there is one, else the
 * built-in one. The header stays either way: gates and agents read it.
 */
export function stagePrompt(task: Task, role: string, stage: string, t?: RoleTemplate): string {
  const ask =
    t?.template !== undefined
      ? render(task, stage, t.template, t)
      : (ROLE_ASK[role] ?? `Do the ${role} work for this stage.`);
  return `${header(task, stage)}\n\n${ask}\n`;
}

/**
 * The developer's rollback prompt. With a workflow template: the template (`findings`,
 * `attempt` filled in), then the reason, then the findings unless the template placed them.
 */
export function rollbackPrompt(
  task: Task,
  reason: string,
  findings: string,
  attempt: { n: number; max: number },
  template?: string,
): string {
  const why = `${reason} (developer retry ${attempt.n}/${attempt.max}).`;
  const builtIn = `${why}\nFix these findings:\n\n${clip(findings)}\n`;
  if (template === undefined) return `${header(task, 'development')}\n\n${builtIn}`;
  const values = { findings: clip(findings), attempt: `${attempt.n}/${attempt.max}` };
  const rendered = render(task, 'development', template, values);
  const context = places(template, 'findings') ? `${why}\n` : builtIn;
  return `${header(task, 'development')}\n\n${rendered}\n\n${context}`;
}

/**
 * The analyst's re-run prompt (a rejection, an answer, a failed analysis gate). With a workflow
 * template, `text` fills the variable `t.textAs` and follows the template unless it placed it.
 */
export function analystRerunPrompt(
  task: Task,
  why: string,
  text: string,
  t?: { template: string | undefined; textAs: 'note' | 'findings' },
): string {
  const builtIn = `${why}\n\n${clip(text, 500)}\n`;
  if (t?.template === undefined)
    return `${header(task, 'analysis')}\n\n${builtIn}\nRevise the analysis artifacts accordingly.\n`;
  const rendered = render(task, 'analysis', t.template, { [t.textAs]: clip(text, 500) });
  const context = places(t.template, t.textAs) ? `${why}\n` : builtIn;
  return `${header(task, 'analysis')}\n\n${rendered}\n\n${context}`;
}
