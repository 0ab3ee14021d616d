import { utcDay } from '../agents/budget.js';
import type { Budget } from '../config/budget.js';
import type { AgentRun, AgentRunStore } from '../store/agent-runs/agent-run-store.js';
import type { Job } from '../queue/job.js';
import type { QueueAdmin } from '../queue/queue-admin.js';
import type { DashboardFeedRepo } from '../store/tasks/dashboard-feed-repo.js';
import type { Explanation } from './explain.js';
import type { ProjectRegistry } from './project.js';
import type { GateRecord, TaskEvent, TaskStore } from '../store/tasks/task-store.js';
import type { Task, TaskState } from './task.js';
import {
  finishTimesOf,
  finishedAt,
  itemCost,
  mayWait,
  stageDurations,
  waitingReason,
  type ItemCost,
  type StageVisit,
} from './task-insights.js';

/** What a person sees for a task's state on the dashboard. */
export const TASK_STATUSES = [
  'running',
  'waiting_for_approval',
  'needs_input',
  'waiting',
  'blocked',
  'cancelled',
  'done',
] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];

/** Pure: the dashboard status of a task state (`active` means an agent is on it or queued). */
export function taskStatus(state: TaskState): TaskStatus {
  switch (state) {
    case 'active':
      return 'running';
    case 'awaiting_approval':
      return 'waiting_for_approval';
    case 'needs_input':
      return 'needs_input';
    case 'waiting':
      return 'waiting';
    case 'blocked':
      return 'blocked';
    case 'cancelled':
      return 'cancelled';
    case 'done':
      return 'done';
  }
}

export interface TaskSummary {
  task: Task;
  status: TaskStatus;
  costUsd: number;
  agentRuns: number;
  /** The kind of an agent run still running for the task, if any. */
  runningAgent: string | null;
  /** When a done or cancelled item finished; null otherwise. */
  finishedAtMs: number | null;
  /** Why the item waits (explain's first sentence); null when running, finished or unknown. */
  waitingReason: string | null;
}

export interface TaskDetail extends TaskSummary {
  /** The stages of the task's track, in order. */
  stages: string[];
  events: TaskEvent[];
  gates: GateRecord[];
  runs: AgentRun[];
  jobs: Job[];
  trackerUrl: string | null;
  /** `orch explain`'s answer for the item; null when explain is not wired. */
  explanation: Explanation | null;
  stageDurations: StageVisit[];
  cost: ItemCost;
}

/** The UTC day's agent-run spend against the global daily limit (`GET /api/tasks`). */
export interface SpendToday {
  usd: number;
  limitUsd: number | null;
  sinceMs: number;
}

/** The optional sources of the dashboard's richer fields (issue 19); absent = field empty. */
export interface TaskOverviewExtras {
  feed?: Pick<DashboardFeedRepo, 'finishTimes'>;
  /** explainTask bound to its dependencies (`orch explain`, `/api/tasks/:id/explain`). */
  explain?: (ref: string) => Promise<Explanation | undefined>;
  /** The resolved budget of a project: global, project, workflow file. */
  budgetOf?: (projectKey: string) => Budget;
  /** The global `budget:` (its perDayUsd is the daily limit). */
  globalBudget?: Budget;
}

/** Explain runs a few statements per item: the list asks for this many items at a time. */
const EXPLAIN_CONCURRENCY = 4;

/**
 * The dashboard's read model of work items: tasks with their cost so far, and one task with its
 * timeline, gate results, agent runs and jobs. Reads only; every value comes from the store,
 * except the tracker link (asked of the tracker once per task and remembered).
 */
export class TaskOverview {
  readonly #tasks: TaskStore;
  readonly #runs: AgentRunStore;
  readonly #admin: QueueAdmin;
  readonly #projects: ProjectRegistry;
  readonly #trackerUrls = new Map<number, string | null>();
  readonly #x: TaskOverviewExtras;

  constructor(
    o: {
      tasks: TaskStore;
      runs: AgentRunStore;
      admin: QueueAdmin;
      projects: ProjectRegistry;
    } & TaskOverviewExtras,
  ) {
    this.#tasks = o.tasks;
    this.#runs = o.runs;
    this.#admin = o.admin;
    this.#projects = o.projects;
    this.#x = o;
  }

  /** Newest first; `activeOnly` leaves out done and cancelled items. */
  async list(options: { activeOnly?: boolean; limit?: number } = {}): Promise<TaskSummary[]> {
    const tasks = await this.#tasks.list(options);
    const ids = tasks.map((t) => t.id);
    const finished = ids.filter((_, i) => ['done', 'cancelled'].includes(tasks[i]!.state));
    const [totals, times] = await Promise.all([
      this.#runs.totalsByTask(ids),
      this.#x.feed?.finishTimes(finished) ?? new Map<number, never>(),
    ]);
    const out = tasks.map((task): TaskSummary => {
      const t = totals.get(task.id);
      return {
        task,
        status: taskStatus(task.state),
        costUsd: t?.costUsd ?? 0,
        agentRuns: t?.runs ?? 0,
        runningAgent: t?.running ?? null,
        finishedAtMs: finishedAt(task, times.get(task.id)),
        waitingReason: null,
      };
    });
    await this.#fillWaitingReasons(out);
    return out;
  }

  /** Explains the items that may wait, a few at a time (one failure leaves its reason null). */
  async #fillWaitingReasons(items: TaskSummary[]): Promise<void> {
    const explain = this.#x.explain;
    if (!explain) return;
    const todo = items.filter((s) => mayWait(s.task, s.runningAgent));
    const worker = async () => {
      for (let s = todo.shift(); s; s = todo.shift()) {
        s.waitingReason = waitingReason(await explain(String(s.task.id)).catch(() => undefined));
      }
    };
    await Promise.all(Array.from({ length: EXPLAIN_CONCURRENCY }, worker));
  }

  /** Agent-run spend of the current UTC day (runs finished since midnight) and the daily limit. */
  async spendToday(nowMs: number): Promise<SpendToday> {
    const day = utcDay(nowMs);
    return {
      usd: await this.#runs.spentBetween(day.startMs, day.endMs),
      limitUsd: this.#x.globalBudget?.perDayUsd ?? null,
      sinceMs: day.startMs,
    };
  }

  /** A task by numeric id or work-item id (`TRL-001`); undefined when there is none. */
  async find(ref: string): Promise<Task | undefined> {
    if (/^\d{1,15}$/.test(ref)) return this.#tasks.get(Number(ref));
    return this.#tasks.byWorkItem(ref);
  }

  async detail(ref: string): Promise<TaskDetail | undefined> {
    const task = await this.find(ref);
    if (!task) return undefined;
    const [events, gates, runs, jobs, trackerUrl] = await Promise.all([
      this.#tasks.events(task.id),
      this.#tasks.gateResults(task.id),
      this.#runs.listForTask(task.id),
      this.#admin.list({ taskId: task.id, limit: 500 }),
      this.#trackerUrl(task),
    ]);
    const running = runs.find((r) => r.finishedAtMs === null);
    const explanation = (await this.#x.explain?.(String(task.id))) ?? null;
    const stages = this.#stages(task);
    const project = this.#projects.find((p) => p.key === task.projectKey);
    const cost = itemCost(runs, new Map(jobs.map((j) => [j.id, j])), {
      stages,
      budget: this.#x.budgetOf?.(task.projectKey) ?? {},
      ...(project && { pipeline: project.pipeline }),
    });
    return {
      task,
      status: taskStatus(task.state),
      costUsd: cost.totalUsd,
      agentRuns: runs.length,
      runningAgent: running?.kind ?? null,
      finishedAtMs: finishedAt(task, finishTimesOf(events)),
      waitingReason: mayWait(task, running?.kind ?? null)
        ? waitingReason(explanation ?? undefined)
        : null,
      stages,
      events,
      gates,
      runs,
      jobs: jobs.reverse(),
      trackerUrl,
      explanation,
      stageDurations: stageDurations(events),
      cost,
    };
  }

  #stages(task: Task): string[] {
    const project = this.#projects.find((p) => p.key === task.projectKey);
    return [...(project?.pipeline.tracks[task.track] ?? [])];
  }

  /** The tracker's web link for the item; null when it has none or cannot be asked. */
  async #trackerUrl(task: Task): Promise<string | null> {
    if (this.#trackerUrls.has(task.id)) return this.#trackerUrls.get(task.id) ?? null;
    const project = this.#projects.find((p) => p.key === task.projectKey);
    if (!project) return null;
    try {
      const item = await project.tracker.getItem({
        projectId: task.trackerProjectId,
        itemId: task.trackerItemId,
      });
      this.#trackerUrls.set(task.id, item.url);
      return item.url;
    } catch {
      // A tracker outage must not break the page; try again on the next request.
      return null;
    }
  }
}
