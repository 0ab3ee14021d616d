import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { PostgresDb } from '../../src/store/postgres/postgres-db.js';
import { migrate } from '../../src/store/migrate.js';
import { openDb } from '../../src/store/open-db.js';
import { pgUrlFor, withPgAdmin } from './pg-admin.js';
import { resetPlan, seededTables, type ResetPlan } from './pg-reset.js';
import { bundleSimAgent } from './sim-agent-bundle.js';

declare module 'vitest' {
  export interface ProvidedContext {
    pgTemplate: string;
    pgResetPlan: ResetPlan;
    sqliteTemplate: string;
    simAgentBundle: string;
  }
}

/**
 * Databases (and sim-agent bundles) from runs that died more than this long ago are removed; live
 * runs are left alone.
 */
const STALE_MS = 3 * 60 * 60 * 1000;

/**
 * `orch_tpl_<base36 ms>_<hex>` (template), `orch_w_<base36 ms>_<hex>_<n>` (worker database),
 * `orch_t_<base36 ms>_<hex>` (a failed test's copy): the time lets any run clean up.
 */
function createdAt(datname: string): number | null {
  const m = /^orch_(?:tpl|t|w)_([0-9a-z]+)_[0-9a-f]+(?:_\d+)?$/.exec(datname);
  return m ? parseInt(m[1]!, 36) : null;
}

async function dropStale(admin: pg.Client): Promise<void> {
  const all = await admin.query<{ datname: string }>(
    "select datname from pg_database where datname like 'orch\\_%'",
  );
  for (const { datname } of all.rows) {
    const at = createdAt(datname);
    if (at === null || Date.now() - at < STALE_MS) continue;
    await admin.query(`alter database "${datname}" is_template false`).catch(() => undefined);
    await admin.query(`drop database if exists "${datname}" with (force)`).catch(() => undefined);
  }
}

/** The migrated PostgreSQL template and the statements that reset a clone of it. */
async function pgTemplate(template: string): Promise<ResetPlan> {
  await withPgAdmin(async (admin) => {
    await dropStale(admin);
    await admin.query(`create database "${template}"`);
  });
  const db = new PostgresDb(pgUrlFor(template));
  try {
    await migrate(db);
  } finally {
    await db.close();
  }
  const client = new pg.Client({ connectionString: pgUrlFor(template) });
  await client.connect();
  let plan: ResetPlan;
  try {
    plan = await resetPlan(client);
    const seeded = await seededTables(client, plan);
    if (seeded.length > 0)
      throw new Error(
        `migrations seed rows in ${seeded.join(', ')}: the per-worker reset (test/helpers/pg-reset.ts) would remove them`,
      );
  } finally {
    await client.end();
  }
  await withPgAdmin((admin) => admin.query(`alter database "${template}" is_template true`));
  return plan;
}

/** A migrated SQLite file every SQLite test copies (migrating costs more than copying). */
async function sqliteTemplate(dir: string): Promise<string> {
  const path = join(dir, 'template.db');
  const db = openDb(`sqlite:${path}`);
  try {
    await migrate(db);
  } finally {
    await db.close();
  }
  return path;
}

/**
 * Builds one migrated PostgreSQL template database and one migrated SQLite file per test run.
 * Each vitest worker clones the PG template once and empties its clone between tests
 * (test/helpers/pg-worker-db.ts); each SQLite test copies the file. Several runs may share the
 * server at once, so each has its own template, and only databases of runs long dead are removed.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const run = `${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
  const template = `orch_tpl_${run}`;
  const sqliteDir = mkdtempSync(join(tmpdir(), 'orch-template-'));
  // Not under /tmp: a sandboxed agent (src/agents/sandbox.ts) gets a private /tmp.
  const bundleDir = fileURLToPath(
    new URL('../../node_modules/.cache/orch-tests/', import.meta.url),
  );
  mkdirSync(bundleDir, { recursive: true });
  for (const name of readdirSync(bundleDir)) {
    const path = join(bundleDir, name);
    // Another run may remove its own bundle between the listing and this look.
    const mtimeMs = statSync(path, { throwIfNoEntry: false })?.mtimeMs ?? Date.now();
    if (Date.now() - mtimeMs > STALE_MS) rmSync(path, { force: true });
  }
  const bundle = join(bundleDir, `sim-agent-${run}.mjs`);
  const [plan, sqlitePath] = await Promise.all([
    pgTemplate(template),
    sqliteTemplate(sqliteDir),
    bundleSimAgent(bundle),
  ]);
  project.provide('pgTemplate', template);
  project.provide('pgResetPlan', plan);
  project.provide('sqliteTemplate', sqlitePath);
  project.provide('simAgentBundle', bundle);
  // Watch mode: a rerun may follow an edit of the scripted agent. A failed build (a syntax error
  // being typed) keeps the previous bundle: thrown here, it would end the whole watch session.
  project.onTestsRerun(() =>
    bundleSimAgent(bundle).catch((err: unknown) => {
      console.error(`sim-agent bundle not rebuilt: ${String(err)}`);
    }),
  );
  return async () => {
    rmSync(sqliteDir, { recursive: true, force: true });
    rmSync(bundle, { force: true });
    await withPgAdmin(async (admin) => {
      const workers = await admin.query<{ datname: string }>(
        'select datname from pg_database where datname like $1',
        [`orch\\_w\\_${run}\\_%`],
      );
      for (const { datname } of workers.rows)
        await admin.query(`drop database if exists "${datname}" with (force)`);
      await admin.query(`alter database "${template}" is_template false`);
      await admin.query(`drop database if exists "${template}" with (force)`);
    }).catch(() => undefined);
  };
}
