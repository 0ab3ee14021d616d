import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';
import { pgUrlFor, withPgAdmin } from './pg-admin.js';
import { resetWorkerDb } from './pg-reset.js';

/**
 * One PostgreSQL database per vitest worker slot, cloned once from the run's migrated template and
 * emptied before every test. Cloning costs 250–350 ms on these machines, a reset a few ms.
 *
 * Names: template `orch_tpl_<run>`, worker database `orch_w_<run>_<VITEST_POOL_ID>`, a failed
 * test's copy `orch_t_<time>_<hex>`. Vitest hands a pool id to one test file at a time, so two
 * files never share a worker database at once; the run's teardown drops them all.
 */
export function workerDbName(template: string): string {
  const run = template.replace(/^orch_tpl_/, '');
  return `orch_w_${run}_${process.env.VITEST_POOL_ID ?? '0'}`;
}

let ready: string | undefined;
/** This process's session on its worker database, kept between tests (connecting costs 5–80 ms). */
let session: pg.Client | undefined;

async function cloneTemplate(name: string, template: string, replace: boolean): Promise<void> {
  await endSession();
  await withPgAdmin(async (admin) => {
    if (replace) await admin.query(`drop database if exists "${name}" with (force)`);
    const exists = await admin.query('select 1 from pg_database where datname = $1', [name]);
    if (exists.rowCount === 0)
      await admin.query(`create database "${name}" template "${template}"`);
  });
}

async function endSession(): Promise<void> {
  const s = session;
  session = undefined;
  await s?.end().catch(() => undefined);
}

async function workerSession(url: string): Promise<pg.Client> {
  if (session) return session;
  const client = new pg.Client({ connectionString: url });
  // Ended from outside (a drop with force): forget it, the next reset connects again.
  client.on('error', () => {
    if (session === client) session = undefined;
  });
  client.on('end', () => {
    if (session === client) session = undefined;
  });
  await client.connect();
  session = client;
  return client;
}

/** This worker's database, emptied: every table but the ledger has no rows, every id starts at 1. */
export async function freshWorkerDb(): Promise<string> {
  const template = inject('pgTemplate');
  const name = workerDbName(template);
  const url = pgUrlFor(name);
  if (ready !== name) {
    await cloneTemplate(name, template, false);
    ready = name;
  }
  const reset = async () => resetWorkerDb(await workerSession(url), inject('pgResetPlan'));
  // A session ended since the last test fails its first query: reconnect once.
  const same = await reset().catch(async () => {
    await endSession();
    return reset();
  });
  if (same) return url;
  // A test changed the schema (a migration test, an injected trigger): start from the template.
  await cloneTemplate(name, template, true);
  return url;
}

/**
 * Copies the worker database as it is now to a database of its own and returns its URL, so a
 * failed test's rows survive the next test's reset. Other sessions on it are ended first (a clone
 * needs the source to itself).
 */
export async function keepWorkerDb(): Promise<string> {
  const source = workerDbName(inject('pgTemplate'));
  const copy = `orch_t_${Date.now().toString(36)}_${randomBytes(5).toString('hex')}`;
  await endSession();
  await withPgAdmin(async (admin) => {
    await admin.query(
      'select pg_terminate_backend(pid, 5000) from pg_stat_activity where datname = $1',
      [source],
    );
    await admin.query(`create database "${copy}" template "${source}"`);
  });
  return pgUrlFor(copy);
}
