import type { HooksConfig } from '../agents/workspace-hooks.js';
import type { Job } from '../queue/job.js';
import type { WorkflowLookup } from './workflow-registry.js';

/**
 * What a project's workflow file (`.orch/workflow.md`, issue 18) overrides beyond prompts, test
 * command and budget: workspace hooks, the project's concurrency cap and the agent profile per
 * role. Pure over the project
 * config and the registry's current (last valid) workflows, read at the moment of use, so an
 * edit on the base branch takes effect at the next refresh without a restart.
 */

/**
 * The hooks a project runs: its workflow's `hooks:` section as a whole when it has one (a hook
 * the section leaves out does not run, and its `timeoutS` applies), else `projects[].hooks`.
 */
export function effectiveHooks(
  projectHooks: HooksConfig | undefined,
  workflowHooks: HooksConfig | undefined,
): HooksConfig | undefined {
  return workflowHooks ?? projectHooks;
}

/** The workspace hooks lookup by repository (clone URL) that the WorktreeManager's hooks use. */
export function hooksByRepo(o: {
  /** The key of the project whose repository this is; undefined: none (no hooks). */
  projectOf: (repo: string) => string | undefined;
  /** `projects[].hooks` of orch.config.yaml. */
  projectHooks: (key: string) => HooksConfig | undefined;
  workflows: WorkflowLookup;
}): (repo: string) => HooksConfig | undefined {
  return (repo) => {
    const key = o.projectOf(repo);
    if (key === undefined) return undefined;
    return effectiveHooks(o.projectHooks(key), o.workflows.current(key)?.hooks);
  };
}

/**
 * Pure: the worker's per-project caps — each project's workflow `maxConcurrent`, else its
 * `projects[].maxConcurrent`; projects with neither are absent (only the global cap binds them).
 */
export function projectCaps(
  projects: readonly { key: string; maxConcurrent?: number | undefined }[],
  workflows: WorkflowLookup | undefined,
): Record<string, number> {
  const out: Record<string, number> = {};
  for (const p of projects) {
    const cap = workflows?.current(p.key)?.maxConcurrent ?? p.maxConcurrent;
    if (cap !== undefined) out[p.key] = cap;
  }
  return out;
}

/**
 * The runner's `profileOf`: the agent profile the job's project's workflow names for the job's
 * kind (`agents:`); undefined for a job without a task, a project without a workflow or a role
 * the workflow does not name (the kind's own profile runs).
 */
export function agentProfileOf(o: {
  /** The project of the job's task (null: none). */
  projectOf: (taskId: number) => Promise<string | null>;
  workflows: WorkflowLookup;
}): (job: Job) => Promise<string | undefined> {
  return async (job) => {
    if (job.taskId === null) return undefined;
    const key = await o.projectOf(job.taskId);
    const agents: Readonly<Record<string, string | undefined>> | undefined =
      key === null ? undefined : o.workflows.current(key)?.agents;
    return agents?.[job.kind];
  };
}
