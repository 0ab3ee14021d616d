import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';
import { PG_ADMIN_URL, pgUrlFor, withPgAdmin } from './pg-admin.js';
import { resetWorkerDb } from './pg-reset.js';

/**
 * One PostgreSQL database per vitest worker slot, cloned once from the run's migrated template and
 * emptied before every test. Cloning costs 250–350 ms on these machines, a reset a few ms.
 *
 * Names: template `orch_tpl_<run>`, worker database `orch_w_<run>_<slot>`, a failed test's copy
 * `orch_t_<time>_<hex>`. A slot is a session-level advisory lock this process takes on the admin
 * database and holds until it exits, so two live test processes never share a worker database.
 * (`VITEST_POOL_ID` is not enough: with two projects, vitest 4 hands pool id 1 to two concurrent
 * workers of the second one, and one file's reset emptied the other's rows mid-test.) The run's
 * teardown drops them all.
 */
let slot: Promise<number> | undefined;

/** The lowest slot no live process of this run holds; taken for this process's lifetime. */
function claimSlot(run: string): Promise<number> {
  slot ??= (async () => {
    const client = new pg.Client({ connectionString: PG_ADMIN_URL });
    client.on('error', () => undefined);
    await client.connect();
    const key = runKey(run);
    for (let n = 1; ; n++) {
      const r = await client.query<{ ok: boolean }>(
        'select pg_try_advisory_lock($1::int, $2::int) as ok',
        [key, n],
      );
      if (r.rows[0]!.ok) return n;
    }
  })();
  return slot;
}

/** A 32-bit key for the run, the first half of the slot lock's two-int key. */
function runKey(run: string): number {
  let h = 0;
  for (const c of run) h = (Math.imul(h, 31) + c.charCodeAt(0)) | 0;
  return h;
}

export async function workerDbName(template: string): Promise<string> {
  const run = template.replace(/^orch_tpl_/, '');
  return `orch_w_${run}_${await claimSlot(run)}`;
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
  const name = await workerDbName(template);
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
  const source = await workerDbName(inject('pgTemplate'));
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
