import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadMigrations, migrate } from '../../src/store/migrate.js';
import { openDb } from '../../src/store/open-db.js';

/**
 * SQLite cannot alter a CHECK constraint, so migration 0012 rebuilds `tasks` (for the `waiting`
 * state): an existing database keeps its tasks, their ids and their timeline, and foreign keys
 * are enforced again afterwards.
 */
describe('SQLite table rebuild (0012_flow_control)', () => {
  it('keeps rows and ids, accepts the new state, and enforces foreign keys again', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'orch-rebuild-'));
    const db = openDb(`sqlite:${join(dir, 'orch.db')}`);
    try {
      const all = loadMigrations('sqlite');
      await migrate(db, { migrations: all.filter((m) => m.version < 12) });
      await db.run(
        `insert into tasks (id, work_item_id, project_key, tracker_kind, tracker_project_id,
           tracker_item_id, title, repo, branch, stage, state, created_at_ms, updated_at_ms,
           stage_entered_at_ms)
         values (7, 'ET-007', 'ET', 'local', 'ET', '7', 'seven', 'trails', 'b', 'development',
           'blocked', 1, 2, 3)`,
      );
      await db.run(
        `insert into task_events (task_id, at_ms, type, stage, message) values (7, 1, 'x', 'y', 'z')`,
      );
      await expect(db.run(`update tasks set state = 'waiting' where id = 7`)).rejects.toThrow(
        /CHECK/,
      );

      expect((await migrate(db)).applied).toContain('0012_flow_control');
      const row = await db.get<{ work_item_id: string; state: string; stage: string }>(
        'select work_item_id, state, stage from tasks where id = 7',
      );
      expect(row).toEqual({ work_item_id: 'ET-007', state: 'blocked', stage: 'development' });
      await db.run(`update tasks set state = 'waiting' where id = 7`);
      await expect(db.run(`update tasks set state = 'sleeping' where id = 7`)).rejects.toThrow(
        /CHECK/,
      );
      const events = await db.all('select task_id from task_events');
      expect(events).toEqual([{ task_id: 7 }]);
      // Foreign keys are back on: an event for a task that does not exist is refused.
      await expect(
        db.run(
          `insert into task_events (task_id, at_ms, type, stage, message) values (99, 1, 'x', 'y', 'z')`,
        ),
      ).rejects.toThrow(/FOREIGN KEY/);
      // The next task id continues after the copied ones (autoincrement kept).
      await db.run(
        `insert into tasks (work_item_id, project_key, tracker_kind, tracker_project_id,
           tracker_item_id, title, repo, branch, stage, created_at_ms, updated_at_ms,
           stage_entered_at_ms)
         values ('ET-008', 'ET', 'local', 'ET', '8', 'eight', 'trails', 'c', 'created', 1, 1, 1)`,
      );
      const next = await db.get<{ id: number }>(
        `select id from tasks where work_item_id = 'ET-008'`,
      );
      expect(Number(next!.id)).toBeGreaterThan(7);
    } finally {
      await db.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/**
 * Migration 0017 rebuilds `jobs` to write its status CHECK as a chain of `=` (SQLite built an
 * ephemeral b-tree for `in (…)` on every row written). The rebuild must keep every row and id, the
 * id counter (ids of jobs moved to job_history are never reused), the constraint itself, the
 * indexes the queue names, and the all_jobs view.
 */
describe('SQLite jobs rebuild (0017_jobs_status_check)', () => {
  it('keeps rows, ids, the id counter, the constraint, the indexes and the view', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'orch-rebuild-'));
    const db = openDb(`sqlite:${join(dir, 'orch.db')}`);
    const insert = (id: number | null, status: string, key: string | null = null) =>
      db.run(
        `insert into jobs (id, kind, payload, status, available_at_ms, idempotency_key,
           created_at_ms, updated_at_ms)
         values ($1, 'build', '{"n":1}', $2, 1, $3, 1, 1)`,
        [id, status, key],
      );
    try {
      const all = loadMigrations('sqlite');
      await migrate(db, { migrations: all.filter((m) => m.version < 17) });
      await insert(3, 'queued', 'k-1');
      await insert(4, 'done');
      // Job 90 was the newest; it moved to job_history, so jobs' highest id is now 4.
      await insert(90, 'done');
      await db.run(`insert into job_history select * from jobs where id = 90`);
      await db.run(`delete from jobs where id = 90`);

      expect((await migrate(db)).applied).toEqual(['0017_jobs_status_check']);

      const rows = await db.all<{ id: number; status: string; payload: string }>(
        'select id, status, payload from jobs order by id',
      );
      expect(rows).toEqual([
        { id: 3, status: 'queued', payload: '{"n":1}' },
        { id: 4, status: 'done', payload: '{"n":1}' },
      ]);
      const view = await db.all<{ id: number }>('select id from all_jobs order by id');
      expect(view.map((r) => Number(r.id))).toEqual([3, 4, 90]);
      // The counter continues after 90, not after 4.
      await insert(null, 'queued');
      const next = await db.get<{ id: number }>('select max(id) as id from jobs');
      expect(Number(next!.id)).toBe(91);
      // The same constraint: an unknown status is refused, every known one accepted.
      await expect(db.run(`update jobs set status = 'paused' where id = 3`)).rejects.toThrow(
        /CHECK/,
      );
      for (const s of ['running', 'done', 'failed', 'cancelled', 'queued'])
        await db.run(`update jobs set status = $1 where id = 3`, [s]);
      // The unique idempotency index is back, and the claim's named index exists.
      await expect(insert(null, 'queued', 'k-1')).rejects.toThrow(/UNIQUE/);
      const indexes = await db.all<{ name: string }>(
        `select name from sqlite_schema where type = 'index' and tbl_name = 'jobs'
           and sql is not null order by name`,
      );
      expect(indexes.map((i) => i.name)).toEqual([
        'jobs_idempotency_key_idx',
        'jobs_queued_idx',
        'jobs_run_idx',
        'jobs_task_idx',
      ]);
      // No CHECK on jobs tests an IN list (each would cost a b-tree build per row written): the
      // table's SQL, comments stripped, has no `in (` at all.
      const table = await db.get<{ sql: string }>(
        `select sql from sqlite_schema where type = 'table' and name = 'jobs'`,
      );
      expect(table!.sql.replace(/--[^\n]*/g, '')).not.toMatch(/\bin\s*\(/i);
    } finally {
      await db.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it.each([
    ['a table never written to', [], 1],
    ['an emptied table', [50], 51],
  ])('keeps the id counter of %s', async (_name, ids, next) => {
    const dir = mkdtempSync(join(tmpdir(), 'orch-rebuild-'));
    const db = openDb(`sqlite:${join(dir, 'orch.db')}`);
    try {
      await migrate(db, { migrations: loadMigrations('sqlite').filter((m) => m.version < 17) });
      for (const id of ids) {
        await db.run(
          `insert into jobs (id, kind, available_at_ms, created_at_ms, updated_at_ms)
           values ($1, 'build', 1, 1, 1)`,
          [id],
        );
        await db.run('delete from jobs where id = $1', [id]);
      }
      await migrate(db);
      await db.run(
        `insert into jobs (kind, available_at_ms, created_at_ms, updated_at_ms)
         values ('build', 1, 1, 1)`,
      );
      const row = await db.get<{ id: number }>('select max(id) as id from jobs');
      expect(Number(row!.id)).toBe(next);
    } finally {
      await db.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
