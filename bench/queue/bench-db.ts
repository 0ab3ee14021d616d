import { readdirSync, readFileSync } from 'node:fs';
import pg from 'pg';

/** The PostgreSQL server the bench runs against (trust auth); override with ORCH_BENCH_PG_URL. */
export const PG_ADMIN_URL =
  process.env.ORCH_BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const PREFIX = 'orch_bench_';

export function pgUrlFor(database: string): string {
  const url = new URL(PG_ADMIN_URL);
  url.pathname = `/${database}`;
  return url.toString();
}

async function withAdmin<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: PG_ADMIN_URL });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** Creates `orch_bench_<system>` (dropping a leftover of the same name first); returns its URL. */
export async function createBenchDb(system: string): Promise<string> {
  const name = `${PREFIX}${system}`;
  await withAdmin(async (admin) => {
    await admin.query(`drop database if exists "${name}" with (force)`);
    await admin.query(`create database "${name}"`);
  });
  return pgUrlFor(name);
}

export async function dropBenchDb(system: string): Promise<void> {
  await withAdmin((admin) =>
    admin.query(`drop database if exists "${PREFIX}${system}" with (force)`),
  );
}

/** Runs one statement on the system's database on a fresh connection (bench bookkeeping only). */
export async function queryBenchDb<T extends pg.QueryResultRow>(
  url: string,
  sql: string,
): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(sql)).rows;
  } finally {
    await client.end();
  }
}

/**
 * The server's WAL position and next transaction id. Both are live (not the cumulative-stats
 * views, which backends flush only every second or so), so deltas around a phase give WAL bytes
 * and write transactions (≈ commits, each a WAL flush) for that phase. They are cluster-wide:
 * anything else running on the server is counted too.
 */
export async function serverCounters(): Promise<{ walLsn: string; nextXid: number }> {
  return withAdmin(async (admin) => {
    const res = await admin.query<{ lsn: string; xid: string }>(
      'select pg_current_wal_lsn()::text as lsn, pg_snapshot_xmax(pg_current_snapshot())::text as xid',
    );
    const row = res.rows[0]!;
    return { walLsn: row.lsn, nextXid: Number(row.xid) };
  });
}

/** Bytes between two WAL positions (`XXXXXXXX/XXXXXXXX`). */
export function walBytesBetween(from: string, to: string): number {
  const toBig = (lsn: string) => {
    const [hi, lo] = lsn.split('/');
    return (BigInt(`0x${hi}`) << 32n) + BigInt(`0x${lo}`);
  };
  return Number(toBig(to) - toBig(from));
}

/** The server facts the report names: version and the durability / memory settings. */
export async function serverInfo(): Promise<Record<string, string>> {
  return withAdmin(async (admin) => {
    const names = [
      'server_version',
      'synchronous_commit',
      'fsync',
      'wal_sync_method',
      'shared_buffers',
      'autovacuum',
      'max_connections',
    ];
    const res = await admin.query<{ name: string; setting: string }>(
      'select name, current_setting(name) as setting from pg_settings where name = any($1)',
      [names],
    );
    const out: Record<string, string> = {};
    for (const r of res.rows) out[r.name] = r.setting;
    return out;
  });
}

/** utime, stime, cutime, cstime and ppid of a process, from /proc (Linux). */
function procTimes(pid: number): { ticks: number; childTicks: number; ppid: number } | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const n = (i: number) => Number(f[i]);
    // After "pid (comm) ": state=0 ppid=1 … utime=11 stime=12 cutime=13 cstime=14
    return { ticks: n(11) + n(12), childTicks: n(13) + n(14), ppid: n(1) };
  } catch {
    return null;
  }
}

/** Linux USER_HZ: /proc times are in 1/100 s. */
const TICK_MS = 10;

/**
 * CPU time (ms) used so far by the PostgreSQL server: the postmaster, its live children, and
 * (through the postmaster's cutime) children that have exited. Null where /proc is unavailable.
 */
export async function pgServerCpuMs(): Promise<number | null> {
  // Read while the connection is open: the backend exits with it.
  const postmaster = await withAdmin(async (admin) => {
    const res = await admin.query<{ pid: number }>('select pg_backend_pid() as pid');
    return procTimes(res.rows[0]!.pid)?.ppid;
  });
  if (!postmaster) return null;
  let ticks = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const t = procTimes(Number(entry));
    if (!t) continue;
    if (Number(entry) === postmaster) ticks += t.ticks + t.childTicks;
    else if (t.ppid === postmaster) ticks += t.ticks;
  }
  return ticks * TICK_MS;
}
