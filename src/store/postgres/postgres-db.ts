import pg from 'pg';
import type { Db, Queryable, RunResult, Sql, SqlParam } from '../db.js';
import { OrchError } from '../../errors.js';

/** int8 (counts, epoch ms) and numeric (cost) as JS numbers: every value we store fits. */
const NUMBER_OIDS: ReadonlySet<number> = new Set([
  pg.types.builtins.INT8,
  pg.types.builtins.NUMERIC,
]);
const types = {
  getTypeParser(oid: number, format?: 'text' | 'binary'): (value: string) => unknown {
    if (NUMBER_OIDS.has(oid)) return (value: string) => Number(value);
    return pg.types.getTypeParser(oid, format) as (value: string) => unknown;
  },
};

/** A connected client's server process id (`pg` keeps it for cancel requests; untyped). */
function backendPid(client: pg.PoolClient): number | null {
  const pid = (client as unknown as { processID?: unknown }).processID;
  return typeof pid === 'number' ? pid : null;
}

function toPg(params: readonly SqlParam[]): unknown[] {
  return params.map((p) => (p === undefined ? null : p));
}

/** A named statement is parsed and planned once per connection, then only bound (pg caches it). */
function query(client: pg.Pool | pg.PoolClient, sql: Sql, params: readonly SqlParam[]) {
  if (typeof sql === 'string') return client.query(sql, toPg(params));
  return client.query({ name: sql.name, text: sql.text, values: toPg(params) });
}

/** `query` with each row as an array (`rowMode: 'array'`). */
function queryTuples(client: pg.Pool | pg.PoolClient, sql: Sql, params: readonly SqlParam[]) {
  const named = typeof sql === 'string' ? { text: sql } : { name: sql.name, text: sql.text };
  return client.query<unknown[]>({ ...named, values: toPg(params), rowMode: 'array' });
}

function queryable(client: pg.Pool | pg.PoolClient): Queryable {
  return {
    dialect: 'postgres',
    async all<T>(sql: Sql, params: readonly SqlParam[] = []) {
      const res = await query(client, sql, params);
      return res.rows as T[];
    },
    async tuples(sql: Sql, params: readonly SqlParam[] = []) {
      return (await queryTuples(client, sql, params)).rows;
    },
    async get<T>(sql: Sql, params: readonly SqlParam[] = []) {
      const res = await query(client, sql, params);
      return res.rows[0] as T | undefined;
    },
    async run(sql: Sql, params: readonly SqlParam[] = []): Promise<RunResult> {
      const res = await query(client, sql, params);
      return { changes: res.rowCount ?? 0 };
    },
    async exec(sql: string) {
      await client.query(sql);
    },
  };
}

export interface PostgresDbOptions {
  maxConnections?: number;
  applicationName?: string;
}

/** PostgreSQL through a `pg` pool. Each statement runs on any pooled connection; `tx` pins one. */
export class PostgresDb implements Db {
  readonly dialect = 'postgres' as const;
  readonly url: string;
  readonly pool: pg.Pool;
  readonly #q: Queryable;
  /** The server process ids of this pool's connections (what a NOTIFY names as its sender). */
  readonly #backends = new Set<number>();

  constructor(url: string, options: PostgresDbOptions = {}) {
    this.url = url;
    this.pool = new pg.Pool({
      connectionString: url,
      max: options.maxConnections ?? 10,
      application_name: options.applicationName ?? 'orch',
      types,
    });
    // An idle client losing its connection must not crash the process; the pool replaces it.
    this.pool.on('error', () => undefined);
    this.pool.on('connect', (c) => {
      const pid = backendPid(c);
      if (pid !== null) this.#backends.add(pid);
    });
    this.pool.on('remove', (c) => {
      const pid = backendPid(c);
      if (pid !== null) this.#backends.delete(pid);
    });
    this.#q = queryable(this.pool);
  }

  /** Whether server process `pid` is one of this pool's connections. */
  ownsBackend(pid: number): boolean {
    return this.#backends.has(pid);
  }

  /** A standalone client with the same parsing rules (LISTEN, advisory locks). */
  newClient(): pg.Client {
    return new pg.Client({ connectionString: this.url, types });
  }

  all<T>(sql: Sql, params?: readonly SqlParam[]): Promise<T[]> {
    return this.#q.all<T>(sql, params);
  }

  tuples(sql: Sql, params?: readonly SqlParam[]): Promise<unknown[][]> {
    return this.#q.tuples(sql, params);
  }

  get<T>(sql: Sql, params?: readonly SqlParam[]): Promise<T | undefined> {
    return this.#q.get<T>(sql, params);
  }

  run(sql: Sql, params?: readonly SqlParam[]): Promise<RunResult> {
    return this.#q.run(sql, params);
  }

  async exec(sql: string): Promise<void> {
    await this.pool.query(sql);
  }

  async tx<T>(fn: (q: Queryable) => Promise<T>): Promise<T> {
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (err) {
      throw new OrchError('DB_UNAVAILABLE', 'cannot connect to PostgreSQL', { cause: err });
    }
    try {
      await client.query('begin');
      const result = await fn(queryable(client));
      await client.query('commit');
      return result;
    } catch (err) {
      await client.query('rollback').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
