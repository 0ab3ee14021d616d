import type { AdvanceResult } from './engine.js';
import type { Pipeline } from './pipeline.js';
import type { Project } from './project.js';
import type { Task } from './task.js';

/** The gate a commit status can decide (src/gates/forge-gates.ts). */
export const CI_GATE = 'check_ci_green';

/** The task's stage is left through `check_ci_green` (its exit gate or an edge gate). Pure. */
export function waitsOnCi(task: Task, project: Project): boolean {
  const def = project.pipeline.stages.find((s) => s.name === task.stage);
  return def !== undefined && (def.gate === CI_GATE || (def.edgeGates ?? []).includes(CI_GATE));
}

/**
 * A commit status arrived for `sha` in a project's repository (a Gitea `status` webhook): every
 * active task of that repository whose stage waits on `check_ci_green` and whose branch head (its
 * pull request's head) is `sha` is re-evaluated with `pipeline.reconcile` — green CI advances it
 * at once instead of on the reconciler's next tick; red follows reconcile's path for a gate found
 * red outside an agent run (reported once per visit, nothing rolled back). A status for any other
 * commit (an older push, another branch) moves nothing.
 */
export async function onCommitStatus(
  pipeline: Pipeline,
  project: Project,
  sha: string,
): Promise<{ task: Task; result: AdvanceResult }[]> {
  const { tasks } = pipeline.core.deps;
  const waiting = (await tasks.list({ activeOnly: true, limit: 10_000 })).filter(
    (t) =>
      t.repo === project.repo && t.state === 'active' && waitsOnCi(t, pipeline.core.project(t)),
  );
  const out: { task: Task; result: AdvanceResult }[] = [];
  for (const task of waiting) {
    const pr = await project.forge.findPullRequest(task.repo, task.branch, task.baseBranch);
    if (pr?.headSha !== sha) continue;
    out.push({ task, result: await pipeline.reconcile(task.id, 'CI status event') });
  }
  return out;
}
