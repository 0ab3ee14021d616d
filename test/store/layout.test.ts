import { readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadMigrations } from '../../src/store/migrate.js';
import { looksLikeSql, scanSource, type LayoutFinding } from './sql-layout-scanner.js';

const ROOT = join(import.meta.dirname, '..', '..');

/**
 * Files outside src/store/ allowed to hold SQL: none since the jobs repository landed (issue 15).
 * Keep it empty; the test below fails if a listed file no longer has SQL, so an exception added
 * in a hurry cannot outlive its reason.
 */
const JOBS_ALLOWLIST = new Set<string>([]);

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(path);
    return e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') ? [path] : [];
  });
}

function scan(inStore: boolean): Map<string, LayoutFinding[]> {
  const byFile = new Map<string, LayoutFinding[]>();
  for (const path of sourceFiles(join(ROOT, 'src'))) {
    const file = relative(ROOT, path).split('\\').join('/');
    if (file.startsWith('src/store/') !== inStore) continue;
    const found = scanSource(file, readFileSync(path, 'utf8'));
    if (found.length > 0) byFile.set(file, found);
  }
  return byFile;
}
const scanOutsideStore = () => scan(false);

const show = (f: LayoutFinding) => `${f.file}:${f.line} ${f.kind}: ${f.text}`;

describe('store layout: SQL and dialect choices live only in src/store/', () => {
  it('finds no SQL statement and no dialect check outside src/store/ (but the jobs allowlist)', () => {
    const stray = [...scanOutsideStore()]
      .filter(([file]) => !JOBS_ALLOWLIST.has(file))
      .flatMap(([, found]) => found.map(show));
    expect(stray).toEqual([]);
  });

  it('keeps the jobs allowlist honest: every listed file still has SQL or a dialect check', () => {
    const byFile = scanOutsideStore();
    const clean = [...JOBS_ALLOWLIST].filter((file) => !byFile.has(file));
    expect(clean, 'moved to src/store/ (or gone): remove from JOBS_ALLOWLIST').toEqual([]);
  });

  it('opens every statement in src/store/ with a comment giving its purpose', () => {
    const bare = [...scan(true).values()]
      .flat()
      .filter((f) => f.kind === 'sql' && f.commented === false)
      .map(show);
    expect(bare).toEqual([]);
  });

  it('recognises the statements and dialect checks this codebase writes', () => {
    const source = [
      "const a = 'select * from tasks where id = $1';",
      'const b = `-- claim\\n with c as materialized (select id from jobs) update jobs set x = 1`;',
      'const c = `insert into ${table} (a) values ($1)`;',
      "const d = 'update merge_leases set expires_at_ms = $2 where repo = $1';",
      'const e = `update jobs j set status = $1`;',
      "const f = 'delete from processed_comments where task_id = $1';",
      "const g = `select set_config('orch.tenant', $1, true)`;",
      "const h = 'select 1 as one';",
      "const i = 'SELECT count(*) FROM jobs';",
      "if (db.dialect === 'postgres') run();",
      "const lock = q.dialect !== 'sqlite' ? ' for update' : '';",
      'switch (this.#db.dialect) { default: }',
      "const k = dialect === 'postgres' ? '$1::bigint' : '$1';",
      'loadMigrations(db.dialect);',
    ].join('\n');
    const found = scanSource('x.ts', source);
    const lines = (kind: LayoutFinding['kind']) => [
      ...new Set(found.filter((f) => f.kind === kind).map((f) => f.line)),
    ];
    expect(lines('sql')).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(lines('dialect')).toEqual([10, 11, 12, 13, 14]);
  });

  it('leaves prose, log lines and object keys alone', () => {
    for (const text of [
      'Select a project to continue',
      'update the docs and set the flag',
      'insert the card',
      'deleted from the queue',
      'with the reviewer as (optional) approver',
      'selected 3 jobs',
    ]) {
      expect(looksLikeSql(text), text).toBe(false);
    }
    const source = "const o = { dialect: 'sqlite' as const };\nlog.info('select a task');";
    expect(scanSource('x.ts', source)).toEqual([]);
  });
});

describe('store layout: migrations', () => {
  it('ships the same migration ids for SQLite and PostgreSQL', () => {
    const ids = (dialect: 'sqlite' | 'postgres') =>
      loadMigrations(dialect).map((m) => `${String(m.version).padStart(4, '0')}_${m.name}`);
    expect(ids('sqlite').length).toBeGreaterThan(0);
    expect(ids('postgres')).toEqual(ids('sqlite'));
  });
});
