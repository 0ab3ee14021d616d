import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Db, Dialect } from './db.js';
import type { PostgresDb } from './postgres/postgres-db.js';
import { OrchError } from '../errors.js';

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/** Arbitrary constant key for pg_advisory_lock: serializes migrations across replicas. */
const MIGRATION_LOCK_KEY = 727_001;

/** Reads `migrations/<dialect>/NNNN_name.sql`, ordered by number. */
export function loadMigrations(dialect: Dialect): Migration[] {
  const dir = fileURLToPath(new URL(`./migrations/${dialect}/`, import.meta.url));
  return readdirSync(dir)
    .filter((f) => /^\d{4}_[a-z0-9_]+\.sql$/.test(f))
    .sort()
    .map((file) => ({
      version: Number(file.slice(0, 4)),
      name: file.slice(5, -4),
      sql: readFileSync(`${dir}${file}`, 'utf8'),
    }));
}

export interface MigrateResult {
  applied: string[];
  version: number;
}

/**
 * First line of a SQLite migration that rebuilds a table other tables reference (SQLite cannot
 * alter a CHECK constraint in place): foreign keys are turned off around its transaction, as
 * SQLite's documented table-rebuild procedure requires, and `foreign_key_check` must come back
 * empty before the transaction commits.
 */
const SQLITE_REBUILD_MARK = '-- orch:rebuild-table';

const LEDGER_SQL =
  'create table if not exists orch_migrations (version integer primary key, name text not null, applied_at_ms bigint not null)';

/**
 * Applies pending migrations, each inside one transaction together with its ledger row.
 * Refuses (DB_NEWER_THAN_CODE) a database migrated by a newer Orch. On PostgreSQL an advisory
 * lock serializes concurrent starters; on SQLite BEGIN IMMEDIATE does.
 */
export async function migrate(
  db: Db,
  options: { nowMs?: number; migrations?: Migration[] } = {},
): Promise<MigrateResult> {
  const migrations = options.migrations ?? loadMigrations(db.dialect);
  const nowMs = options.nowMs ?? Date.now();
  if (db.dialect === 'postgres') {
    return withAdvisoryLock(db as PostgresDb, () => applyPending(db, migrations, nowMs));
  }
  return applyPending(db, migrations, nowMs);
}

async function applyPending(db: Db, migrations: Migration[], nowMs: number) {
  await db.exec(LEDGER_SQL);
  const known = Math.max(0, ...migrations.map((m) => m.version));
  const applied: string[] = [];
  let current = await currentVersion(db);
  if (current > known) {
    throw new OrchError(
      'DB_NEWER_THAN_CODE',
      `database schema is at version ${current} but this Orch knows only up to ${known}; upgrade Orch`,
      { details: { dbVersion: current, codeVersion: known } },
    );
  }
  // Apply every migration missing from the ledger (not just those above the highest applied):
  // a database migrated by a branch that lacked one still gets it.
  const done = new Set(
    (
      await db.all<{ version: number }>(
        `-- every migration version applied (the ledger)
         select version from orch_migrations`,
      )
    ).map((r) => Number(r.version)),
  );
  for (const m of migrations) {
    if (done.has(m.version)) continue;
    const rebuild = db.dialect === 'sqlite' && m.sql.startsWith(SQLITE_REBUILD_MARK);
    if (rebuild)
      await db.exec(`-- SQLite table rebuild: foreign keys off around its transaction
        pragma foreign_keys = off`);
    try {
      await applyOne(db, m, nowMs, rebuild, applied);
    } finally {
      if (rebuild)
        await db.exec(`-- SQLite table rebuild done: foreign keys on again
          pragma foreign_keys = on`);
    }
    current = Math.max(current, m.version);
  }
  return { applied, version: current };
}

async function applyOne(
  db: Db,
  m: Migration,
  nowMs: number,
  rebuild: boolean,
  applied: string[],
): Promise<void> {
  await db.tx(async (q) => {
    // Re-check inside the transaction: another process may have applied it meanwhile (SQLite).
    const row = await q.get(
      `-- migration $1 already applied?
       select 1 as x from orch_migrations where version = $1`,
      [m.version],
    );
    if (row) return;
    await q.exec(m.sql);
    if (rebuild) {
      const broken = await q.all(`-- a table rebuild left no dangling foreign key
        pragma foreign_key_check`);
      if (broken.length > 0)
        throw new OrchError(
          'MIGRATION_FAILED',
          `migration ${m.version}_${m.name} left ${broken.length} dangling foreign keys`,
        );
    }
    await q.run(
      `-- ledger: migration $1 ($2) applied at $3
       insert into orch_migrations (version, name, applied_at_ms) values ($1, $2, $3)`,
      [m.version, m.name, nowMs],
    );
    applied.push(`${String(m.version).padStart(4, '0')}_${m.name}`);
  });
}

export async function currentVersion(db: Db): Promise<number> {
  const row = await db.get<{ v: number | null }>(
    `-- the schema version: the newest migration applied
     select max(version) as v from orch_migrations`,
  );
  return Number(row?.v ?? 0);
}

/** The newest migration this code ships for the store's dialect. */
export function latestVersion(db: Pick<Db, 'dialect'>): number {
  return Math.max(0, ...loadMigrations(db.dialect).map((m) => m.version));
}

/** Resolves when the store answers a trivial query; throws the driver's error otherwise. */
export async function ping(db: Db): Promise<void> {
  await db.get(
    `-- liveness probe
     select 1 as one`,
  );
}

async function withAdvisoryLock<T>(db: PostgresDb, fn: () => Promise<T>): Promise<T> {
  const client = db.newClient();
  await client.connect();
  try {
    await client.query('-- serialize migrators across processes\nselect pg_advisory_lock($1)', [
      MIGRATION_LOCK_KEY,
    ]);
    try {
      return await fn();
    } finally {
      await client.query('-- let the next migrator in\nselect pg_advisory_unlock($1)', [
        MIGRATION_LOCK_KEY,
      ]);
    }
  } finally {
    await client.end();
  }
}
