import { PostgresDb } from '../../src/store/postgres/postgres-db.js';
import { migrate } from '../../src/store/migrate.js';
import { PG_TEMPLATE_DB, pgUrlFor, withPgAdmin } from './pg-admin.js';

/**
 * Builds one migrated PostgreSQL template database per test run; every test clones it
 * (graphile-worker's createTestDatabase). Databases left by earlier runs are dropped first.
 */
export default async function setup(): Promise<void> {
  await withPgAdmin(async (admin) => {
    const old = await admin.query<{ datname: string }>(
      "select datname from pg_database where datname like 'orch_t_%' or datname = $1",
      [PG_TEMPLATE_DB],
    );
    for (const { datname } of old.rows) {
      await admin.query(`alter database "${datname}" is_template false`).catch(() => undefined);
      await admin.query(`drop database if exists "${datname}" with (force)`);
    }
    await admin.query(`create database "${PG_TEMPLATE_DB}"`);
  });
  const db = new PostgresDb(pgUrlFor(PG_TEMPLATE_DB));
  try {
    await migrate(db);
  } finally {
    await db.close();
  }
  await withPgAdmin((admin) => admin.query(`alter database "${PG_TEMPLATE_DB}" is_template true`));
}
