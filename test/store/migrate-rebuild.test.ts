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
