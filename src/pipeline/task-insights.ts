/**
 * Pure read-model helpers of the dashboard (issue 19): how long an item spent in each stage,
 * when it finished, what its agent runs cost per stage, and which role a job is.
 */
import type { Budget } from '../config/budget.js';
import type { Job } from '../queue/job.js';
import type { AgentRun } from '../store/agent-runs/agent-run-store.js';
import type { TaskEvent } from '../store/tasks/task-store.js';
import type { Explanation } from './explain.js';
import { DEFAULT_PIPELINE, type PipelineDef } from './stages.js';
import type { Task } from './task.js';

export interface StageVisit {
  stage: string;
  enteredAtMs: number;
  /** Null while the item is still in the stage. */
  leftAtMs: number | null;
  durationMs: number | null;
}

/**
 * The stage visits of an item from its timeline (every entry carries the stage the item was in
 * after it): a new visit starts with the first entry of a different stage. The last visit is
 * open (left null) — also `done`, which an item never leaves.
 */
export function stageDurations(events: readonly Pick<TaskEvent, 'stage' | 'atMs'>[]): StageVisit[] {
  const visits: StageVisit[] = [];
  for (const e of events) {
    const last = visits.at(-1);
    if (last?.stage === e.stage) continue;
    if (last) {
      last.leftAtMs = e.atMs;
      last.durationMs = Math.max(0, e.atMs - last.enteredAtMs);
    }
    visits.push({ stage: e.stage, enteredAtMs: e.atMs, leftAtMs: null, durationMs: null });
  }
  return visits;
}

/** When a done or cancelled item finished (null otherwise), from the times its timeline gives. */
export function finishedAt(
  task: Pick<Task, 'state' | 'updatedAtMs'>,
  times: { doneAtMs: number | null; cancelledAtMs: number | null } | undefined,
): number | null {
  if (task.state === 'done') return times?.doneAtMs ?? task.updatedAtMs;
  if (task.state === 'cancelled') return times?.cancelledAtMs ?? task.updatedAtMs;
  return null;
}

/** The same times from a full timeline (the item page). */
export function finishTimesOf(events: readonly Pick<TaskEvent, 'type' | 'stage' | 'atMs'>[]) {
  return {
    doneAtMs: events.find((e) => e.stage === 'done')?.atMs ?? null,
    cancelledAtMs: events.filter((e) => e.type === 'cancelled').at(-1)?.atMs ?? null,
  };
}

const AGENT_ROLES = new Set(
  DEFAULT_PIPELINE.stages.flatMap((s) => (s.worker === null ? [] : [s.worker])),
);

const payloadField = (job: Pick<Job, 'payload'>, key: string): string | null => {
  const p = job.payload as Record<string, unknown> | null;
  const v = p !== null && typeof p === 'object' ? p[key] : undefined;
  return typeof v === 'string' ? v : null;
};

/** The agent role of a job (analyst, developer…): its payload's role, else a known role kind. */
export function jobRole(job: Pick<Job, 'kind' | 'payload'>): string | null {
  return payloadField(job, 'role') ?? (AGENT_ROLES.has(job.kind) ? job.kind : null);
}

/** The work item of a job: its payload's, else the task's when the caller knows it. */
export function jobWorkItem(job: Pick<Job, 'payload'>): string | null {
  return payloadField(job, 'workItemId');
}

/**
 * The stage an agent run worked in: its job's payload `stage`, else the first stage whose worker
 * is the run's kind; null when neither says.
 */
export function runStage(
  run: Pick<AgentRun, 'jobId' | 'kind'>,
  jobs: ReadonlyMap<number, Pick<Job, 'payload'>>,
  pipeline: PipelineDef = DEFAULT_PIPELINE,
): string | null {
  const job = jobs.get(run.jobId);
  const fromJob = job ? payloadField(job, 'stage') : null;
  return fromJob ?? pipeline.stages.find((s) => s.worker === run.kind)?.name ?? null;
}

export interface ItemCost {
  totalUsd: number;
  byStage: { stage: string; usd: number }[];
  budget: { perItemUsd: number | null; perRunUsd: number | null; perDayUsd: number | null };
}

/** What an item's runs cost in total and per stage (stages in track order, then others). */
export function itemCost(
  runs: readonly Pick<AgentRun, 'jobId' | 'kind' | 'costUsd'>[],
  jobs: ReadonlyMap<number, Pick<Job, 'payload'>>,
  o: { stages: readonly string[]; budget: Budget; pipeline?: PipelineDef },
): ItemCost {
  const byStage = new Map<string, number>();
  for (const r of runs) {
    const stage = runStage(r, jobs, o.pipeline) ?? r.kind;
    byStage.set(stage, (byStage.get(stage) ?? 0) + (r.costUsd ?? 0));
  }
  const rank = (s: string) => {
    const i = o.stages.indexOf(s);
    return i === -1 ? o.stages.length : i;
  };
  return {
    totalUsd: runs.reduce((sum, r) => sum + (r.costUsd ?? 0), 0),
    byStage: [...byStage]
      .sort(([a], [b]) => rank(a) - rank(b) || a.localeCompare(b))
      .map(([stage, usd]) => ({ stage, usd })),
    budget: {
      perItemUsd: o.budget.perItemUsd ?? null,
      perRunUsd: o.budget.perRunUsd ?? null,
      perDayUsd: o.budget.perDayUsd ?? null,
    },
  };
}

/** Whether the list asks explain why an item waits: not finished, no agent on it. */
export function mayWait(task: Pick<Task, 'state'>, runningAgent: string | null): boolean {
  if (task.state === 'done' || task.state === 'cancelled') return false;
  return !(task.state === 'active' && runningAgent !== null);
}

/** Pure: the list's one-sentence reason from an explanation; null when the item is running. */
export function waitingReason(e: Explanation | undefined): string | null {
  const first = e?.reasons[0];
  if (!e || !first || first.code === 'running' || first.code === 'finished') return null;
  return oneLine(e.summary);
}

/**
 * Pure: a reason as one line for the list: a quoted document (the analyst's questions file, with
 * its `---` front matter) is cut off at its start; the item page shows the questions in full.
 */
export function oneLine(text: string): string {
  const quoted = text.search(/(^|\s)---(\s|$)/);
  const head = (quoted >= 0 ? text.slice(0, quoted) : text).replace(/\s+/g, ' ').trim();
  const cut = head.replace(/[:\s]+$/, '');
  return quoted >= 0 ? `${cut} (see the item).` : cut;
}
