import type { TaskStore } from '../../store/tasks/task-store.js';
import type { HttpRoutes } from '../deps.js';

/** `GET /status`: the active work items (not done or cancelled), newest first. */
export function statusRoutes(tasks: TaskStore): HttpRoutes {
  return (app) => {
    app.get(
      '/status',
      { schema: { tags: ['observability'], summary: 'active work items' } },
      async () => ({
        active_tasks: (await tasks.list({ activeOnly: true, limit: 50 })).map((t) => ({
          id: t.id,
          work_item_id: t.workItemId,
          title: t.title,
          repo: t.repo,
          branch: t.branch,
          stage: t.stage,
          state: t.state,
          track: t.track,
          dev_retries: t.devRetries,
          pr_url: t.prUrl,
          created_at_ms: t.createdAtMs,
          stage_entered_at_ms: t.stageEnteredAtMs,
        })),
      }),
    );
  };
}
