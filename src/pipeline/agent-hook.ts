import type { OnFinished } from '../agents/agent-runner.js';
import type { AgentJobPayload } from '../agents/job-payload.js';
import type { Logger } from '../log.js';
import type { Job } from '../queue/job.js';
import type { AdvanceResult } from './engine.js';
import type { GitWorkspace } from './git-workspace.js';
import type { Pipeline } from './pipeline.js';
import type { Task } from './task.js';

/**
 * What happens after a successful agent run of a pipeline job: commit and push the worktree to
 * the task branch, open or reuse the PR, then let the engine evaluate the stage. Shared by the
 * runner's hook and the reaper (which finishes this for a job whose finalizer died). Returns
 * null for a job that is not a pipeline job, and a noop (nothing written) for a cancelled task.
 */
export async function afterAgentRun(
  pipeline: Pipeline,
  workspace: GitWorkspace,
  a: { job: Job | { id: number }; payload: AgentJobPayload; worktreePath: string },
): Promise<AdvanceResult | null> {
  const { job, payload } = a;
  if (payload.taskId === undefined || payload.stage === undefined) return null;
  // Re-read: a task cancelled while its agent ran never gets the run's commit, push or PR.
  const task = await pipeline.core.deps.tasks.mustGet(payload.taskId);
  if (task.state === 'cancelled') {
    return {
      kind: 'noop',
      reason: 'task is cancelled: the run is not committed, pushed or opened',
    };
  }
  const project = pipeline.core.project(task);
  await workspace.commitAndPush(
    a.worktreePath,
    task.branch,
    `${task.workItemId}: ${payload.role} (${payload.stage}, job ${job.id})`,
  );
  if (task.prNumber === null) {
    const pr = await project.forge.ensurePullRequest(task.repo, {
      head: task.branch,
      base: task.baseBranch,
      title: `${task.workItemId}: ${task.title}`,
      body: pullRequestBody(task),
    });
    await pipeline.core.deps.tasks.setPullRequest(task.id, { number: pr.number, url: pr.url });
  }
  return pipeline.onAgentFinished({ taskId: task.id, role: payload.role, stage: payload.stage });
}

/**
 * The runner's OnFinished hook for pipeline jobs (see `afterAgentRun`). A throw fails the job
 * (retried while attempts remain), so a push that failed is retried too.
 */
export function pipelineOnFinished(
  pipeline: Pipeline,
  workspace: GitWorkspace,
  log: Logger,
): OnFinished {
  return async ({ job, payload, worktree }) => {
    const result = await afterAgentRun(pipeline, workspace, {
      job,
      payload,
      worktreePath: worktree.path,
    });
    if (result)
      log.info({ jobId: job.id, taskId: payload.taskId, result }, `pipeline: ${result.kind}`);
  };
}

/**
 * Pure: a PR's description. A GitHub issue's item says `Closes owner/name#N`, so GitHub links
 * the PR to the issue (and closes it on merge, as Orch does when the item is done).
 */
export function pullRequestBody(
  task: Pick<Task, 'workItemId' | 'trackerKind' | 'trackerProjectId' | 'trackerItemId'>,
): string {
  const line = `Work item ${task.workItemId}, driven by Orch.`;
  return task.trackerKind === 'github'
    ? `${line}\n\nCloses ${task.trackerProjectId}#${task.trackerItemId}`
    : line;
}
