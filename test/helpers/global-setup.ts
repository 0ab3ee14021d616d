import { randomBytes } from 'node:crypto';
import type { TestProject } from 'vitest/node';
import { PostgresDb } from '../../src/store/postgres/postgres-db.js';
import { migrate } from '../../src/store/migrate.js';
import { pgUrlFor, withPgAdmin } from './pg-admin.js';

declare module 'vitest' {
  export interface ProvidedContext {
    pgTemplate: string;
  }
}

/** Databases from runs that died more than this long ago are dropped; live runs are left alone. */
const STALE_MS = 3 * 60 * 60 * 1000;

/** `orch_tpl_<base36 ms>_<hex>` / `orch_t_<base36 ms>_<hex>`: the time lets any run clean up. */
function createdAt(datname: string): number | null {
  const m = /^orch_(?:tpl|t)_([0-9a-z]+)_[0-9a-f]+$/.exec(datname);
  return m ? parseInt(m[1]!, 36) : null;
}

/**
 * Builds one migrated PostgreSQL template database per test run; every test clones it
 * (graphile-worker's createTestDatabase). Several runs may share the server at once, so each has
 * its own template, and only databases of runs long dead are removed.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const template = `orch_tpl_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
  await withPgAdmin(async (admin) => {
    const all = await admin.query<{ datname: string }>(
      "select datname from pg_database where datname like 'orch\\_t%'",
    );
    for (const { datname } of all.rows) {
      const at = createdAt(datname);
      if (at === null || Date.now() - at < STALE_MS) continue;
      await admin.query(`alter database "${datname}" is_template false`).catch(() => undefined);
      await admin.query(`drop database if exists "${datname}" with (force)`).catch(() => undefined);
    }
    await admin.query(`create database "${template}"`);
  });
  const db = new PostgresDb(pgUrlFor(template));
  try {
    await migrate(db);
  } finally {
    await db.close();
  }
  await withPgAdmin((admin) => admin.query(`alter database "${template}" is_template true`));
  project.provide('pgTemplate', template);
  return async () => {
    await withPgAdmin(async (admin) => {
      await admin.query(`alter database "${template}" is_template false`);
      await admin.query(`drop database if exists "${template}" with (force)`);
    }).catch(() => undefined);
  };
}
