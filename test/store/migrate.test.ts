import { expect, it } from 'vitest';
import { isOrchError } from '../../src/errors.js';
import { currentVersion, loadMigrations, migrate } from '../../src/store/migrate.js';
import { describeEachDialect } from '../helpers/test-db.js';

describeEachDialect('migrations', ({ current, dialect }) => {
  it('records every migration in the ledger and applies nothing twice', async () => {
    const { db } = current();
    const known = loadMigrations(dialect);
    expect(await currentVersion(db)).toBe(known.at(-1)!.version);
    expect(await migrate(db)).toEqual({ applied: [], version: known.at(-1)!.version });
  });

  it('applies a new migration in order, atomically with its ledger row', async () => {
    const { db } = current();
    const known = loadMigrations(dialect);
    const next = known.at(-1)!.version + 1;
    const extra = [
      ...known,
      { version: next, name: 'extra', sql: 'create table extra_t (id integer primary key);' },
    ];
    expect((await migrate(db, { migrations: extra })).applied).toEqual([
      `${String(next).padStart(4, '0')}_extra`,
    ]);
    await db.run('insert into extra_t (id) values (1)');

    const broken = [
      ...extra,
      {
        version: next + 1,
        name: 'broken',
        sql: 'create table ok_t (id integer); select * from no_such_table;',
      },
    ];
    await expect(migrate(db, { migrations: broken })).rejects.toThrow();
    expect(await currentVersion(db)).toBe(next);
    await expect(db.run('select * from ok_t')).rejects.toThrow();
  });

  it('refuses a database migrated by a newer Orch', async () => {
    const { db } = current();
    await db.run(
      'insert into orch_migrations (version, name, applied_at_ms) values (9999, $1, 0)',
      ['future'],
    );
    const err = await migrate(db).catch((e: unknown) => e);
    expect(isOrchError(err, 'DB_NEWER_THAN_CODE')).toBe(true);
  });
});

describeEachDialect('migrations with a gap', ({ current, dialect }) => {
  it('applies a migration missing from the ledger even below the highest applied version', async () => {
    const { db } = current();
    const known = loadMigrations(dialect);
    const top = known.at(-1)!.version;
    const withGap = [
      ...known,
      { version: top + 2, name: 'later', sql: 'create table later_t (id integer);' },
    ];
    await migrate(db, { migrations: withGap });
    const filled = [
      ...withGap,
      { version: top + 1, name: 'gap', sql: 'create table gap_t (id integer);' },
    ].sort((a, b) => a.version - b.version);
    expect((await migrate(db, { migrations: filled })).applied).toEqual([
      `${String(top + 1).padStart(4, '0')}_gap`,
    ]);
    await db.run('insert into gap_t (id) values (1)');
  });
});
