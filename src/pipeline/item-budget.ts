import { budgetGate, type BudgetGate } from '../agents/budget-gate.js';
import { resolveBudget, type Budget } from '../config/budget.js';
import type { ProjectsConfig } from '../config/projects.js';
import type { AgentRunStore } from '../store/agent-runs/agent-run-store.js';
import type { CoreEngine } from './engine.js';
import type { WorkflowLookup } from './workflow-registry.js';

/**
 * A project's effective budget: `projects[].budget` over the global `budget:`, and the project's
 * workflow file `budget:` over both (the budget gate and the dashboard's cost block).
 */
export function projectBudget(
  o: { global: Budget | undefined; projects: ProjectsConfig; workflows?: WorkflowLookup },
  projectKey: string,
): Budget {
  const project = resolveBudget(o.global, o.projects.byKey(projectKey)?.budget);
  return resolveBudget(project, o.workflows?.current(projectKey)?.budget);
}

/**
 * The runner's budget gate for pipeline items: the item's project budget (`projects[].budget`
 * over the global `budget:`, and the project's workflow file `budget:` over both), and a daily
 * wait recorded on the item's timeline and tracker as `budget_wait`. Null when no budget is
 * configured anywhere and there are no workflow files to read one from (nothing to check).
 */
export function itemBudgetGate(o: {
  core: CoreEngine;
  runs: AgentRunStore;
  global: Budget | undefined;
  projects: ProjectsConfig;
  /** Workflow files may set a budget at any time: with them, the gate always exists. */
  workflows?: WorkflowLookup;
}): BudgetGate | null {
  const configured = (b: Budget | undefined) => b !== undefined && Object.keys(b).length > 0;
  const none = !configured(o.global) && !o.projects.projects.some((p) => configured(p.budget));
  if (none && !o.workflows) return null;
  const { core } = o;
  return budgetGate({
    runs: o.runs,
    clock: core.deps.clock,
    budgetOf: async (taskId) => {
      const task = await core.deps.tasks.get(taskId);
      if (!task) return undefined;
      return projectBudget(o, task.projectKey);
    },
    onDailyWait: async (taskId, wait) => {
      const task = await core.deps.tasks.get(taskId);
      if (!task) return;
      await core.record(task, {
        type: 'budget_wait',
        message: wait.message,
        detail: { spentUsd: wait.spentUsd, limitUsd: wait.limitUsd, untilMs: wait.untilMs },
        effects: [{ kind: 'comment', author: 'orch', body: `⏸ ${wait.message}` }],
      });
    },
  });
}
