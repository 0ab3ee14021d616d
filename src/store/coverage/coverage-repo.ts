import type { Db } from '../db.js';

export interface CoverageBaseline {
  repo: string;
  pct: number;
  setBy: string;
  updatedAtMs: number;
}

interface BaselineRow {
  repo: string;
  pct: number | string;
  set_by: string;
  updated_at_ms: number | string;
}

const baselineFrom = (r: BaselineRow): CoverageBaseline => ({
  repo: r.repo,
  pct: Number(r.pct),
  setBy: r.set_by,
  updatedAtMs: Number(r.updated_at_ms),
});

/** Coverage baselines per repository and the coverage each item's tests measured (ORCH-027). */
export class CoverageRepo {
  readonly #db: Db;

  constructor(db: Db) {
    this.#db = db;
  }

  async baseline(repo: string): Promise<CoverageBaseline | null> {
    const row = await this.#db.get<BaselineRow>(
      `-- coverage: the repository's baseline
       select repo, pct, set_by, updated_at_ms from coverage_baselines where repo = $1`,
      [repo],
    );
    return row ? baselineFrom(row) : null;
  }

  async baselines(): Promise<CoverageBaseline[]> {
    const rows = await this.#db.all<BaselineRow>(
      `-- coverage block: every repository's baseline
       select repo, pct, set_by, updated_at_ms from coverage_baselines order by repo`,
    );
    return rows.map(baselineFrom);
  }

  /** An operator's override: the baseline becomes `pct`, up or down. */
  async setBaseline(repo: string, pct: number, setBy: string, nowMs: number): Promise<void> {
    await this.#db.run(
      `-- coverage: an operator sets the repository's baseline
       insert into coverage_baselines (repo, pct, set_by, updated_at_ms) values ($1, $2, $3, $4)
       on conflict (repo) do update set pct = excluded.pct, set_by = excluded.set_by,
         updated_at_ms = excluded.updated_at_ms`,
      [repo, pct, setBy, nowMs],
    );
  }

  /** The ratchet: the baseline becomes `pct` only if that is higher (or there was none). */
  async raiseBaseline(repo: string, pct: number, setBy: string, nowMs: number): Promise<boolean> {
    const r = await this.#db.run(
      `-- coverage: raise the repository's baseline, never lower it
       insert into coverage_baselines (repo, pct, set_by, updated_at_ms) values ($1, $2, $3, $4)
       on conflict (repo) do update set pct = excluded.pct, set_by = excluded.set_by,
         updated_at_ms = excluded.updated_at_ms
       where coverage_baselines.pct < excluded.pct`,
      [repo, pct, setBy, nowMs],
    );
    return r.changes > 0;
  }

  async recordRun(taskId: number, repo: string, pct: number, nowMs: number): Promise<void> {
    await this.#db.run(
      `-- coverage: what an item's tests measured
       insert into coverage_runs (task_id, repo, pct, at_ms) values ($1, $2, $3, $4)`,
      [taskId, repo, pct, nowMs],
    );
  }

  /** The latest coverage the item's tests measured, or null. */
  async latestRun(taskId: number): Promise<number | null> {
    const row = await this.#db.get<{ pct: number | string }>(
      `-- coverage: the item's latest measurement
       select pct from coverage_runs where task_id = $1 order by id desc limit 1`,
      [taskId],
    );
    return row ? Number(row.pct) : null;
  }

  /** The latest measurement per repository (the coverage block). */
  async latestByRepo(): Promise<{ repo: string; pct: number; taskId: number; atMs: number }[]> {
    const rows = await this.#db.all<{
      repo: string;
      pct: number | string;
      task_id: number | string;
      at_ms: number | string;
    }>(
      `-- coverage block: each repository's latest measurement
       select r.repo, r.pct, r.task_id, r.at_ms from coverage_runs r
       where r.id = (select max(x.id) from coverage_runs x where x.repo = r.repo)
       order by r.repo`,
    );
    return rows.map((r) => ({
      repo: r.repo,
      pct: Number(r.pct),
      taskId: Number(r.task_id),
      atMs: Number(r.at_ms),
    }));
  }
}
