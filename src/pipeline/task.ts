/** The task (work item) model and its row mapping. Pure. */
export const TASK_STATES = [
  'active',
  'awaiting_approval',
  'needs_input',
  'waiting',
  'blocked',
  'cancelled',
  'done',
] as const;
export type TaskState = (typeof TASK_STATES)[number];

/** States in which nothing moves the task on by itself (a human or an admin must act). */
export function isParked(state: TaskState): boolean {
  return state === 'blocked' || state === 'cancelled' || state === 'done';
}

export interface Task {
  id: number;
  workItemId: string;
  projectKey: string;
  trackerKind: string;
  trackerProjectId: string;
  trackerItemId: string;
  title: string;
  repo: string;
  branch: string;
  baseBranch: string;
  stage: string;
  track: string;
  state: TaskState;
  devRetries: number;
  prNumber: number | null;
  prUrl: string | null;
  mergedSha: string | null;
  lastError: string | null;
  createdAtMs: number;
  updatedAtMs: number;
  stageEnteredAtMs: number;
}

export interface TaskRow {
  id: number;
  work_item_id: string;
  project_key: string;
  tracker_kind: string;
  tracker_project_id: string;
  tracker_item_id: string;
  title: string;
  repo: string;
  branch: string;
  base_branch: string;
  stage: string;
  track: string;
  state: TaskState;
  dev_retries: number;
  pr_number: number | null;
  pr_url: string | null;
  merged_sha: string | null;
  last_error: string | null;
  created_at_ms: number;
  updated_at_ms: number;
  stage_entered_at_ms: number;
}

export function taskFromRow(r: TaskRow): Task {
  return {
    id: Number(r.id),
    workItemId: r.work_item_id,
    projectKey: r.project_key,
    trackerKind: r.tracker_kind,
    trackerProjectId: r.tracker_project_id,
    trackerItemId: r.tracker_item_id,
    title: r.title,
    repo: r.repo,
    branch: r.branch,
    baseBranch: r.base_branch,
    stage: r.stage,
    track: r.track,
    state: r.state,
    devRetries: r.dev_retries,
    prNumber: r.pr_number,
    prUrl: r.pr_url,
    mergedSha: r.merged_sha,
    lastError: r.last_error,
    createdAtMs: r.created_at_ms,
    updatedAtMs: r.updated_at_ms,
    stageEnteredAtMs: r.stage_entered_at_ms,
  };
}

/** `feature/<ID>-<slug>`: the slug is the title, lower-cased, ASCII, at most 40 characters. */
export function branchName(workItemId: string, title: string): string {
  const slug = title
    .normalize('NFKD')
    .replace(/[^\x20-\x7e]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 40)
    .replace(/-+$/g, '');
  return `feature/${workItemId}${slug ? `-${slug}` : ''}`;
}

export function formatWorkItemId(prefix: string, n: number): string {
  return `${prefix}-${String(n).padStart(3, '0')}`;
}
