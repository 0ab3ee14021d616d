/**
 * The store contract: one small SQL interface with a SQLite and a PostgreSQL implementation.
 *
 * SQL is written once with `$1, $2 …` placeholders; the SQLite implementation rewrites them to
 * `?1, ?2 …`. Every statement lives in a repository under `src/store/<group>/`; where the dialects
 * differ, the repository writes both texts side by side (`PerDialect`) and picks with `sqlFor`.
 * Integers come back as JS numbers on both (PostgreSQL int8 is parsed; epoch ms fits in 2^53).
 */
export const DIALECTS = ['sqlite', 'postgres'] as const;
export type Dialect = (typeof DIALECTS)[number];

export type SqlParam =
  | string
  | number
  | boolean
  | null
  | undefined
  | readonly string[]
  /** bytea on PostgreSQL, blob on SQLite */
  | Uint8Array;

/**
 * A statement with a stable name: PostgreSQL prepares it once per connection (`pg`'s
 * `{name, text, values}`) and then only binds and executes it, skipping parse and plan; SQLite
 * caches every prepared statement by its text anyway. Use it for the hot statements only (each
 * name holds a plan on every pooled connection), and never give one name two texts.
 */
export interface NamedSql {
  readonly name: string;
  readonly text: string;
}

/** SQL text, or a named statement (see `NamedSql`). */
export type Sql = string | NamedSql;

/** The text of a statement, named or not. */
export function sqlText(sql: Sql): string {
  return typeof sql === 'string' ? sql : sql.text;
}

export interface RunResult {
  changes: number;
}

export interface Queryable {
  readonly dialect: Dialect;
  all<T>(sql: Sql, params?: readonly SqlParam[]): Promise<T[]>;
  /**
   * The rows as arrays, values in the statement's column order: no object per row. For hot
   * statements returning many rows (the claim); everything else reads objects with `all`.
   */
  tuples(sql: Sql, params?: readonly SqlParam[]): Promise<unknown[][]>;
  get<T>(sql: Sql, params?: readonly SqlParam[]): Promise<T | undefined>;
  run(sql: Sql, params?: readonly SqlParam[]): Promise<RunResult>;
  /** Runs a multi-statement script without parameters (migrations). */
  exec(sql: string): Promise<void>;
}

export interface Db extends Queryable {
  /** The connection string this store was opened with (secrets included: never log it). */
  readonly url: string;
  /**
   * Runs `fn` in one transaction (SQLite: BEGIN IMMEDIATE, so a writer never has to upgrade a
   * read lock; PostgreSQL: a dedicated pooled client). Commits when `fn` resolves, rolls back
   * when it throws. Other statements issued on this Db while the transaction is open wait for it.
   */
  tx<T>(fn: (q: Queryable) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** One statement written once per dialect, side by side. */
export interface PerDialect {
  readonly sqlite: string;
  readonly postgres: string;
}

/** The text of `sql` for the store `q` runs on. */
export function sqlFor(q: { readonly dialect: Dialect }, sql: PerDialect): string {
  return sql[q.dialect];
}

/**
 * `$n` with a type, for parameters PostgreSQL cannot infer (`$1 is null or col = $1`); SQLite
 * binds untyped. Keeps one SQL text for both dialects.
 */
export function typedParam(dialect: Dialect, n: number, pgType: 'text' | 'bigint'): string {
  return dialect === 'postgres' ? `$${n}::${pgType}` : `$${n}`;
}

/** The rows of a JSON array of strings passed as parameter `$n`, as a subquery. */
export function jsonTextArray(dialect: Dialect, n: number): string {
  return dialect === 'postgres'
    ? `(select jsonb_array_elements_text($${n}::jsonb))`
    : `(select value from json_each($${n}))`;
}

/** The scalar two-argument maximum: `greatest` on PostgreSQL, `max` on SQLite. */
export function greatest(dialect: Dialect): string {
  return dialect === 'postgres' ? 'greatest' : 'max';
}
