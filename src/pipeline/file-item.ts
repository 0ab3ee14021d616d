import { OrchError } from '../errors.js';
import type { LocalTracker } from '../integrations/tracker/local-tracker.js';
import type { Logger } from '../log.js';
import type { TaskDependency } from '../store/serial-gate/serial-gate-repo.js';
import { intake } from './intake.js';
import type { GitWorkspace } from './git-workspace.js';
import type { Pipeline } from './pipeline.js';
import type { Project } from './project.js';
import { addTaskDependencies } from './task-deps.js';
import type { Task } from './task.js';

export interface FileItemDeps {
  pipeline: Pipeline;
  workspace: GitWorkspace;
  /** The local tracker the item is filed in. */
  tracker: Pick<LocalTracker, 'createItem'>;
  log: Logger;
}

export interface FileItemInput {
  title: string;
  description: string;
  /** Tracker labels (label auto-mode may route or auto-approve). */
  labels?: readonly string[];
  /** The bug track: skip architecture. */
  bug?: boolean;
  /** Work items this one waits for after analysis (checked before anything is filed). */
  dependsOn?: readonly string[];
}

/**
 * Files a new work item in the local tracker and takes it in (its task, branch and analyst job),
 * then records its dependencies: `orch task create` and `POST /admin/tasks` (issue 19). An
 * unknown dependency is refused (TASK_NOT_FOUND) before anything is filed.
 */
export async function fileWorkItem(
  d: FileItemDeps,
  project: Project,
  input: FileItemInput,
): Promise<{ task: Task; created: boolean; jobId: number | null; dependsOn: TaskDependency[] }> {
  const { tasks } = d.pipeline.core.deps;
  for (const ref of input.dependsOn ?? []) {
    const dep = /^\d+$/.test(ref) ? await tasks.get(Number(ref)) : await tasks.byWorkItem(ref);
    if (!dep) throw new OrchError('TASK_NOT_FOUND', `no work item ${ref}`);
  }
  const labels = [...(input.labels ?? [])];
  const item = await d.tracker.createItem(project.trackerProjectId, {
    title: input.title,
    description: input.description,
    labels,
  });
  const res = await intake(
    d.pipeline.core,
    d.workspace,
    project,
    {
      trackerItemId: item.ref.itemId,
      title: input.title,
      description: input.description,
      labels,
      ...(input.bug && { track: 'bug' }),
    },
    d.log,
  );
  const dependsOn = input.dependsOn?.length
    ? await addTaskDependencies(d.pipeline, res.task, input.dependsOn)
    : [];
  return { ...res, dependsOn };
}
