import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import {
  sqlText,
  type Db,
  type Queryable,
  type RunResult,
  type Sql,
  type SqlParam,
} from '../db.js';
import { OrchError } from '../../errors.js';

/**
 * better-sqlite3 is synchronous: while SQLite's busy handler waits for another process's write
 * lock, the whole event loop waits too (timers, HTTP, heartbeats). So the blocking wait is kept
 * to a few milliseconds and longer waits are retried asynchronously, with backoff, up to a bound.
 */
const BLOCKING_BUSY_MS = 5;
const DEFAULT_BUSY_WAIT_MS = 30_000;
const BACKOFF_FIRST_MS = 1;
const BACKOFF_MAX_MS = 50;

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

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * SQLite through better-sqlite3: WAL, synchronous=FULL (an acknowledged write survives power loss,
 * not just a process crash). Statements are synchronous and so never interleave; a transaction
 * holds an async lock so that statements from other callers cannot slip into it while its body
 * awaits. When another process holds the write lock, a statement (or BEGIN) is retried
 * asynchronously with backoff for up to `busyWaitMs` (default 30 s), never blocking the event loop
 * for more than a few milliseconds; after that it throws SQLITE_BUSY.
 */
export class SqliteDb implements Db {
  readonly dialect = 'sqlite' as const;
  readonly url: string;
  readonly #db: Database.Database;
  readonly #statements = new Map<string, Prepared>();
  readonly #rawStatements = new Map<string, Prepared>();
  readonly #busyWaitMs: number;
  #txTail: Promise<void> = Promise.resolve();
  #inTx = false;

  constructor(url: string, path: string, options: { busyWaitMs?: number } = {}) {
    this.url = url;
    this.#busyWaitMs = options.busyWaitMs ?? DEFAULT_BUSY_WAIT_MS;
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    try {
      this.#db = new Database(path, { timeout: BLOCKING_BUSY_MS });
    } catch (err) {
      throw new OrchError('DB_OPEN_FAILED', `cannot open SQLite database at ${path}`, {
        cause: err,
      });
    }
    this.#db.pragma('journal_mode = WAL');
    this.#db.pragma('synchronous = FULL');
    this.#db.pragma('foreign_keys = ON');
  }

  /**
   * Every statement is prepared once and cached by its text, so a `NamedSql` needs nothing more.
   * A statement read as tuples is a second prepared statement in raw mode (arrays, not objects).
   */
  #prepare(named: Sql, raw = false): Prepared {
    const sql = sqlText(named);
    const statements = raw ? this.#rawStatements : this.#statements;
    let prepared = statements.get(sql);
    if (!prepared) {
      const used = [...new Set([...sql.matchAll(/\$(\d+)/g)].map((m) => Number(m[1])))];
      const stmt = this.#db.prepare(sql.replace(/\$(\d+)/g, '@p$1'));
      if (raw) stmt.raw(true);
      prepared = { stmt, used };
      statements.set(sql, prepared);
    }
    return prepared;
  }

  #all(sql: Sql, params: readonly SqlParam[]): unknown[] {
    const p = this.#prepare(sql);
    return p.stmt.all(...bindable(p, params));
  }

  #tuples(sql: Sql, params: readonly SqlParam[]): unknown[][] {
    const p = this.#prepare(sql, true);
    return p.stmt.all(...bindable(p, params)) as unknown[][];
  }

  #get(sql: Sql, params: readonly SqlParam[]): unknown {
    const p = this.#prepare(sql);
    return p.stmt.get(...bindable(p, params));
  }

  #run(sql: Sql, params: readonly SqlParam[]): RunResult {
    const p = this.#prepare(sql);
    return { changes: p.stmt.run(...bindable(p, params)).changes };
  }

  /**
   * Runs `fn` with async retries while another process holds the write lock. Inside a transaction
   * we already hold the lock (BEGIN IMMEDIATE), so a busy error there is not retried.
   */
  async #withBusyRetry<T>(fn: () => T, outsideTx: boolean): Promise<T> {
    const deadlineMs = performance.now() + this.#busyWaitMs;
    for (let delayMs = BACKOFF_FIRST_MS; ; delayMs = Math.min(delayMs * 2, BACKOFF_MAX_MS)) {
      // A statement issued outside a transaction must not run inside one this connection opened
      // while the statement slept (it would commit or roll back with it).
      if (outsideTx) while (this.#inTx) await this.#txTail;
      try {
        return fn();
      } catch (err) {
        if (!isBusy(err) || this.#inTx || performance.now() >= deadlineMs) throw err;
      }
      await sleep(delayMs);
    }
  }

  #queryable(outsideTx: boolean): Queryable {
    const retry = <T>(fn: () => T) => this.#withBusyRetry(fn, outsideTx);
    return {
      dialect: 'sqlite',
      all: <T>(sql: Sql, params: readonly SqlParam[] = []) =>
        retry(() => this.#all(sql, params) as T[]),
      tuples: (sql: Sql, params: readonly SqlParam[] = []) =>
        retry(() => this.#tuples(sql, params)),
      get: <T>(sql: Sql, params: readonly SqlParam[] = []) =>
        retry(() => this.#get(sql, params) as T | undefined),
      run: (sql: Sql, params: readonly SqlParam[] = []) => retry(() => this.#run(sql, params)),
      exec: (sql: string) => retry(() => void this.#db.exec(sql)),
    };
  }

  async all<T>(sql: Sql, params?: readonly SqlParam[]): Promise<T[]> {
    await this.#txTail;
    return this.#queryable(true).all<T>(sql, params);
  }

  async tuples(sql: Sql, params?: readonly SqlParam[]): Promise<unknown[][]> {
    await this.#txTail;
    return this.#queryable(true).tuples(sql, params);
  }

  async get<T>(sql: Sql, params?: readonly SqlParam[]): Promise<T | undefined> {
    await this.#txTail;
    return this.#queryable(true).get<T>(sql, params);
  }

  async run(sql: Sql, params?: readonly SqlParam[]): Promise<RunResult> {
    await this.#txTail;
    return this.#queryable(true).run(sql, params);
  }

  async exec(sql: string): Promise<void> {
    await this.#txTail;
    return this.#queryable(true).exec(sql);
  }

  async tx<T>(fn: (q: Queryable) => Promise<T>): Promise<T> {
    const previous = this.#txTail;
    let release!: () => void;
    this.#txTail = new Promise<void>((resolve) => (release = resolve));
    await previous;
    try {
      await this.#withBusyRetry(() => this.#db.exec('begin immediate'), false);
      this.#inTx = true;
      try {
        const result = await fn(this.#queryable(false));
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
