import pg from 'pg';
import { expect, it } from 'vitest';
import { currentVersion, loadMigrations } from '../../src/store/migrate.js';
import { describeEachDialect } from '../helpers/test-db.js';

const INSERT_JOB =
  "insert into jobs (kind, available_at_ms, created_at_ms, updated_at_ms) values ('k', 0, 0, 0)";
const INSERT_TENANT = "insert into tenants (id, created_at_ms) values ('acme', 0)";

/**
 * The test databases themselves: on PostgreSQL every test of a worker shares one database that is
 * emptied in between, so what one test leaves behind must not reach the next. The tests in a file
 * run in order; each "leaves" test dirties the database, the test after it checks.
 */
describeEachDialect('test database isolation', ({ current, dialect }) => {
  let listener: pg.Client | undefined;
  let heard = 0;

  it('leaves rows, used sequences and an open LISTEN session behind', async () => {
    const { db, url } = current();
    for (let i = 0; i < 3; i++) await db.run(INSERT_JOB);
    await db.run(INSERT_TENANT);
    if (dialect === 'postgres') {
      listener = new pg.Client({ connectionString: url });
      listener.on('error', () => undefined);
      await listener.connect();
      await listener.query('listen orch_jobs');
      listener.on('notification', () => heard++);
    }
  });

  it('starts empty, with ids from 1, the ledger intact and the last test’s sessions ended', async () => {
    const { db } = current();
    expect(await db.get('select count(*) as n from jobs')).toEqual({ n: 0 });
    expect(await db.get('select count(*) as n from tenants')).toEqual({ n: 0 });
    expect(await currentVersion(db)).toBe(loadMigrations(dialect).at(-1)!.version);
    await db.run(INSERT_JOB);
    expect(await db.get<{ id: number }>('select id from jobs')).toEqual({ id: 1 });
    if (listener) {
      // The previous test's LISTEN session was ended: it hears nothing of this test's insert.
      await new Promise((r) => setTimeout(r, 100));
      expect(heard).toBe(0);
      await expect(listener.query('select 1')).rejects.toThrow();
      await listener.end().catch(() => undefined);
    }
  });

  it('leaves a trigger and a table of its own behind', async () => {
    const { db } = current();
    await db.exec('create table leftover_t (id integer)');
    await db.exec(
      dialect === 'postgres'
        ? `create function leftover_f() returns trigger language plpgsql as $$
             begin raise exception 'leftover trigger'; end $$;
           create trigger leftover_trg before insert on tenants
             for each row execute function leftover_f()`
        : `create trigger leftover_trg before insert on tenants
             begin select raise(abort, 'leftover trigger'); end`,
    );
  });

  it('starts from the migrated schema again after a test changed it', async () => {
    const { db } = current();
    await expect(db.run('select * from leftover_t')).rejects.toThrow();
    await db.run(INSERT_TENANT);
    expect(await db.get('select count(*) as n from tenants')).toEqual({ n: 1 });
  });
});
