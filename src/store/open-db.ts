import { resolve } from 'node:path';
import type { Db } from './db.js';
import { PostgresDb, type PostgresDbOptions } from './postgres/postgres-db.js';
import { SqliteDb } from './sqlite/sqlite-db.js';
import { OrchError } from '../errors.js';

/**
 * Opens the store named by a URL: `sqlite:<path>` (relative paths from the working directory,
 * `sqlite::memory:` for an in-memory database) or `postgres://…` / `postgresql://…`.
 */
export function openDb(url: string, options: PostgresDbOptions = {}): Db {
  const path = sqlitePath(url);
  if (path !== null) return new SqliteDb(url, path);
  if (url.startsWith('postgres://') || url.startsWith('postgresql://')) {
    return new PostgresDb(url, options);
  }
  throw new OrchError(
    'INVALID_DB_URL',
    'database URL must start with sqlite: or postgres:// (got a different scheme)',
  );
}

/**
 * The file a `sqlite:` URL names (absolute; `:memory:` for an in-memory database), or null for
 * any other URL. A `sqlite:` URL without a path is INVALID_DB_URL.
 */
export function sqlitePath(url: string): string | null {
  if (!url.startsWith('sqlite:')) return null;
  const path = url.slice('sqlite:'.length).replace(/^\/\/(?=\/)/, '');
  if (path.length === 0) throw new OrchError('INVALID_DB_URL', 'sqlite: URL needs a file path');
  return path === ':memory:' ? path : resolve(path);
}

/** The store a URL names, for people: `sqlite:<absolute path>`, or the URL without its password. */
export function describeDbUrl(url: string): string {
  const path = sqlitePath(url);
  return path === null ? redactDbUrl(url) : `sqlite:${path}`;
}

/** The URL with any password (user info, a `password=` parameter) masked, for logs and output. */
export function redactDbUrl(url: string): string {
  return url
    .replace(/\/\/([^:/@]+):[^@]*@/, '//$1:***@')
    .replace(/([?&]password=)[^&]*/gi, '$1***');
}
