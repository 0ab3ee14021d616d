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
  if (url.startsWith('sqlite:')) {
    const path = url.slice('sqlite:'.length).replace(/^\/\/(?=\/)/, '');
    if (path.length === 0) throw new OrchError('INVALID_DB_URL', 'sqlite: URL needs a file path');
    return new SqliteDb(url, path === ':memory:' ? path : resolve(path));
  }
  if (url.startsWith('postgres://') || url.startsWith('postgresql://')) {
    return new PostgresDb(url, options);
  }
  throw new OrchError(
    'INVALID_DB_URL',
    'database URL must start with sqlite: or postgres:// (got a different scheme)',
  );
}

/** The URL with any password replaced, for logs and CLI output. */
export function redactDbUrl(url: string): string {
  return url.replace(/\/\/([^:/@]+):[^@]*@/, '//$1:***@');
}
