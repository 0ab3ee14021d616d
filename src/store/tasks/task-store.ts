import { jsonTextArray, type Db, type Queryable } from '../db.js';
import { maskDeep, noMask, type SecretMasker } from '../../config/secret-masker.js';
import { OrchError } from '../../errors.js';
import {
  formatWorkItemId,
  taskFromRow,
  type Task,
  type TaskRow,
  type TaskState,
} from '../../pipeline/task.js';

export interface NewTask {
  projectKey: string;
  prefix: string;
  trackerKind: string;
  trackerProjectId: string;
  trackerItemId: string;
  title: string;
  repo: string;
  baseBranch: string;
  stage: string;
  track: string;
  branchFor: (workItemId: string) => string;
}

export interface TaskEvent {
  id: number;
  taskId: number;
  atMs: number;
  type: string;
  stage: string;
  message: string;
  detail: unknown;
}

export interface GateRecord {
  id: number;
  stage: string;
  gate: string;
  passed: boolean;
  reason: string;
  evidence: string | null;
  evaluatedAtMs: number;
}

export interface TransitionGuard {
  stage: string;
  states?: readonly TaskState[];
  /** Only while fewer than this many rollbacks to development have happened. */
  devRetriesBelow?: number;
}

export interface TransitionSet {
  stage?: string;
  state?: TaskState;
  devRetriesIncrement?: boolean;
  /** A person resumed or rejected a Blocked task: the shared retry cap starts again from 0. */
  devRetriesReset?: boolean;
  lastError?: string | null;
  track?: string;
}

/** Tasks, their timeline and gate results. Writes take a Queryable so callers compose transactions. */
export class TaskStore {
  readonly #db: Db;
  readonly #mask: SecretMasker;

  /**
   * `mask` (config/secret-masker.ts): applied to every text that may quote captured output before
   * it is stored — gate reasons and evidence, `last_error`, timeline messages and details.
   */
  constructor(db: Db, o: { mask?: SecretMasker } = {}) {
    this.#db = db;
    this.#mask = o.mask ?? noMask;
  }

  /** Creates the task for a tracker item, or returns the one that exists (same tracker ref). */
  async create(q: Queryable, t: NewTask, nowMs: number): Promise<{ task: Task; created: boolean }> {
    const existing = await q.get<TaskRow>(
      `-- the task of tracker item ($1 kind, $2 project, $3 item), if one exists
       select * from tasks where tracker_kind = $1 and tracker_project_id = $2 and tracker_item_id = $3`,
      [t.trackerKind, t.trackerProjectId, t.trackerItemId],
    );
    if (existing) return { task: taskFromRow(existing), created: false };
    const counter = await q.get<{ last_number: number }>(
      `-- next work-item number for project prefix $1 (the first one is 1)
       insert into work_item_counters (project_key, last_number) values ($1, 1)
       on conflict (project_key) do update set last_number = work_item_counters.last_number + 1
       returning last_number`,
      [t.prefix],
    );
    const workItemId = formatWorkItemId(t.prefix, Number(counter!.last_number));
    const row = await q.get<TaskRow>(
      `-- new task: ($1 work item, $2 project, $3-$5 tracker ref, $6 title, $7 repo, $8 branch,
       -- $9 base branch, $10 stage, $11 track) created, updated and entering its stage at $12
       insert into tasks (work_item_id, project_key, tracker_kind, tracker_project_id, tracker_item_id,
         title, repo, branch, base_branch, stage, track, created_at_ms, updated_at_ms, stage_entered_at_ms)
       values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12, $12) returning *`,
      [
        workItemId,
        t.projectKey,
        t.trackerKind,
        t.trackerProjectId,
        t.trackerItemId,
        t.title,
        t.repo,
        t.branchFor(workItemId),
        t.baseBranch,
        t.stage,
        t.track,
        nowMs,
      ],
    );
    return { task: taskFromRow(row!), created: true };
  }

  /**
   * The one way a task changes stage or state: a conditional update guarded on the stage (and
   * states) the caller saw. Returns null when the task moved meanwhile — the caller lost the race.
   */
  async transition(
    q: Queryable,
    taskId: number,
    guard: TransitionGuard,
    set: TransitionSet,
    nowMs: number,
  ): Promise<Task | null> {
    const states = guard.states ?? ['active', 'awaiting_approval', 'needs_input'];
    const row = await q.get<TaskRow>(
      `-- guarded task transition of task $1: only from stage $2 in states $3 (JSON) and while
       -- dev_retries < $11; sets stage $4, state $5, +$6 retries (or 0 when $12 = 1), last_error
       -- $8 when $7 = 1, track $9, at $10
       update tasks set
         stage = coalesce($4, stage),
         state = coalesce($5, state),
         dev_retries = case when $12 = 1 then 0 else dev_retries + $6 end,
         last_error = case when $7 = 1 then $8 else last_error end,
         track = coalesce($9, track),
         stage_entered_at_ms = case when $4 is not null and $4 <> stage then $10 else stage_entered_at_ms end,
         updated_at_ms = $10
       where id = $1 and stage = $2 and state in ${jsonTextArray(q.dialect, 3)}
         and dev_retries < $11
       returning *`,
      [
        taskId,
        guard.stage,
        JSON.stringify(states),
        set.stage ?? null,
        set.state ?? null,
        set.devRetriesIncrement ? 1 : 0,
        set.lastError === undefined ? 0 : 1,
        set.lastError == null ? null : this.#mask(set.lastError),
        set.track ?? null,
        nowMs,
        guard.devRetriesBelow ?? 2_147_483_647,
        set.devRetriesReset ? 1 : 0,
      ],
    );
    return row ? taskFromRow(row) : null;
  }

  async addEvent(q: Queryable, e: Omit<TaskEvent, 'id'>): Promise<void> {
    await q.run(
      `-- timeline event of task $1 at $2: type $3 in stage $4, message $5, detail $6 (JSON or null)
       insert into task_events (task_id, at_ms, type, stage, message, detail) values ($1, $2, $3, $4, $5, $6)`,
      [
        e.taskId,
        e.atMs,
        e.type,
        e.stage,
        this.#mask(e.message),
        e.detail === undefined ? null : JSON.stringify(maskDeep(e.detail, this.#mask)),
      ],
    );
  }

  /**
   * Claims the one timeline entry of `type` with `message` for the task's stage visit that began at
   * `sinceMs`: locks the task row until the transaction ends (PostgreSQL; SQLite's BEGIN IMMEDIATE
   * already serialises writers), then answers true when there is no such entry yet.
   */
  async firstEventOfVisit(
    q: Queryable,
    taskId: number,
    type: string,
    message: string,
    sinceMs: number,
  ): Promise<boolean> {
    if (q.dialect === 'postgres')
      await q.get(
        `-- one decider per task until this transaction ends
         select id from tasks where id = $1 for update`,
        [taskId],
      );
    const row = await q.get<{ id: number }>(
      `-- an entry of type $2 with message $3 on task $1's timeline since $4
       select id from task_events
       where task_id = $1 and type = $2 and message = $3 and at_ms >= $4 limit 1`,
      [taskId, type, this.#mask(message), sinceMs],
    );
    return row == null;
  }

  async addGateResult(
    q: Queryable,
    taskId: number,
    stage: string,
    r: Omit<GateRecord, 'id' | 'stage'>,
  ): Promise<void> {
    await q.run(
      `-- gate verdict for task $1 in stage $2: gate $3, passed $4 (1/0), reason $5, evidence $6, at $7
       insert into gate_results (task_id, stage, gate, passed, reason, evidence, evaluated_at_ms)
       values ($1, $2, $3, $4, $5, $6, $7)`,
      [
        taskId,
        stage,
        r.gate,
        r.passed ? 1 : 0,
        this.#mask(r.reason),
        r.evidence == null ? null : this.#mask(r.evidence),
        r.evaluatedAtMs,
      ],
    );
  }

  async setPullRequest(taskId: number, pr: { number: number; url: string | null }): Promise<void> {
    await this.#db.run(
      `-- the pull request ($2 number, $3 url) opened for task $1
       update tasks set pr_number = $2, pr_url = $3 where id = $1`,
      [taskId, pr.number, pr.url],
    );
  }

  async setMergedSha(q: Queryable, taskId: number, sha: string): Promise<void> {
    await q.run(
      `-- the commit $2 that merged task $1's branch
       update tasks set merged_sha = $2 where id = $1`,
      [taskId, sha],
    );
  }

  async get(id: number): Promise<Task | undefined> {
    const row = await this.#db.get<TaskRow>(
      `-- task $1
       select * from tasks where id = $1`,
      [id],
    );
    return row ? taskFromRow(row) : undefined;
  }

  async mustGet(id: number): Promise<Task> {
    const task = await this.get(id);
    if (!task) throw new OrchError('TASK_NOT_FOUND', `task ${id} does not exist`);
    return task;
  }

  async byWorkItem(workItemId: string): Promise<Task | undefined> {
    const row = await this.#db.get<TaskRow>(
      `-- the task of work item $1 (e.g. ORCH-12)
       select * from tasks where work_item_id = $1`,
      [workItemId],
    );
    return row ? taskFromRow(row) : undefined;
  }

  async byBranch(repo: string, branch: string): Promise<Task | undefined> {
    const row = await this.#db.get<TaskRow>(
      `-- the task working on branch $2 of repository $1
       select * from tasks where repo = $1 and branch = $2`,
      [repo, branch],
    );
    return row ? taskFromRow(row) : undefined;
  }

  /**
   * Worktree garbage collection: done or cancelled tasks of `repos` unchanged since `cutoffMs`
   * with no queued or running job (a post-deploy probe, a late re-check), oldest first.
   */
  async finishedIdle(repos: readonly string[], cutoffMs: number, limit = 2000): Promise<Task[]> {
    if (repos.length === 0) return [];
    const rows = await this.#db.all<TaskRow>(
      `-- worktree gc: finished tasks of the given repositories, idle since $1 and without live jobs
       select t.* from tasks t
       where t.state in ('done', 'cancelled') and t.updated_at_ms < $1
         and t.repo in (${repos.map((_, i) => `$${i + 3}`).join(', ')})
         and not exists (
           select 1 from jobs j where j.task_id = t.id and j.status in ('queued', 'running'))
       order by t.updated_at_ms limit $2`,
      [cutoffMs, limit, ...repos],
    );
    return rows.map(taskFromRow);
  }

  async byTrackerItem(kind: string, projectId: string, itemId: string): Promise<Task | undefined> {
    const row = await this.#db.get<TaskRow>(
      `-- the task of tracker item ($1 kind, $2 project, $3 item)
       select * from tasks where tracker_kind = $1 and tracker_project_id = $2 and tracker_item_id = $3`,
      [kind, projectId, itemId],
    );
    return row ? taskFromRow(row) : undefined;
  }

  async list(options: { activeOnly?: boolean; limit?: number } = {}): Promise<Task[]> {
    const rows = await this.#db.all<TaskRow>(
      `-- newest tasks first, $1 at most (only unfinished ones when activeOnly)
       select * from tasks ${options.activeOnly ? "where stage <> 'done' and state not in ('done', 'cancelled')" : ''}
       order by id desc limit $1`,
      [options.limit ?? 100],
    );
    return rows.map(taskFromRow);
  }

  async events(taskId: number): Promise<TaskEvent[]> {
    const rows = await this.#db.all<{
      id: number;
      task_id: number;
      at_ms: number;
      type: string;
      stage: string;
      message: string;
      detail: string | null;
    }>(
      `-- timeline of task $1, oldest first
       select * from task_events where task_id = $1 order by id`,
      [taskId],
    );
    return rows.map((r) => ({
      id: Number(r.id),
      taskId: Number(r.task_id),
      atMs: r.at_ms,
      type: r.type,
      stage: r.stage,
      message: r.message,
      detail: r.detail === null ? null : (JSON.parse(r.detail) as unknown),
    }));
  }

  async gateResults(taskId: number): Promise<GateRecord[]> {
    const rows = await this.#db.all<{
      id: number;
      stage: string;
      gate: string;
      passed: number;
      reason: string;
      evidence: string | null;
      evaluated_at_ms: number;
    }>(
      `-- gate verdicts of task $1, oldest first
       select * from gate_results where task_id = $1 order by id`,
      [taskId],
    );
    return rows.map((r) => ({
      id: Number(r.id),
      stage: r.stage,
      gate: r.gate,
      passed: Boolean(r.passed),
      reason: r.reason,
      evidence: r.evidence,
      evaluatedAtMs: r.evaluated_at_ms,
    }));
  }
}
