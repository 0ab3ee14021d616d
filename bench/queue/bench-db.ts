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

/**
 * Drops `orch_bench_<system>` once the system's own sessions have gone (up to 5 s), and only then
 * by force: a peer's pool may still be closing after its release call returned, and a connection
 * terminated under it is an 'error' event on a pool nobody listens to, which crashed the bench.
 */
export async function dropBenchDb(system: string): Promise<void> {
  const name = `${PREFIX}${system}`;
  await withAdmin(async (admin) => {
    const deadline = Date.now() + 5_000;
    while (Date.now() < deadline) {
      const res = await admin.query<{ n: string }>(
        'select count(*) as n from pg_stat_activity where datname = $1',
        [name],
      );
      if (Number(res.rows[0]?.n ?? 0) === 0) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    await admin.query(`drop database if exists "${name}" with (force)`);
  });
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

/** utime + stime of exited children (cutime + cstime, in ticks) and ppid, from /proc (Linux). */
function procStat(pid: number): { childTicks: number; ppid: number } | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // After "pid (comm) ": state=0 ppid=1 … cutime=13 cstime=14
    return { childTicks: Number(f[13]) + Number(f[14]), ppid: Number(f[1]) };
  } catch {
    return null;
  }
}

/**
 * CPU time a process has run so far, ms, to the nanosecond: the first field of
 * /proc/<pid>/schedstat (the scheduler's own count). utime/stime in /proc/<pid>/stat are sampled
 * at the 10 ms tick: a 20,000-job drain takes ~0.3 s of server CPU, so sampling alone moved the
 * per-job figure by 1–2 µs from run to run.
 */
function procCpuMs(pid: number): number | null {
  try {
    return Number(readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ')[0]) / 1e6;
  } catch {
    return null;
  }
}

/** Linux USER_HZ: /proc/<pid>/stat times are in 1/100 s. */
const TICK_MS = 10;

/**
 * Reads the PostgreSQL server's live counters around a phase, over one admin connection held
 * for the meter's life (its own backend is left out of the CPU count, and never exits mid-phase).
 */
export class PgMeter {
  readonly #client: pg.Client;
  readonly #backend: number;
  readonly #postmaster: number | null;

  private constructor(client: pg.Client, backend: number, postmaster: number | null) {
    this.#client = client;
    this.#backend = backend;
    this.#postmaster = postmaster;
  }

  static async open(): Promise<PgMeter> {
    const client = new pg.Client({ connectionString: PG_ADMIN_URL });
    await client.connect();
    const res = await client.query<{ pid: number }>('select pg_backend_pid() as pid');
    const backend = res.rows[0]!.pid;
    return new PgMeter(client, backend, procStat(backend)?.ppid ?? null);
  }

  /**
   * CPU time (ms) used so far by the server: the postmaster and its live children (schedstat,
   * ns), plus children that have exited (the postmaster's cutime, ticks); not this meter's
   * backend. Null where /proc is unavailable.
   */
  cpuMs(): number | null {
    const postmaster = this.#postmaster;
    if (postmaster === null) return null;
    let ms = 0;
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      const pid = Number(entry);
      if (pid === this.#backend) continue;
      const stat = procStat(pid);
      if (!stat || (pid !== postmaster && stat.ppid !== postmaster)) continue;
      ms += procCpuMs(pid) ?? 0;
      if (pid === postmaster) ms += stat.childTicks * TICK_MS;
    }
    return ms;
  }

  /**
   * The server's WAL position and next transaction id. Both are live (not the cumulative-stats
   * views, which backends flush only every second or so), so deltas around a phase give WAL bytes
   * and write transactions (≈ commits, each a WAL flush) for that phase. They are cluster-wide:
   * anything else running on the server is counted too.
   */
  async counters(): Promise<{ walLsn: string; nextXid: number }> {
    const res = await this.#client.query<{ lsn: string; xid: string }>(
      'select pg_current_wal_lsn()::text as lsn, pg_snapshot_xmax(pg_current_snapshot())::text as xid',
    );
    const row = res.rows[0]!;
    return { walLsn: row.lsn, nextXid: Number(row.xid) };
  }

  close(): Promise<void> {
    return this.#client.end();
  }
}
