import type { Logger } from '../log.js';
import {
  DEFAULT_AUTO_LABEL_POLICY,
  DEFAULT_LABEL_RULES,
  labelsApply,
  trackForLabels,
  type AutoLabelPolicy,
} from './auto-labels.js';
import type { Effect } from './effects.js';
import type { CoreEngine } from './engine.js';
import type { GitWorkspace } from './git-workspace.js';
import type { Project } from './project.js';
import { stagePrompt, templateFor } from './prompts.js';
import { agentFor } from './stages.js';
import { branchName, type Task } from './task.js';

/** How long a new analyst job waits for intake to push its branch before it starts anyway. */
export const INTAKE_HOLD_MS = 10 * 60_000;

export interface IntakeItem {
  trackerItemId: string;
  title: string;
  description: string;
  /** An explicit track (`orch task create --bug`): wins over the labels. */
  track?: string;
  /** The item's tracker labels: they may choose the track (label auto-mode, auto-labels.ts). */
  labels?: readonly string[];
}

/** The track of a new item: explicit, else chosen by a label (when labels apply), else `full`. */
export function intakeTrack(
  project: Project,
  item: Pick<IntakeItem, 'track' | 'labels'>,
  policy: AutoLabelPolicy = DEFAULT_AUTO_LABEL_POLICY,
): { track: string; label: string | null } {
  const tracks = project.pipeline.tracks;
  if (item.track && tracks[item.track]) return { track: item.track, label: null };
  if (item.labels && labelsApply(policy, project.repo)) {
    const byLabel = trackForLabels(project.labels ?? DEFAULT_LABEL_RULES, item.labels, tracks);
    if (byLabel) return byLabel;
  }
  return { track: 'full', label: null };
}

/** `00-business-request.md`, the first artifact of every work item (spec §5). */
export function businessRequest(task: Task, description: string): string {
  return `# Business Request: ${task.title}\n\nWork Item ID: ${task.workItemId}\n\n## Description\n\n${description.trim() || 'TBD'}\n`;
}

const intakeEffects = (task: Task): Effect[] => [
  { kind: 'tracker_state', state: 'in_progress' },
  {
    kind: 'comment',
    author: 'analyst',
    body: `🔍 ${task.workItemId}: analyst started. BRD/TRZ/AC/TestPlan in progress.`,
  },
];

/**
 * A new work item becomes a task (`PREFIX-NNN`, branch `feature/<ID>-<slug>`) in the analysis
 * stage with its analyst job and its tracker effects (outbox) — one transaction, so an
 * acknowledged item is never half-created and a redelivered "created" event finds the existing
 * task. The analyst job is enqueued *held*: the
 * branch and the business request are written and pushed first (best effort: the analyst's prompt
 * also carries the request), and only then is the job released. Otherwise the analyst could start
 * writing while intake runs `git add -A` and a push in the same worktree. If Orch dies in between,
 * the hold simply runs out (`INTAKE_HOLD_MS`) and the analyst starts anyway.
 */
export async function intake(
  engine: CoreEngine,
  workspace: GitWorkspace,
  configured: Project,
  item: IntakeItem,
  log: Logger,
): Promise<{ task: Task; created: boolean; jobId: number | null }> {
  const { db, tasks, queue, clock } = engine.deps;
  // A workflow file's `pipeline:` chooses the new item's track and first role.
  const project = engine.projectForIntake(configured);
  const { track, label } = intakeTrack(project, item, engine.deps.labelPolicy);
  const nowMs = clock.now();
  const result = await db.tx(async (q) => {
    const { task, created } = await tasks.create(
      q,
      {
        projectKey: project.key,
        prefix: project.prefix,
        trackerKind: project.tracker.kind,
        trackerProjectId: project.trackerProjectId,
        trackerItemId: item.trackerItemId,
        title: item.title,
        repo: project.repo,
        baseBranch: project.baseBranch,
        stage: 'analysis',
        track,
        branchFor: (id) => branchName(id, item.title),
      },
      nowMs,
    );
    if (!created) return { task, created, jobId: null };
    await tasks.addEvent(q, {
      taskId: task.id,
      atMs: nowMs,
      type: 'created',
      stage: 'created',
      message: `work item ${task.workItemId} created`,
      detail: { track, ...(label !== null && { label }) },
    });
    const role = agentFor(project.pipeline, track, 'created') ?? 'analyst';
    const template = templateFor(engine.deps.workflows, task, role);
    const prompt = `${stagePrompt(task, role, 'analysis', { template })}\nBusiness request:\n${businessRequest(task, item.description)}`;
    const { job } = await queue.enqueueIn(q, {
      kind: role,
      taskId: task.id,
      payload: {
        taskId: task.id,
        workItemId: task.workItemId,
        repo: project.forge.cloneUrl(project.repo),
        branch: task.branch,
        role,
        stage: 'analysis',
        prompt,
        ...(project.scenario && { scenario: project.scenario }),
      },
      availableAtMs: nowMs + INTAKE_HOLD_MS,
    });
    await tasks.addEvent(q, {
      taskId: task.id,
      atMs: nowMs,
      type: 'job_enqueued',
      stage: 'analysis',
      message: `${role} job ${job.id} enqueued`,
      detail: { jobId: job.id, role },
    });
    await engine.emit(q, task, { effects: intakeEffects(task), nowMs });
    return { task, created, jobId: job.id };
  });
  if (!result.created) return result;
  await prepareBranch(engine, workspace, project, result.task, item.description, log);
  await queue.release(result.jobId);
  engine.deps.outbox.wake();
  return result;
}

async function prepareBranch(
  engine: CoreEngine,
  workspace: GitWorkspace,
  project: Project,
  task: Task,
  description: string,
  log: Logger,
) {
  try {
    await project.forge.ensureBranch(task.repo, task.branch, task.baseBranch);
    const worktree = await workspace.ensure(task, project);
    await workspace.writeFile(
      worktree,
      `docs/work-items/${task.workItemId}/00-business-request.md`,
      businessRequest(task, description),
    );
    await workspace.commitAndPush(worktree, task.branch, `${task.workItemId}: business request`);
  } catch (err) {
    log.warn(
      { err, taskId: task.id },
      'could not prepare the task branch; the analyst prompt carries the request',
    );
    await engine.record(task, {
      type: 'warning',
      message: `branch preparation failed: ${(err as Error).message}`,
    });
  }
}
