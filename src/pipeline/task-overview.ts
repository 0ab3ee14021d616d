import type { AgentRun, AgentRunStore } from '../store/agent-runs/agent-run-store.js';
import type { Job } from '../queue/job.js';
import type { QueueAdmin } from '../queue/queue-admin.js';
import type { ProjectRegistry } from './project.js';
import type { GateRecord, TaskEvent, TaskStore } from '../store/tasks/task-store.js';
import type { Task, TaskState } from './task.js';

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
}

export interface TaskDetail extends TaskSummary {
  /** The stages of the task's track, in order. */
  stages: string[];
  events: TaskEvent[];
  gates: GateRecord[];
  runs: AgentRun[];
  jobs: Job[];
  trackerUrl: string | null;
}

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

  constructor(o: {
    tasks: TaskStore;
    runs: AgentRunStore;
    admin: QueueAdmin;
    projects: ProjectRegistry;
  }) {
    this.#tasks = o.tasks;
    this.#runs = o.runs;
    this.#admin = o.admin;
    this.#projects = o.projects;
  }

  /** Newest first; `activeOnly` leaves out done and cancelled items. */
  async list(options: { activeOnly?: boolean; limit?: number } = {}): Promise<TaskSummary[]> {
    const tasks = await this.#tasks.list(options);
    const totals = await this.#runs.totalsByTask(tasks.map((t) => t.id));
    return tasks.map((task) => {
      const t = totals.get(task.id);
      return {
        task,
        status: taskStatus(task.state),
        costUsd: t?.costUsd ?? 0,
        agentRuns: t?.runs ?? 0,
        runningAgent: t?.running ?? null,
      };
    });
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
    return {
      task,
      status: taskStatus(task.state),
      costUsd: runs.reduce((sum, r) => sum + (r.costUsd ?? 0), 0),
      agentRuns: runs.length,
      runningAgent: running?.kind ?? null,
      stages: this.#stages(task),
      events,
      gates,
      runs,
      jobs: jobs.reverse(),
      trackerUrl,
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
