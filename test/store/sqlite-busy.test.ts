import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { SqliteDb } from '../../src/store/sqlite/sqlite-db.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

// Another process: takes the write lock (BEGIN IMMEDIATE + an insert), says "locked", and holds
// it until it reads a line on stdin; then commits, says "released" and exits.
const HOLDER = `
const Database = require('better-sqlite3');
const db = new Database(process.argv[1]);
db.exec('begin immediate');
db.prepare('insert into t (x) values (0)').run();
process.stdout.write('locked\\n');
process.stdin.once('data', () => {
  db.exec('commit');
  process.stdout.write('released\\n');
  db.close();
  process.exit(0);
});
`;

function holdWriteLock(path: string): { child: ChildProcess; locked: Promise<void> } {
  const child = spawn(process.execPath, ['--input-type=commonjs', '-e', HOLDER, path], {
    cwd: ROOT,
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const locked = new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (b: Buffer) => b.toString().includes('locked') && resolve());
    child.once('exit', (code) => reject(new Error(`holder exited early (${code})`)));
  });
  return { child, locked };
}

describe('SQLite lock waits', () => {
  const cleanups: (() => void)[] = [];
  afterEach(() => cleanups.splice(0).forEach((c) => c()));

  async function freshDb(options: { busyWaitMs?: number } = {}) {
    const dir = mkdtempSync(join(tmpdir(), 'orch-busy-'));
    const path = join(dir, 'busy.db');
    const db = new SqliteDb(`sqlite:${path}`, path, options);
    await db.exec('create table t (x integer not null)');
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    return { db, path };
  }

  it('keeps the event loop running while another process holds the write lock, then writes', async () => {
    const { db, path } = await freshDb();
    const holder = holdWriteLock(path);
    cleanups.push(() => holder.child.kill('SIGKILL'));
    await holder.locked;
    // The lock is released only by this process's timer, after ~2 s of ticks: if waiting for
    // the lock blocked the event loop, the timer could not fire and the write could not finish.
    let ticks = 0;
    const timer = setInterval(() => {
      if (++ticks === 40) holder.child.stdin!.write('release\n');
    }, 50);
    try {
      await db.run('insert into t (x) values (1)');
    } finally {
      clearInterval(timer);
    }
    expect(ticks).toBeGreaterThanOrEqual(40);
    expect(await db.all('select x from t order by rowid')).toEqual([{ x: 0 }, { x: 1 }]);
    await db.close();
  });

  it('also waits without blocking to begin a transaction', async () => {
    const { db, path } = await freshDb();
    const holder = holdWriteLock(path);
    cleanups.push(() => holder.child.kill('SIGKILL'));
    await holder.locked;
    let ticks = 0;
    const timer = setInterval(() => {
      if (++ticks === 10) holder.child.stdin!.write('release\n');
    }, 50);
    try {
      await db.tx((q) => q.run('insert into t (x) values (2)'));
    } finally {
      clearInterval(timer);
    }
    expect(await db.all('select x from t order by rowid')).toEqual([{ x: 0 }, { x: 2 }]);
    await db.close();
  });

  it('gives up with SQLITE_BUSY once the bounded wait is over', async () => {
    const { db, path } = await freshDb({ busyWaitMs: 300 });
    const holder = holdWriteLock(path);
    cleanups.push(() => holder.child.kill('SIGKILL'));
    await holder.locked;
    await expect(db.run('insert into t (x) values (3)')).rejects.toMatchObject({
      code: 'SQLITE_BUSY',
    });
    holder.child.stdin!.write('release\n');
    await db.close();
  });
});
