import { jsonTextArray, type Db, type Queryable } from '../db.js';

/** An unfinished work item past analysis: it holds one of its repository's serial-gate slots. */
export interface GateHolder {
  taskId: number;
  workItemId: string;
  stage: string;
  state: string;
}

/** A work item whose analysis is approved and that waits for its repository's gate. */
export interface WaitingItem {
  taskId: number;
  workItemId: string;
  repo: string;
  /** When it started waiting (its last update). */
  sinceMs: number;
}

/** A repository's freeze: its gate stays closed until someone clears it. */
export interface RepoFreeze {
  repo: string;
  reason: string;
  frozenBy: string;
  frozenAtMs: number;
}

/** A dependency of a work item, with the state of the item it depends on. */
export interface TaskDependency {
  taskId: number;
  workItemId: string;
  dependsOnTaskId: number;
  dependsOnWorkItemId: string;
  stage: string;
  state: string;
  source: 'cli' | 'tracker';
}

interface DepRow {
  task_id: number | string;
  work_item_id: string;
  depends_on_task_id: number | string;
  dep_work_item_id: string;
  stage: string;
  state: string;
  source: 'cli' | 'tracker';
}

const depFrom = (r: DepRow): TaskDependency => ({
  taskId: Number(r.task_id),
  workItemId: r.work_item_id,
  dependsOnTaskId: Number(r.depends_on_task_id),
  dependsOnWorkItemId: r.dep_work_item_id,
  stage: r.stage,
  state: r.state,
  source: r.source,
});

const DEP_SELECT = `-- task deps: a dependency with the stage and state of the item depended on
       select d.task_id, t.work_item_id, d.depends_on_task_id,
         o.work_item_id as dep_work_item_id, o.stage, o.state, d.source
       from task_deps d join tasks t on t.id = d.task_id join tasks o on o.id = d.depends_on_task_id`;

interface FreezeRow {
  repo: string;
  reason: string;
  frozen_by: string;
  frozen_at_ms: number | string;
}

const freezeFrom = (r: FreezeRow): RepoFreeze => ({
  repo: r.repo,
  reason: r.reason,
  frozenBy: r.frozen_by,
  frozenAtMs: Number(r.frozen_at_ms),
});

/**
 * The serial gate's rows (ORCH-088): which items hold a repository's slots, which wait, and the
 * repository freezes (`repo_freeze`). Reads take a `Queryable` so the pipeline can decide inside
 * the transaction that moves the item, after `lock` has serialised deciders of one repository.
 */
export class SerialGateRepo {
  readonly #db: Db;

  constructor(db: Db) {
    this.#db = db;
  }

  /**
   * Serialises gate decisions for one repository until the transaction ends: on PostgreSQL a
   * transaction-scoped advisory lock on the repository's name; SQLite transactions already hold
   * the database's write lock (BEGIN IMMEDIATE).
   */
  async lock(q: Queryable, repo: string): Promise<void> {
    if (q.dialect === 'postgres')
      await q.get(
        `-- serial gate: one decider per repository until this transaction ends
         select pg_advisory_xact_lock(hashtext($1)) as locked`,
        [`orch.serial-gate:${repo}`],
      );
  }

  async holders(q: Queryable, repo: string): Promise<GateHolder[]> {
    const rows = await q.all<{ id: number; work_item_id: string; stage: string; state: string }>(
      `-- serial gate: the repository's unfinished items past analysis (Blocked ones included)
       select id, work_item_id, stage, state from tasks
       where repo = $1 and stage not in ('created', 'analysis')
         and state not in ('done', 'cancelled', 'waiting')
       order by id`,
      [repo],
    );
    return rows.map((r) => ({
      taskId: Number(r.id),
      workItemId: r.work_item_id,
      stage: r.stage,
      state: r.state,
    }));
  }

  /** Items waiting for a gate, in filing order (task id); one repository's, or every one's. */
  async waiting(q: Queryable = this.#db, repo?: string): Promise<WaitingItem[]> {
    const rows = await q.all<{
      id: number;
      work_item_id: string;
      repo: string;
      updated_at_ms: number | string;
    }>(
      `-- serial gate: approved items waiting for their repository's gate, oldest filed first
       select id, work_item_id, repo, updated_at_ms from tasks
       where state = 'waiting' and ($1 = '' or repo = $1)
       order by id`,
      [repo ?? ''],
    );
    return rows.map((r) => ({
      taskId: Number(r.id),
      workItemId: r.work_item_id,
      repo: r.repo,
      sinceMs: Number(r.updated_at_ms),
    }));
  }

  async activeFreeze(q: Queryable, repo: string): Promise<RepoFreeze | null> {
    const row = await q.get<FreezeRow>(
      `-- serial gate: the repository's freeze that still holds, if any
       select repo, reason, frozen_by, frozen_at_ms from repo_freeze
       where repo = $1 and cleared_at_ms is null
       order by id limit 1`,
      [repo],
    );
    return row ? freezeFrom(row) : null;
  }

  async freezes(): Promise<RepoFreeze[]> {
    const rows = await this.#db.all<FreezeRow>(
      `-- serial gate: every freeze that still holds
       select repo, reason, frozen_by, frozen_at_ms from repo_freeze
       where cleared_at_ms is null order by id`,
    );
    return rows.map(freezeFrom);
  }

  /** Freezes the repository; idempotent: an existing freeze is kept and `created` is false. */
  async freeze(
    repo: string,
    o: { reason: string; by: string; nowMs: number },
  ): Promise<{ created: boolean; freeze: RepoFreeze }> {
    return this.#db.tx(async (q) => {
      await this.lock(q, repo);
      const existing = await this.activeFreeze(q, repo);
      if (existing) return { created: false, freeze: existing };
      await q.run(
        `-- serial gate: freeze a repository (by hand, or by a degraded deploy)
         insert into repo_freeze (repo, reason, frozen_by, frozen_at_ms) values ($1, $2, $3, $4)`,
        [repo, o.reason, o.by, o.nowMs],
      );
      return {
        created: true,
        freeze: { repo, reason: o.reason, frozenBy: o.by, frozenAtMs: o.nowMs },
      };
    });
  }

  /** Clears the repository's freeze; idempotent: `cleared` is 0 when it was not frozen. */
  async unfreeze(repo: string, o: { by: string; nowMs: number }): Promise<number> {
    const r = await this.#db.run(
      `-- serial gate: clear a repository's freeze
       update repo_freeze set cleared_at_ms = $2, cleared_by = $3
       where repo = $1 and cleared_at_ms is null`,
      [repo, o.nowMs, o.by],
    );
    return r.changes;
  }

  /** Every dependency edge (small: one row per declared dependency), for cycles and /queue. */
  async dependencies(q: Queryable = this.#db): Promise<TaskDependency[]> {
    const rows = await q.all<DepRow>(
      `-- task deps: every declared dependency with the state of the item depended on
       ${DEP_SELECT}
       order by d.task_id, d.depends_on_task_id`,
    );
    return rows.map(depFrom);
  }

  async dependenciesOf(q: Queryable, taskId: number): Promise<TaskDependency[]> {
    const rows = await q.all<DepRow>(
      `-- task deps: what one item depends on
       ${DEP_SELECT}
       where d.task_id = $1 order by d.depends_on_task_id`,
      [taskId],
    );
    return rows.map(depFrom);
  }

  /** Adds dependencies (idempotent: an existing edge keeps its source). */
  async addDependencies(
    taskId: number,
    dependsOn: readonly number[],
    o: { source: 'cli' | 'tracker'; nowMs: number },
  ): Promise<void> {
    await this.#db.tx(async (q) => {
      for (const dep of dependsOn)
        await q.run(
          `-- task deps: declare that an item waits for another
           insert into task_deps (task_id, depends_on_task_id, source, created_at_ms)
           values ($1, $2, $3, $4) on conflict (task_id, depends_on_task_id) do nothing`,
          [taskId, dep, o.source, o.nowMs],
        );
    });
  }

  async removeDependencies(taskId: number, dependsOn: readonly number[]): Promise<number> {
    let removed = 0;
    await this.#db.tx(async (q) => {
      for (const dep of dependsOn)
        removed += (
          await q.run(
            `-- task deps: drop a declared dependency
             delete from task_deps where task_id = $1 and depends_on_task_id = $2`,
            [taskId, dep],
          )
        ).changes;
    });
    return removed;
  }

  /** Replaces the item's tracker-sourced dependencies with what the tracker says now. */
  async syncTrackerDependencies(
    taskId: number,
    dependsOn: readonly number[],
    nowMs: number,
  ): Promise<void> {
    await this.#db.tx(async (q) => {
      await q.run(
        `-- task deps: forget the tracker's previous "blocked by" relations of the item
         delete from task_deps where task_id = $1 and source = 'tracker'`,
        [taskId],
      );
      for (const dep of dependsOn)
        await q.run(
          `-- task deps: the tracker's current "blocked by" relations of the item
           insert into task_deps (task_id, depends_on_task_id, source, created_at_ms)
           values ($1, $2, 'tracker', $3) on conflict (task_id, depends_on_task_id) do nothing`,
          [taskId, dep, nowMs],
        );
    });
  }

  /** Task ids of the items a tracker knows by these item ids (others are not Orch's). */
  async tasksByTrackerItems(
    trackerKind: string,
    trackerProjectId: string,
    itemIds: readonly string[],
  ): Promise<{ taskId: number; trackerItemId: string }[]> {
    if (itemIds.length === 0) return [];
    const rows = await this.#db.all<{ id: number | string; tracker_item_id: string }>(
      `-- task deps: map a tracker's "blocked by" item ids to Orch's work items
       select id, tracker_item_id from tasks
       where tracker_kind = $1 and tracker_project_id = $2
         and tracker_item_id in ${jsonTextArray(this.#db.dialect, 3)}`,
      [trackerKind, trackerProjectId, JSON.stringify(itemIds)],
    );
    return rows.map((r) => ({ taskId: Number(r.id), trackerItemId: r.tracker_item_id }));
  }
}
