import { AgentRunStore } from '../store/agent-runs/agent-run-store.js';
import { TaskOverview } from '../pipeline/task-overview.js';
import type { Runtime } from '../runtime.js';
import type { HttpRoutes } from './deps.js';
import { adminRunRoutes } from './routes/admin-runs.js';
import { runLogRoutes } from './routes/run-logs.js';
import { taskActionRoutes } from './routes/task-actions.js';
import { taskRoutes } from './routes/tasks.js';
import { webRoutes } from './routes/web.js';

/**
 * The dashboard's routes for a runtime (issue #9): the read API it polls, the log stream, the
 * admin actions (behind the admin token) and the static files under `web/`.
 */
export function dashboardRoutes(
  rt: Pick<Runtime, 'db' | 'tasks' | 'admin' | 'projects' | 'pipeline'>,
): { routes: HttpRoutes[]; adminRoutes: HttpRoutes[] } {
  const runs = new AgentRunStore(rt.db);
  const overview = new TaskOverview({
    tasks: rt.tasks,
    runs,
    admin: rt.admin,
    projects: rt.projects,
  });
  return {
    routes: [taskRoutes(overview, rt.admin), runLogRoutes(runs), webRoutes()],
    adminRoutes: [taskActionRoutes(rt.pipeline, overview), adminRunRoutes],
  };
}
