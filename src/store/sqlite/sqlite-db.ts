import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { Db, Queryable, RunResult, SqlParam } from '../db.js';
import { OrchError } from '../../errors.js';

const BUSY_RETRIES = 50;

interface Prepared {
  stmt: Database.Statement;
  /** The 1-based parameter numbers the statement uses. */
  used: number[];
}

function bindValue(p: SqlParam): unknown {
  if (p === undefined) return null;
  if (typeof p === 'boolean') return p ? 1 : 0;
  if (Array.isArray(p)) return JSON.stringify(p);
  return p;
}

/**
 * `$1` → `@p1`, bound by name: better-sqlite3 cannot bind SQLite's `?NNN` from an array when a
 * number repeats or is skipped, and our shared SQL does both.
 */
function bindable(prepared: Prepared, params: readonly SqlParam[]): [Record<string, unknown>] | [] {
  if (prepared.used.length === 0) return [];
  const named: Record<string, unknown> = {};
  for (const n of prepared.used) named[`p${n}`] = bindValue(params[n - 1]);
  return [named];
}

function isBusy(err: unknown): boolean {
  const code = (err as { code?: unknown }).code;
  return code === 'SQLITE_BUSY' || code === 'SQLITE_BUSY_SNAPSHOT' || code === 'SQLITE_LOCKED';
}

/**
 * SQLite through better-sqlite3: WAL, synchronous=FULL (an acknowledged write survives power loss,
 * not just a process crash), a busy timeout for other processes on the same file. Statements are
 * synchronous and so never interleave; a transaction holds an async lock so that statements from
 * other callers cannot slip into it while its body awaits.
 */
export class SqliteDb implements Db {
  readonly dialect = 'sqlite' as const;
  readonly url: string;
  readonly #db: Database.Database;
  readonly #statements = new Map<string, Prepared>();
  #txTail: Promise<void> = Promise.resolve();
  #inTx = false;

  constructor(url: string, path: string, options: { busyTimeoutMs?: number } = {}) {
    this.url = url;
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    try {
      this.#db = new Database(path, { timeout: options.busyTimeoutMs ?? 5000 });
    } catch (err) {
      throw new OrchError('DB_OPEN_FAILED', `cannot open SQLite database at ${path}`, {
        cause: err,
      });
    }
    this.#db.pragma('journal_mode = WAL');
    this.#db.pragma('synchronous = FULL');
    this.#db.pragma('foreign_keys = ON');
  }

  #prepare(sql: string): Prepared {
    let prepared = this.#statements.get(sql);
    if (!prepared) {
      const used = [...new Set([...sql.matchAll(/\$(\d+)/g)].map((m) => Number(m[1])))];
      prepared = { stmt: this.#db.prepare(sql.replace(/\$(\d+)/g, '@p$1')), used };
      this.#statements.set(sql, prepared);
    }
    return prepared;
  }

  #all(sql: string, params: readonly SqlParam[]): unknown[] {
    const p = this.#prepare(sql);
    return p.stmt.all(...bindable(p, params));
  }

  #get(sql: string, params: readonly SqlParam[]): unknown {
    const p = this.#prepare(sql);
    return p.stmt.get(...bindable(p, params));
  }

  #run(sql: string, params: readonly SqlParam[]): RunResult {
    const p = this.#prepare(sql);
    return { changes: p.stmt.run(...bindable(p, params)).changes };
  }

  /** Retries a statement while another process holds the write lock past the busy timeout. */
  #withBusyRetry<T>(fn: () => T): T {
    for (let attempt = 0; ; attempt++) {
      try {
        return fn();
      } catch (err) {
        if (!isBusy(err) || this.#inTx || attempt >= BUSY_RETRIES) throw err;
      }
    }
  }

  #direct(): Queryable {
    return {
      dialect: 'sqlite',
      all: <T>(sql: string, params: readonly SqlParam[] = []) =>
        Promise.resolve(this.#withBusyRetry(() => this.#all(sql, params) as T[])),
      get: <T>(sql: string, params: readonly SqlParam[] = []) =>
        Promise.resolve(this.#withBusyRetry(() => this.#get(sql, params) as T | undefined)),
      run: (sql: string, params: readonly SqlParam[] = []) =>
        Promise.resolve(this.#withBusyRetry(() => this.#run(sql, params))),
      exec: (sql: string) => Promise.resolve(this.#withBusyRetry(() => void this.#db.exec(sql))),
    };
  }

  async all<T>(sql: string, params?: readonly SqlParam[]): Promise<T[]> {
    await this.#txTail;
    return this.#direct().all<T>(sql, params);
  }

  async get<T>(sql: string, params?: readonly SqlParam[]): Promise<T | undefined> {
    await this.#txTail;
    return this.#direct().get<T>(sql, params);
  }

  async run(sql: string, params?: readonly SqlParam[]): Promise<RunResult> {
    await this.#txTail;
    return this.#direct().run(sql, params);
  }

  async exec(sql: string): Promise<void> {
    await this.#txTail;
    return this.#direct().exec(sql);
  }

  async tx<T>(fn: (q: Queryable) => Promise<T>): Promise<T> {
    const previous = this.#txTail;
    let release!: () => void;
    this.#txTail = new Promise<void>((resolve) => (release = resolve));
    await previous;
    try {
      this.#withBusyRetry(() => this.#db.exec('begin immediate'));
      this.#inTx = true;
      try {
        const result = await fn(this.#direct());
        this.#db.exec('commit');
        return result;
      } catch (err) {
        if (this.#db.inTransaction) this.#db.exec('rollback');
        throw err;
      } finally {
        this.#inTx = false;
      }
    } finally {
      release();
    }
  }

  async close(): Promise<void> {
    await this.#txTail;
    this.#db.close();
  }
}
