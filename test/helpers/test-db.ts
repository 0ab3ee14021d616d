import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, inject, type TestContext } from 'vitest';
import { DIALECTS, type Db, type Dialect } from '../../src/store/db.js';
import { migrate } from '../../src/store/migrate.js';
import { openDb } from '../../src/store/open-db.js';
import { pgUrlFor, withPgAdmin } from './pg-admin.js';

export interface TestDb {
  dialect: Dialect;
  url: string;
  db: Db;
  /** Drops the database (or deletes the SQLite directory); `keep` leaves it for a post-mortem. */
  dispose(keep?: boolean): Promise<void>;
}

/** A fresh, migrated database: a SQLite file in a temp dir, or a clone of the PG template. */
export async function createTestDb(dialect: Dialect): Promise<TestDb> {
  if (dialect === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'orch-test-'));
    const url = `sqlite:${join(dir, 'orch.db')}`;
    const db = openDb(url);
    await migrate(db);
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
  const name = `orch_t_${Date.now().toString(36)}_${randomBytes(5).toString('hex')}`;
  const template = inject('pgTemplate');
  await withPgAdmin((admin) => admin.query(`create database "${name}" template "${template}"`));
  const url = pgUrlFor(name);
  const db = openDb(url, { maxConnections: 20 });
  return {
    dialect,
    url,
    db,
    async dispose(keep = false) {
      await db.close().catch(() => undefined);
      if (keep) console.error(`kept failed test database: ${url}`);
      else
        await withPgAdmin((admin) => admin.query(`drop database if exists "${name}" with (force)`));
    },
  };
}

/**
 * Runs the same suite once per dialect with a fresh database for every test. A failed test's
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
