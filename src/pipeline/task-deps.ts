/**
 * Task dependencies (spec ORCH-026): a work item may depend on others ("blocked by" in the
 * tracker, `orch task create --depends-on`, `orch task deps --add`); it waits at the end of its
 * analysis (state `waiting`, decided with the serial gate in serial-gate.ts) until every item it
 * depends on is done. A dependency that would close a cycle is refused here; one that arrives
 * from the tracker is reported on the waiting items instead.
 */
import { OrchError } from '../errors.js';
import type { TaskDependency } from '../store/serial-gate/serial-gate-repo.js';
import type { Pipeline } from './pipeline.js';
import { dependencyCycle } from './serial-gate.js';
import type { Task } from './task.js';

async function resolve(pipeline: Pipeline, refs: readonly string[]): Promise<Task[]> {
  const { tasks } = pipeline.core.deps;
  const out: Task[] = [];
  for (const ref of refs) {
    const t = /^\d+$/.test(ref) ? await tasks.get(Number(ref)) : await tasks.byWorkItem(ref);
    if (!t) throw new OrchError('TASK_NOT_FOUND', `no work item ${ref}`);
    out.push(t);
  }
  return out;
}

function gateOf(pipeline: Pipeline) {
  const gate = pipeline.core.deps.serialGate;
  if (!gate) throw new OrchError('DEPS_UNAVAILABLE', 'task dependencies are not configured');
  return gate;
}

/** Declares that `task` waits for each of `refs`; refuses itself, unknown items and cycles. */
export async function addTaskDependencies(
  pipeline: Pipeline,
  task: Task,
  refs: readonly string[],
): Promise<TaskDependency[]> {
  const gate = gateOf(pipeline);
  const deps = await resolve(pipeline, refs);
  if (deps.some((d) => d.id === task.id))
    throw new OrchError('DEPENDENCY_INVALID', `${task.workItemId} cannot depend on itself`);
  const edges = await gate.repo.dependencies();
  const added = deps.map((d): TaskDependency => ({
    taskId: task.id,
    workItemId: task.workItemId,
    dependsOnTaskId: d.id,
    dependsOnWorkItemId: d.workItemId,
    stage: d.stage,
    state: d.state,
    source: 'cli',
  }));
  const cycle = dependencyCycle(task.id, [...edges, ...added]);
  if (cycle)
    throw new OrchError('DEPENDENCY_CYCLE', `that would make a cycle: ${cycle.join(' → ')}`, {
      details: { cycle },
    });
  await gate.repo.addDependencies(
    task.id,
    deps.map((d) => d.id),
    { source: 'cli', nowMs: pipeline.core.deps.clock.now() },
  );
  return gate.repo.dependenciesOf(pipeline.core.deps.db, task.id);
}

/** Drops dependencies of `task`; a waiting item they held starts if nothing else holds it. */
export async function removeTaskDependencies(
  pipeline: Pipeline,
  task: Task,
  refs: readonly string[],
): Promise<TaskDependency[]> {
  const gate = gateOf(pipeline);
  const deps = await resolve(pipeline, refs);
  await gate.repo.removeDependencies(
    task.id,
    deps.map((d) => d.id),
  );
  await pipeline.openSerialGates();
  return gate.repo.dependenciesOf(pipeline.core.deps.db, task.id);
}

/** The `task_deps` block of /queue: declared dependencies, the unmet ones, and cycles. */
export async function taskDepsSnapshot(pipeline: Pipeline): Promise<{
  enabled: boolean;
  edges: number;
  unmet: { workItem: string; dependsOn: string; state: string; source: string }[];
  cycles: string[][];
}> {
  const gate = gateOf(pipeline);
  const edges = await gate.repo.dependencies();
  const unmet = edges.filter((e) => e.state !== 'done');
  const cycles: string[][] = [];
  const inCycle = new Set<string>();
  for (const id of new Set(unmet.map((e) => e.taskId))) {
    const cycle = dependencyCycle(id, edges);
    if (cycle && !inCycle.has(cycle[0]!)) {
      cycle.forEach((w) => inCycle.add(w));
      cycles.push(cycle);
    }
  }
  return {
    enabled: gate.policy.deps,
    edges: edges.length,
    unmet: unmet.map((e) => ({
      workItem: e.workItemId,
      dependsOn: e.dependsOnWorkItemId,
      state: e.state,
      source: e.source,
    })),
    cycles,
  };
}
