import type pg from 'pg';

/** The migration ledger: the only table a reset keeps, since it describes the schema. */
export const LEDGER_TABLE = 'orch_migrations';

/** Outside these schemas everything belongs to PostgreSQL itself. */
const USER_NS = `n.nspname not like 'pg\\_%' and n.nspname <> 'information_schema'`;

/**
 * A digest of everything a test could change besides rows: schemas, relations with their RLS flag
 * and grants, columns, functions, triggers, policies, and the ledger. A test that adds a table, a
 * trigger or a ledger row (migrate.test.ts, failed-start.test.ts) changes it, and the worker
 * database is then cloned afresh instead of truncated.
 */
const FINGERPRINT_SQL = `-- test reset: a digest of the schema, to notice a test that changed it
select md5(coalesce(string_agg(x, ',' order by x), '')) as fp from (
  select 'n:' || n.nspname as x from pg_namespace n where ${USER_NS}
  union all
  select 'c:' || c.oid::regclass::text || ':' || c.relkind::text || ':' || c.relrowsecurity::text || ':'
      || coalesce(c.relacl::text, '')
    from pg_class c join pg_namespace n on n.oid = c.relnamespace where ${USER_NS}
  union all
  select 'a:' || a.attrelid::regclass::text || '.' || a.attname || ':'
      || format_type(a.atttypid, a.atttypmod) || ':' || a.attnotnull::text
    from pg_attribute a join pg_class c on c.oid = a.attrelid
    join pg_namespace n on n.oid = c.relnamespace
    where a.attnum > 0 and not a.attisdropped and ${USER_NS}
  union all
  select 'f:' || p.oid::regprocedure::text
    from pg_proc p join pg_namespace n on n.oid = p.pronamespace where ${USER_NS}
  union all
  select 't:' || t.tgrelid::regclass::text || '.' || t.tgname || ':' || t.tgenabled::text
    from pg_trigger t where not t.tgisinternal
  union all
  select 'p:' || p.polrelid::regclass::text || '.' || p.polname from pg_policy p
  union all
  select 'm:' || version::text || ':' || name from ${LEDGER_TABLE}
) s`;

/**
 * Every table but the ledger (partitions are reached through their parent), the tables each one
 * references, and every sequence.
 */
const TABLES_SQL = `-- test reset: the tables a reset empties and what they reference
select c.oid::regclass::text as name,
    coalesce(array_agg(distinct f.confrelid::regclass::text)
      filter (where f.confrelid is not null and f.confrelid <> c.oid), '{}') as refs
  from pg_class c join pg_namespace n on n.oid = c.relnamespace
  left join pg_constraint f on f.conrelid = c.oid and f.contype = 'f'
  where c.relkind in ('r', 'p') and not c.relispartition and ${USER_NS}
    and c.oid <> '${LEDGER_TABLE}'::regclass
  group by c.oid`;

const SEQUENCES_SQL = `-- test reset: the sequences a reset restarts
select s.oid::regclass::text as name
  from pg_class s join pg_namespace n on n.oid = s.relnamespace
  where s.relkind = 'S' and ${USER_NS}`;

/** What a reset needs to know about the migrated schema; computed once from the template. */
export interface ResetPlan {
  fingerprint: string;
  /** One statement naming the tables that hold rows and the sequences that were used. */
  dirtySql: string;
  /**
   * Tables ordered so that each comes before every table it references: deleting in this order
   * never trips a foreign key. Null when references form a cycle; the reset then truncates.
   */
  deleteOrder: string[] | null;
}

export async function schemaFingerprint(client: pg.Client): Promise<string> {
  const res = await client.query<{ fp: string }>(FINGERPRINT_SQL);
  return res.rows[0]!.fp;
}

/** Referencing tables first; null on a cycle. */
function deleteOrder(tables: { name: string; refs: string[] }[]): string[] | null {
  const referencedBy = new Map(tables.map((t) => [t.name, 0]));
  for (const t of tables)
    for (const r of t.refs) referencedBy.set(r, (referencedBy.get(r) ?? 0) + 1);
  const ready = tables.filter((t) => referencedBy.get(t.name) === 0);
  const byName = new Map(tables.map((t) => [t.name, t]));
  const order: string[] = [];
  while (ready.length > 0) {
    const t = ready.pop()!;
    order.push(t.name);
    for (const r of t.refs) {
      const left = referencedBy.get(r)! - 1;
      referencedBy.set(r, left);
      const target = byName.get(r);
      if (left === 0 && target) ready.push(target);
    }
  }
  return order.length === tables.length ? order : null;
}

const quote = (text: string) => `'${text.replaceAll("'", "''")}'`;

/** Reads the migrated schema (the template) and builds what a reset runs. */
export async function resetPlan(client: pg.Client): Promise<ResetPlan> {
  const tables = (await client.query<{ name: string; refs: string[] }>(TABLES_SQL)).rows;
  const sequences = (await client.query<{ name: string }>(SEQUENCES_SQL)).rows;
  const parts = [
    ...tables.map(
      (t) =>
        `select 'table' as kind, ${quote(t.name)} as name where exists (select 1 from ${t.name})`,
    ),
    ...sequences.map((s) => `select 'sequence', ${quote(s.name)} from ${s.name} where is_called`),
  ];
  const dirtySql =
    parts.length === 0
      ? `select null::text as kind, null::text as name where false`
      : `-- test reset: the tables holding rows and the sequences used\n${parts.join('\nunion all\n')}`;
  return {
    fingerprint: await schemaFingerprint(client),
    dirtySql,
    deleteOrder: deleteOrder(tables),
  };
}

/** The tables a migration seeded with rows: a reset would lose them, so the plan must refuse. */
export async function seededTables(client: pg.Client, plan: ResetPlan): Promise<string[]> {
  const res = await client.query<{ kind: string; name: string }>(plan.dirtySql);
  return res.rows.filter((r) => r.kind === 'table').map((r) => r.name);
}

/**
 * Empties a worker database for the next test: ends every other session on it (pools a test left
 * open, LISTEN connections, session advisory locks), deletes the rows of the tables that have
 * any and restarts the sequences that were used, so ids start at 1 again. DELETE, not TRUNCATE:
 * on these machines truncating two tables took 245 ms (new files, fsync), deleting them 12 ms.
 * Returns false when the schema differs from the template and the database must be cloned afresh.
 */
export async function resetWorkerDb(client: pg.Client, plan: ResetPlan): Promise<boolean> {
  await client.query(
    `-- test reset: end every other session on this database, waiting up to 5 s for each
    select pg_terminate_backend(pid, 5000) from pg_stat_activity
    where datname = current_database() and pid <> pg_backend_pid()`,
  );
  const fingerprint = await schemaFingerprint(client).catch(() => null);
  if (fingerprint !== plan.fingerprint) return false;
  const dirty = await client.query<{ kind: 'table' | 'sequence'; name: string }>(plan.dirtySql);
  const tables = new Set(dirty.rows.filter((r) => r.kind === 'table').map((r) => r.name));
  const sequences = dirty.rows.filter((r) => r.kind === 'sequence').map((r) => r.name);
  const statements = plan.deleteOrder
    ? plan.deleteOrder.filter((t) => tables.has(t)).map((t) => `delete from ${t}`)
    : tables.size > 0
      ? [`truncate table ${[...tables].join(', ')} cascade`]
      : [];
  statements.push(...sequences.map((s) => `alter sequence ${s} restart`));
  if (statements.length > 0)
    await client.query(`-- test reset\nbegin;\n${statements.join(';\n')};\ncommit`);
  return true;
}
