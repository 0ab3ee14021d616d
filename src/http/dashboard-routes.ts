import { AgentRunStore } from '../store/agent-runs/agent-run-store.js';
import type { Budget } from '../config/budget.js';
import { BranchFiles } from '../pipeline/branch-files.js';
import type { Explanation } from '../pipeline/explain.js';
import { TaskOverview } from '../pipeline/task-overview.js';
import type { Runtime } from '../runtime.js';
import { DashboardFeedRepo } from '../store/tasks/dashboard-feed-repo.js';
import type { HttpRoutes } from './deps.js';
import { adminRunRoutes } from './routes/admin-runs.js';
import { eventRoutes, type EventsRouteOptions } from './routes/events.js';
import { runLogRoutes } from './routes/run-logs.js';
import { taskActionRoutes } from './routes/task-actions.js';
import { projectRoutes, taskCreateRoutes } from './routes/task-create.js';
import { taskFileRoutes } from './routes/task-files.js';
import { taskRoutes } from './routes/tasks.js';
import { webRoutes } from './routes/web.js';

/** What the dashboard reads beyond the store (issue 19); the runtime has them all. */
export interface DashboardOptions {
  /** explainTask bound to its dependencies: `waiting_reason` and the item page's `explain`. */
  explain?: (ref: string) => Promise<Explanation | undefined>;
  /** The global budget and a project's resolved one (cost block, `spend_today`). */
  budget?: { global: Budget | undefined; of: (projectKey: string) => Budget };
  /** `GET /api/events` tuning (tests poll faster). */
  events?: EventsRouteOptions;
}

/**
 * The dashboard's routes for a runtime (issues #9 and 19): the read API, the change stream, the
 * log stream, the branch's artifacts and diff, the admin actions and filing (behind the admin
 * token) and the static files under `web/`.
 */
export function dashboardRoutes(
  rt: Pick<
    Runtime,
    | 'db'
    | 'tasks'
    | 'admin'
    | 'projects'
    | 'pipeline'
    | 'clock'
    | 'worktrees'
    | 'workspace'
    | 'tracker'
    | 'log'
  >,
  o: DashboardOptions = {},
): { routes: HttpRoutes[]; adminRoutes: HttpRoutes[] } {
  const runs = new AgentRunStore(rt.db);
  const feed = new DashboardFeedRepo(rt.db);
  const overview = new TaskOverview({
    tasks: rt.tasks,
    runs,
    admin: rt.admin,
    projects: rt.projects,
    feed,
    ...(o.explain && { explain: o.explain }),
    ...(o.budget && { budgetOf: o.budget.of }),
    ...(o.budget?.global && { globalBudget: o.budget.global }),
  });
  const files = new BranchFiles({
    worktrees: rt.worktrees,
    projects: rt.projects,
    clock: rt.clock,
  });
  return {
    routes: [
      taskRoutes(overview, rt.admin),
      taskFileRoutes(overview, files),
      eventRoutes(feed, o.events),
      projectRoutes(rt.projects),
      runLogRoutes(runs),
      webRoutes(),
    ],
    adminRoutes: [
      taskActionRoutes(rt.pipeline, overview),
      taskCreateRoutes(rt.projects, rt),
      adminRunRoutes,
    ],
  };
}
