import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { budgetSchema, type Budget } from '../config/budget.js';
import { configIssueLines } from '../config/config-issues.js';
import { pipelineOverrideSchema } from '../config/projects.js';
import { hooksSchema } from '../config/workspace-hooks-config.js';
import { overridePipeline } from './build-projects.js';
import type { PipelineDef } from './stages.js';
import type { HooksConfig } from '../agents/workspace-hooks.js';
import { PIPELINE_ROLES, type PipelineRole } from '../agents/agents-config.js';

/**
 * A repository's own workflow file, `.orch/workflow.md` on its base branch (issue 18): YAML front
 * matter between `---` lines, then one prompt template per role in `## <role>` sections. Parsing
 * is strict — an unknown front-matter key, an unknown section or an unknown `{{variable}}` makes
 * the whole file invalid — so a typo is reported at once instead of silently changing a prompt.
 * Pure: no I/O (workflow-registry.ts reads the file from git).
 */

/** Where the file lives in the target repository. */
export const WORKFLOW_FILE_PATH = '.orch/workflow.md';

/** The roles a section may name: the pipeline's agent roles. */
export const WORKFLOW_ROLES = PIPELINE_ROLES;
export type WorkflowRole = PipelineRole;

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

/** `agents:`: per role, the configured agent profile (an `agents.roles` name) that runs it. */
const agentsSchema = z.strictObject(
  Object.fromEntries(WORKFLOW_ROLES.map((r) => [r, z.string().min(1).optional()])) as Record<
    WorkflowRole,
    z.ZodOptional<z.ZodString>
  >,
);

/** The front matter keys read in this version (issue 18). */
export const workflowFrontMatterSchema = z.strictObject({
  /** argv of the gates' test run; replaces the project's `testCommand`. */
  testCommand: z.array(z.string().min(1)).min(1).optional(),
  /** Spend limits; each one set here replaces the project's (and the global) one. */
  budget: budgetSchema.optional(),
  /** Workspace hooks (`projects[].hooks` schema); the whole section replaces the project's. */
  hooks: hooksSchema.optional(),
  /** The project's concurrency cap on the local worker; replaces `projects[].maxConcurrent`. */
  maxConcurrent: z.number().int().min(1).max(1000).optional(),
  /** Per role, the agent profile that runs it for this project's items. */
  agents: agentsSchema.optional(),
  /** Stage machine overrides (`projects[].pipeline` schema); replaces the project's as a whole. */
  pipeline: pipelineOverrideSchema.optional(),
});

export interface Workflow {
  testCommand?: string[];
  budget?: Budget;
  hooks?: HooksConfig;
  maxConcurrent?: number;
  /** Per role, the name of the agent profile that runs it (checked against the configured ones). */
  agents?: Partial<Record<WorkflowRole, string>>;
  /** The project's stage machine: the default one with the file's `pipeline:` overrides. */
  pipeline?: PipelineDef;
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

export interface WorkflowParseOptions {
  /**
   * The agent profiles `agents:` may name (`AgentProfiles.kinds()`); another name is an error.
   * Absent: names are not checked (the schema only).
   */
  profiles?: readonly string[];
  /** Whether a gate `pipeline:` names exists (the gate registry); absent: not checked. */
  gates?: (name: string) => boolean;
}

/** Parses a workflow file; every problem is listed in `error` (one per line). Pure. */
export function parseWorkflowFile(text: string, options: WorkflowParseOptions = {}): WorkflowParse {
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
  if (fm.success && fm.data.agents && options.profiles)
    errors.push(...unknownProfiles(fm.data.agents, options.profiles));
  const pipeline =
    fm.success && fm.data.pipeline ? pipelineOf(fm.data.pipeline, options, errors) : undefined;
  const templates = sections(lines, bodyStart, errors);
  if (errors.length > 0 || !fm.success) return { ok: false, error: errors.join('\n') };
  return {
    ok: true,
    workflow: {
      ...(fm.data.testCommand && { testCommand: fm.data.testCommand }),
      ...(fm.data.budget && { budget: fm.data.budget }),
      ...(fm.data.hooks && { hooks: fm.data.hooks }),
      ...(fm.data.maxConcurrent !== undefined && { maxConcurrent: fm.data.maxConcurrent }),
      ...(fm.data.agents && { agents: definedEntries(fm.data.agents) }),
      ...(pipeline && { pipeline }),
      templates,
    },
  };
}

/** The file's stage machine, or undefined with its problems added to `errors`. */
function pipelineOf(
  override: Parameters<typeof overridePipeline>[0],
  options: WorkflowParseOptions,
  errors: string[],
): PipelineDef | undefined {
  let def: PipelineDef;
  try {
    def = overridePipeline(override);
  } catch (err) {
    errors.push(`front matter: pipeline: ${(err as Error).message}`);
    return undefined;
  }
  const before = errors.length;
  for (const s of def.stages)
    for (const g of [s.gate, ...(s.edgeGates ?? [])])
      if (g && g !== 'analysis_approval' && options.gates && !options.gates(g))
        errors.push(`front matter: pipeline: stage ${s.name} names unknown gate "${g}"`);
  return errors.length === before ? def : undefined;
}

function unknownProfiles(
  agents: Partial<Record<WorkflowRole, string | undefined>>,
  profiles: readonly string[],
): string[] {
  return Object.entries(agents)
    .filter(([, name]) => name !== undefined && !profiles.includes(name))
    .map(
      ([role, name]) =>
        `front matter: agents.${role}: unknown agent profile "${name}" (configured: ${profiles.join(', ')})`,
    );
}

function definedEntries(
  o: Partial<Record<WorkflowRole, string | undefined>>,
): Partial<Record<WorkflowRole, string>> {
  const out: Partial<Record<WorkflowRole, string>> = {};
  for (const r of WORKFLOW_ROLES) if (o[r] !== undefined) out[r] = o[r];
  return out;
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
