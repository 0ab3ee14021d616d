import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, inject, type TestContext } from 'vitest';
import { DIALECTS, type Db, type Dialect } from '../../src/store/db.js';
import { openDb } from '../../src/store/open-db.js';
import { freshWorkerDb, keepWorkerDb } from './pg-worker-db.js';

export interface TestDb {
  dialect: Dialect;
  url: string;
  db: Db;
  /**
   * Closes the store and frees its database; `keep` first saves a copy for a post-mortem (PG: a
   * database of its own, since the worker database is emptied for the next test) and prints it.
   */
  dispose(keep?: boolean): Promise<void>;
}

/**
 * A migrated database with no rows: a copy of the run's migrated SQLite file in a temp dir, or
 * this worker's PostgreSQL database emptied (test/helpers/pg-worker-db.ts). One at a time per
 * test file: a PG test database is the worker's, and the next call empties it.
 */
export async function createTestDb(dialect: Dialect): Promise<TestDb> {
  if (dialect === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'orch-test-'));
    const path = join(dir, 'orch.db');
    copyFileSync(inject('sqliteTemplate'), path);
    const url = `sqlite:${path}`;
    const db = openDb(url);
    return {
      dialect,
      url,
      db,
      async dispose(keep = false) {
        await db.close().catch(() => undefined);
        if (keep) console.error(`kept failed test database: ${url}`);
        else rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  const url = await freshWorkerDb();
  const db = openDb(url, { maxConnections: 20 });
  return {
    dialect,
    url,
    db,
    async dispose(keep = false) {
      await db.close().catch(() => undefined);
      if (keep) console.error(`kept failed test database: ${await keepWorkerDb()}`);
    },
  };
}

/**
 * Runs the same suite once per dialect with an empty, migrated database for every test. A failed test's
 * database is kept and its URL printed.
 */
export function describeEachDialect(
  name: string,
  body: (ctx: { current: () => TestDb; dialect: Dialect }) => void,
): void {
  for (const dialect of DIALECTS) {
    describe(`${name} [${dialect}]`, () => {
      let current: TestDb | undefined;
      beforeEach(async () => {
        current = await createTestDb(dialect);
      });
      afterEach(async (ctx: TestContext) => {
        const failed = ctx.task.result?.state === 'fail';
        await current?.dispose(failed);
        current = undefined;
      });
      body({
        dialect,
        current: () => {
          if (!current) throw new Error('test database not ready');
          return current;
        },
      });
    });
  }
}
