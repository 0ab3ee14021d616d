import type { ListedTrackerItem } from '../integrations/tracker/tracker.js';
import type { Logger } from '../log.js';
import type { GitWorkspace } from '../pipeline/git-workspace.js';
import { intake } from '../pipeline/intake.js';
import type { Pipeline } from '../pipeline/pipeline.js';
import type { Project } from '../pipeline/project.js';

export interface TakenItem {
  projectKey: string;
  trackerItemId: string;
  workItemId: string;
}

export interface IntakePollOptions {
  pipeline: Pipeline;
  workspace: GitWorkspace;
  log: Logger;
  nowMs: number;
  /** An item must be this old: a "created" webhook still in flight takes it in first. */
  graceMs: number;
  /** Items created longer ago than this are never taken in (a bound, not a backfill). */
  lookbackMs: number;
}

/**
 * The reconciler's intake of work items whose "created" webhook never arrived: every watched
 * tracker project is listed for items created within the lookback, and each one Orch has no task
 * for — not done or cancelled in the tracker, not filed by Orch's own user, older than the grace —
 * goes through `intake`, exactly as the webhook would have taken it (same labels, same track
 * choice, same analyst job). Tasks are unique per tracker ref, so a webhook that arrives later
 * (or a replica doing the same) finds the task and creates nothing. A project whose listing fails
 * is logged and skipped; the others still run.
 */
export async function pollNewItems(o: IntakePollOptions): Promise<TakenItem[]> {
  const taken: TakenItem[] = [];
  const listed = new Set<string>();
  for (const project of o.pipeline.core.deps.projects.all()) {
    // Two projects on one tracker project would list (and take in) the same items twice.
    const key = `${project.tracker.kind}\u0000${project.trackerProjectId}`;
    if (listed.has(key)) continue;
    listed.add(key);
    try {
      taken.push(...(await takeInProject(o, project)));
    } catch (err) {
      o.log.warn(
        { err, project: project.key, daemon: 'reconciler' },
        'reconciler: could not list new tracker items',
      );
    }
  }
  return taken;
}

async function takeInProject(o: IntakePollOptions, project: Project): Promise<TakenItem[]> {
  const { core } = o.pipeline;
  const items = await project.tracker.listItems(project.trackerProjectId, {
    createdSinceMs: o.nowMs - o.lookbackMs,
  });
  const out: TakenItem[] = [];
  // Oldest first, so work item numbers follow the filing order as webhooks would have.
  for (const item of [...items].sort((a, b) => a.createdAtMs - b.createdAtMs)) {
    if (!(await wanted(o, project, item))) continue;
    const r = await intake(
      core,
      o.workspace,
      project,
      {
        trackerItemId: item.ref.itemId,
        title: item.title,
        description: item.description,
        labels: item.labels,
      },
      o.log,
    );
    if (!r.created) continue; // a webhook (or another replica) took it in meanwhile
    await core.record(r.task, {
      type: 'recovered',
      message: `taken in by the reconciler: the tracker's "created" event for item ${item.ref.itemId} never arrived`,
      detail: { via: 'reconciler', trackerItemId: item.ref.itemId },
    });
    out.push({
      projectKey: project.key,
      trackerItemId: item.ref.itemId,
      workItemId: r.task.workItemId,
    });
  }
  return out;
}

async function wanted(
  o: IntakePollOptions,
  project: Project,
  item: ListedTrackerItem,
): Promise<boolean> {
  if (item.closed || item.byOrch) return false;
  if (o.nowMs - item.createdAtMs < o.graceMs) return false;
  const existing = await o.pipeline.core.deps.tasks.byTrackerItem(
    project.tracker.kind,
    project.trackerProjectId,
    item.ref.itemId,
  );
  return existing === undefined;
}
