import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { budgetSchema, type Budget } from '../config/budget.js';
import { configIssueLines } from '../config/config-issues.js';

/**
 * A repository's own workflow file, `.orch/workflow.md` on its base branch (issue 18): YAML front
 * matter between `---` lines, then one prompt template per role in `## <role>` sections. Parsing
 * is strict — an unknown front-matter key, an unknown section or an unknown `{{variable}}` makes
 * the whole file invalid — so a typo is reported at once instead of silently changing a prompt.
 * Pure: no I/O (workflow-registry.ts reads the file from git).
 */

/** Where the file lives in the target repository. */
export const WORKFLOW_FILE_PATH = '.orch/workflow.md';

/** The roles a section may name. */
export const WORKFLOW_ROLES = [
  'analyst',
  'architect',
  'developer',
  'reviewer',
  'tester',
  'deployer',
] as const;
export type WorkflowRole = (typeof WORKFLOW_ROLES)[number];

/** The variables a template may use (`{{ name }}`, whitespace inside the braces allowed). */
export const TEMPLATE_VARIABLES = [
  'work_item.id',
  'work_item.title',
  'stage',
  'findings',
  'attempt',
  'note',
] as const;
export type TemplateVariable = (typeof TEMPLATE_VARIABLES)[number];
export type TemplateValues = Record<TemplateVariable, string>;

/**
 * The front matter keys read in this version. Others the issue names (pipeline overrides, agent
 * profiles, concurrency, hooks) are rejected as unknown keys until they are read (issue 18).
 */
export const workflowFrontMatterSchema = z.strictObject({
  /** argv of the gates' test run; replaces the project's `testCommand`. */
  testCommand: z.array(z.string().min(1)).min(1).optional(),
  /** Spend limits; each one set here replaces the project's (and the global) one. */
  budget: budgetSchema.optional(),
});

export interface Workflow {
  testCommand?: string[];
  budget?: Budget;
  /** Template text per role (trimmed), for the roles the file has a section for. */
  templates: Partial<Record<WorkflowRole, string>>;
}

export type WorkflowParse = { ok: true; workflow: Workflow } | { ok: false; error: string };

const VARIABLE_RE = /\{\{([^{}]*)\}\}/g;
const SECTION_RE = /^##\s+(.*?)\s*$/;
const FENCE_RE = /^\s*(```|~~~)/;

const isRole = (s: string): s is WorkflowRole => (WORKFLOW_ROLES as readonly string[]).includes(s);
const isVariable = (s: string): s is TemplateVariable =>
  (TEMPLATE_VARIABLES as readonly string[]).includes(s);

/** Parses a workflow file; every problem is listed in `error` (one per line). Pure. */
export function parseWorkflowFile(text: string): WorkflowParse {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  const errors: string[] = [];
  let bodyStart = 0;
  let frontMatter: unknown = {};
  if (lines[0]?.trim() === '---') {
    const end = lines.findIndex((l, i) => i > 0 && l.trim() === '---');
    if (end < 0) return { ok: false, error: 'front matter: no closing "---" line' };
    bodyStart = end + 1;
    try {
      frontMatter = parseYaml(lines.slice(1, end).join('\n')) ?? {};
    } catch (err) {
      return { ok: false, error: `front matter: ${(err as Error).message.split('\n')[0]}` };
    }
  }
  const fm = workflowFrontMatterSchema.safeParse(frontMatter);
  if (!fm.success)
    errors.push(
      ...configIssueLines(fm.error, workflowFrontMatterSchema, frontMatter).map(
        (l) => `front matter: ${l}`,
      ),
    );
  const templates = sections(lines, bodyStart, errors);
  if (errors.length > 0 || !fm.success) return { ok: false, error: errors.join('\n') };
  return {
    ok: true,
    workflow: {
      ...(fm.data.testCommand && { testCommand: fm.data.testCommand }),
      ...(fm.data.budget && { budget: fm.data.budget }),
      templates,
    },
  };
}

/** The `## <role>` sections of the body (text before the first one is free prose). */
function sections(
  lines: readonly string[],
  from: number,
  errors: string[],
): Partial<Record<WorkflowRole, string>> {
  const out: Partial<Record<WorkflowRole, string>> = {};
  let role: WorkflowRole | null = null;
  let buf: string[] = [];
  let inFence = false;
  const flush = () => {
    if (role !== null) {
      const text = buf.join('\n').trim();
      out[role] = text;
      checkVariables(text, `section "## ${role}"`, errors);
    }
    buf = [];
  };
  for (let i = from; i < lines.length; i++) {
    const line = lines[i]!;
    if (FENCE_RE.test(line)) inFence = !inFence;
    const heading = inFence ? null : SECTION_RE.exec(line);
    if (!heading) {
      if (role !== null) buf.push(line);
      continue;
    }
    flush();
    const name = heading[1] ?? '';
    role = null;
    if (!isRole(name)) {
      errors.push(
        `line ${i + 1}: unknown section "## ${name}" (roles: ${WORKFLOW_ROLES.join(', ')})`,
      );
    } else if (out[name] !== undefined) {
      errors.push(`line ${i + 1}: section "## ${name}" appears twice`);
    } else role = name;
  }
  flush();
  for (const [r, t] of Object.entries(out)) if (t === '') errors.push(`section "## ${r}" is empty`);
  return out;
}

function checkVariables(text: string, where: string, errors: string[]): void {
  for (const m of text.matchAll(VARIABLE_RE)) {
    const name = (m[1] ?? '').trim();
    if (!isVariable(name))
      errors.push(
        `${where}: unknown variable "{{${name}}}" (valid: ${TEMPLATE_VARIABLES.join(', ')})`,
      );
  }
}

/** The variables a template uses. Pure. */
export function templateVariables(template: string): Set<string> {
  return new Set([...template.matchAll(VARIABLE_RE)].map((m) => (m[1] ?? '').trim()));
}

/**
 * Fills a parsed template (its variables were checked by `parseWorkflowFile`; an unknown one
 * would render empty). Values are inserted verbatim, never re-expanded. Pure.
 */
export function renderTemplate(template: string, values: TemplateValues): string {
  return template.replace(VARIABLE_RE, (_, name: string) => {
    const key = name.trim();
    return isVariable(key) ? values[key] : '';
  });
}
