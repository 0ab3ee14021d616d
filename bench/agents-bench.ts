/**
 * Remote-agent protocol benchmark: N simulated agents long-poll `POST /v2/agents/lease2` over real
 * HTTP against a server in a child process, while the server enqueues jobs at a fixed rate; each
 * agent completes what it leases and polls again. Two phases per store, on the same server:
 *
 *   1. full rate (`--rate`): leases/s, pickup latency (enqueue → the agent holds the lease)
 *      p50/p99, and the server process's CPU per leased-and-completed job — the throughput that
 *      CPU allows on one core, whatever the agents' side can drive on the same host;
 *   2. paced (`--paced-rate`, default: half of what phase 1 reached): the backlog of phase 1 is
 *      dropped and jobs are offered below what the agents can take, so pickup latency is the lease
 *      path's own latency, not backlog wait.
 *
 *   npm run bench:agents [-- --db sqlite|postgres|both --agents 200 --rate 1200 --seconds 10
 *                            --paced-rate auto|N|0 --paced-fraction 0.5 --client fetch|http
 *                            --agent-procs 2 --warmup 5 --tick-ms 50 --cpu-prof --sql-census]
 *
 * The agents run in `--agent-procs` processes of their own (bench/agents/sim-agents.ts), as real
 * agents would, and use `fetch`, as the real agent client does (src/remote-agent/agent-client.ts);
 * `--client http` uses node:http with keep-alive instead, which needs about a fifth of the CPU
 * on the agents' side. `--cpu-prof` profiles the server child (files in the OS temp dir);
 * `--sql-census` prints the server's statements per job (stderr).
 *
 * Results: docs/benchmarks.md "## Remote-agent protocol (bench:agents)".
 */
import { execFileSync, fork, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { systemClock } from '../src/clock.js';
import { buildServer } from '../src/http/server.js';
import { JobQueue } from '../src/queue/job-queue.js';
import { QueueAdmin } from '../src/queue/queue-admin.js';
import { migrate } from '../src/store/migrate.js';
import type { Db, Queryable, Sql } from '../src/store/db.js';
import { openDb } from '../src/store/open-db.js';
import { AgentFleet, now, type Client } from './agents/sim-agents.js';
import { benchArgs, runBench } from './bench-options.js';
import { createBenchDb, dropBenchDb, PG_ADMIN_URL } from './queue/bench-db.js';

/** The bench database's system name: `orch_bench_agents` (bench/queue/bench-db.ts). */
const PG_SYSTEM = 'agents';
const PG_DB = `orch_bench_${PG_SYSTEM}`;
const ADMIN_TOKEN = 'bench-admin-token';
/** The goal of issue 15. */
const GOAL_LEASES_PER_S = 1000;
const GOAL_P99_MS = 50;

type Dialect = 'sqlite' | 'postgres';

interface Options {
  dbs: Dialect[];
  agents: number;
  rate: number;
  seconds: number;
  /**
   * Seconds before each phase's window opens (`--warmup`, default 5). A cold server on PostgreSQL
   * leased ~700 jobs/s in its first second (JIT, pool connections, 200 agents connecting) and
   * cleared that backlog ~4 s after the start; a 2 s warmup counted the backlog's wait in the
   * full phase's p99 (250–490 ms against ~35 ms after it). `p99BySecondMs` shows whether a
   * window still holds such a backlog.
   */
  warmupSeconds: number;
  /** Offered jobs/s of the paced phase; null: `pacedFraction` of what the full rate reached. */
  pacedRate: number | null;
  pacedFraction: number;
  client: Client;
  /** Processes the simulated agents are spread over (`--agent-procs`, default 2). */
  agentProcesses: number;
  /** The producer enqueues every `tickMs` (one multi-row insert each). */
  tickMs: number;
  cpuProf: boolean;
  /** Print the server's SQL statements per leased-and-completed job (and their mean await). */
  sqlCensus: boolean;
}

type ToServer =
  | { type: 'start'; rate: number; tickMs: number }
  | { type: 'rate'; rate: number; tickMs: number }
  | { type: 'stats' }
  | { type: 'stop' };
type ServerStats = {
  type: 'stats';
  cpuUs: number;
  /** Of which in the kernel (system time). */
  sysUs: number;
  rssBytes: number;
  maxRssKb: number;
  /** Cumulative event-loop idle/active ms (`performance.eventLoopUtilization()`). */
  eluIdleMs: number;
  eluActiveMs: number;
  /** Per statement (first line or name): calls and total ms awaited, cumulative. */
  census: [string, number, number][];
  /** TCP connections the server accepted, cumulative. */
  connections: number;
};
type FromServer =
  { type: 'ready'; url: string; token: string } | { type: 'rated'; dropped: number } | ServerStats;

function parseOptions(argv: string[]): Options {
  const a = benchArgs(argv, {
    values: [
      'db',
      'agents',
      'rate',
      'seconds',
      'warmup',
      'paced-rate',
      'paced-fraction',
      'client',
      'agent-procs',
      'tick-ms',
    ],
    flags: ['cpu-prof', 'sql-census'],
    usage: 'bench/agents-bench.ts',
  });
  const db = a.choice('db', 'both', ['both', 'sqlite', 'postgres']);
  const paced = a.get('paced-rate', 'auto');
  return {
    dbs: db === 'both' ? ['sqlite', 'postgres'] : [db],
    agents: a.num('agents', '200', 1, { whole: true }),
    rate: a.num('rate', '1200', 1),
    seconds: a.num('seconds', '10', 1),
    warmupSeconds: a.num('warmup', '5', 0),
    pacedRate: paced === 'auto' ? null : a.num('paced-rate', paced, 0),
    // The paced phase offers less than the full phase reached, so its pickup is the lease path's.
    pacedFraction: a.num('paced-fraction', '0.5', 0, { max: 1 }),
    client: a.choice('client', 'fetch', ['fetch', 'http']),
    agentProcesses: a.num('agent-procs', '2', 1, { whole: true }),
    tickMs: a.num('tick-ms', '50', 1),
    cpuProf: a.flag('cpu-prof'),
    sqlCensus: a.flag('sql-census'),
  };
}

// ---------------------------------------------------------------- server (child process)

/**
 * Enqueues `rate` jobs per second in `tickMs` batches with one multi-row insert each (the producer
 * is not what is measured; per-row enqueue would compete with the agents for the pool), then wakes
 * the waiting lease requests. The payload carries the enqueue time.
 */
function startProducer(db: Db, queue: JobQueue, rate: number, tickMs: number): NodeJS.Timeout {
  const sql = `-- bench: insert $1 (JSON array of payload texts) as queued scan jobs of tenant bench
    insert into jobs (tenant_id, kind, payload, max_attempts, available_at_ms, created_at_ms, updated_at_ms)
    select 'bench', 'scan', p.value, 1, $2, $2, $2 from ${
      db.dialect === 'postgres'
        ? 'jsonb_array_elements_text($1::jsonb) as p(value)'
        : 'json_each($1) as p'
    }`;
  let owed = 0;
  return setInterval(() => {
    owed += (rate * tickMs) / 1000;
    const n = Math.floor(owed);
    owed -= n;
    if (n === 0) return;
    const payloads = JSON.stringify(Array.from({ length: n }, () => JSON.stringify({ t: now() })));
    db.run(sql, [payloads, Date.now()])
      .then(() => queue.wake.notify())
      .catch((err: unknown) => console.error('enqueue failed', err));
  }, tickMs);
}

type Census = Map<string, { calls: number; ms: number }>;

/** Counts the statements the server runs on `db` outside transactions, and transactions. */
function countStatements(db: Db): Census {
  const census: Census = new Map();
  const record = (label: string, startedMs: number) => {
    const c = census.get(label) ?? { calls: 0, ms: 0 };
    c.calls++;
    c.ms += performance.now() - startedMs;
    census.set(label, c);
  };
  const label = (sql: Sql) =>
    typeof sql === 'string' ? sql.trim().split('\n')[0]!.slice(0, 80) : sql.name;
  const wrap =
    <A extends unknown[], R>(fn: (...a: A) => Promise<R>, name: (...a: A) => string) =>
    async (...a: A): Promise<R> => {
      const t = performance.now();
      try {
        return await fn(...a);
      } finally {
        record(name(...a), t);
      }
    };
  const d = db as {
    -readonly [K in 'all' | 'tuples' | 'get' | 'run' | 'tx']: Db[K];
  };
  d.all = wrap(db.all.bind(db), label) as Db['all'];
  d.tuples = wrap(db.tuples.bind(db), label);
  d.get = wrap(db.get.bind(db), label) as Db['get'];
  d.run = wrap(db.run.bind(db), label);
  d.tx = wrap(
    db.tx.bind(db) as (fn: (q: Queryable) => Promise<unknown>) => Promise<unknown>,
    () => '(transaction)',
  ) as Db['tx'];
  return census;
}

async function runServer(dialect: Dialect, sqlCensus: boolean): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'orch-agents-bench-'));
  const url =
    dialect === 'sqlite' ? `sqlite:${join(dir, 'orch.db')}` : await createBenchDb(PG_SYSTEM);
  const db = openDb(url, { maxConnections: 20 });
  await migrate(db);
  const census: Census = sqlCensus ? countStatements(db) : new Map<string, never>();
  const queue = new JobQueue(db, {
    clock: systemClock,
    retry: { baseMs: 1000, capMs: 60_000, transientBudget: 5 },
    defaultMaxAttempts: 1,
    pollIntervalMs: 1000,
  });
  await queue.start();
  const app = buildServer({
    db,
    queue,
    admin: new QueueAdmin(queue),
    clock: systemClock,
    dataDir: dir,
    adminToken: ADMIN_TOKEN,
    leaseMs: 60_000,
    maxConcurrency: 1,
    pollIntervalMs: 1000,
  });
  const base = await app.listen({ port: 0, host: '127.0.0.1' });
  let connections = 0;
  app.server.on('connection', () => connections++);
  const res = await app.inject({
    method: 'POST',
    url: '/v2/agent_tokens',
    headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    payload: { tenant_id: 'bench', name: 'bench', kinds: ['scan'] },
  });
  const { token } = res.json<{ token: string }>();
  let producer: NodeJS.Timeout | undefined;
  process.on('message', (msg: ToServer) => {
    if (msg.type === 'start') producer = startProducer(db, queue, msg.rate, msg.tickMs);
    if (msg.type === 'rate') {
      // The next phase starts without the previous phase's backlog (no FK references jobs).
      clearInterval(producer);
      const drop = `-- bench: drop the queued backlog of the previous phase
        delete from jobs where tenant_id = 'bench' and status = 'queued'`;
      void db.run(drop).then(({ changes }) => {
        producer = startProducer(db, queue, msg.rate, msg.tickMs);
        process.send!({ type: 'rated', dropped: changes } satisfies FromServer);
      });
    }
    if (msg.type === 'stats') {
      const cpu = process.cpuUsage();
      const elu = performance.eventLoopUtilization();
      const reply: FromServer = {
        type: 'stats',
        cpuUs: cpu.user + cpu.system,
        sysUs: cpu.system,
        rssBytes: process.memoryUsage().rss,
        maxRssKb: process.resourceUsage().maxRSS,
        eluIdleMs: elu.idle,
        eluActiveMs: elu.active,
        census: [...census].map(([k, c]) => [k, c.calls, c.ms]),
        connections,
      };
      process.send!(reply);
    }
    if (msg.type === 'stop') stop(0);
  });
  let stopping = false;
  const stop = (code: number) => {
    if (stopping) return;
    stopping = true;
    clearInterval(producer);
    void app
      .close()
      .then(() => queue.close())
      .then(() => db.close())
      .finally(() => {
        rmSync(dir, { recursive: true, force: true });
        process.exit(code);
      });
  };
  // The bench died without stopping us (kill -9, a crash): stop enqueueing and clean up.
  process.on('disconnect', () => stop(1));
  process.send!({ type: 'ready', url: base, token } satisfies FromServer);
}

// ---------------------------------------------------------------- measuring (parent process)

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

function request(child: ChildProcess, msg: ToServer): Promise<FromServer> {
  return new Promise((resolve) => {
    child.once('message', (m: FromServer) => resolve(m));
    child.send(msg);
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * CPU time (µs) of the PostgreSQL backends serving the bench database, from /proc (so only when
 * PostgreSQL runs on this host): with PostgreSQL the database's CPU is not in the server process.
 * Backends that exit during the window are missed (the pool keeps its 20 busy ones).
 */
class PgBackendCpu {
  readonly #client = new pg.Client({ connectionString: PG_ADMIN_URL });
  readonly #usPerTick = 1e6 / Number(execFileSync('getconf', ['CLK_TCK']).toString().trim());

  connect() {
    return this.#client.connect();
  }

  async sample(): Promise<Map<number, number> | null> {
    const { rows } = await this.#client.query<{ pid: number }>(
      'select pid from pg_stat_activity where datname = $1',
      [PG_DB],
    );
    const out = new Map<number, number>();
    for (const { pid } of rows) {
      try {
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        out.set(pid, (Number(f[11]) + Number(f[12])) * this.#usPerTick); // utime, stime
      } catch {
        // exited since the query, or PostgreSQL is not on this host
      }
    }
    return rows.length > 0 && out.size === 0 ? null : out;
  }

  static delta(a: Map<number, number> | null, b: Map<number, number> | null): number | null {
    if (!a || !b) return null;
    let us = 0;
    for (const [pid, cpu] of b) us += cpu - (a.get(pid) ?? 0);
    return us;
  }

  end() {
    return this.#client.end();
  }
}

interface PhaseResult {
  phase: 'full' | 'paced';
  offered: number;
  leasesPerS: number;
  p50Ms: number;
  p99Ms: number;
  /** Pickup p99 of each whole second of the window, in order: a start-up backlog shows here. */
  p99BySecondMs: number[];
  cpuPct: number;
  eluPct: number;
  /** Server CPU per leased-and-completed job (the window's lease and complete calls together). */
  cpuUsPerLease: number;
  /** Statements per leased-and-completed job, and their mean await in ms, over the window. */
  census: [string, number, number][];
  pgCpuUsPerLease: number | null;
  clientCpuPct: number;
  rssMb: number;
  maxRssMb: number;
  errors: number;
}

async function measure(
  phase: PhaseResult['phase'],
  offered: number,
  child: ChildProcess,
  fleet: AgentFleet,
  o: Options,
  pgCpu: PgBackendCpu | null,
): Promise<PhaseResult> {
  const s0 = (await request(child, { type: 'stats' })) as ServerStats;
  const p0 = pgCpu ? await pgCpu.sample() : null;
  await fleet.measure();
  const t0 = now();
  await sleep(o.seconds * 1000);
  const tally = await fleet.collect();
  const wallMs = now() - t0;
  const s1 = (await request(child, { type: 'stats' })) as ServerStats;
  const pgUs = pgCpu ? PgBackendCpu.delta(p0, await pgCpu.sample()) : null;
  // Whole seconds: a window a hair short of o.seconds (timer granularity) still has o.seconds.
  const bySecond: number[][] = Array.from(
    { length: Math.max(1, Math.round(wallMs / 1000)) },
    () => [],
  );
  tally.latenciesMs.forEach((l, k) => {
    const at = Math.floor((tally.receivedAtMs[k]! - t0) / 1000);
    bySecond[Math.min(Math.max(at, 0), bySecond.length - 1)]!.push(l);
  });
  const sorted = tally.latenciesMs.sort((a, b) => a - b);
  const cpuUs = s1.cpuUs - s0.cpuUs;
  const eluActive = s1.eluActiveMs - s0.eluActiveMs;
  const eluIdle = s1.eluIdleMs - s0.eluIdleMs;
  // Leased-and-completed jobs: a lease is only done once its complete is in.
  const jobs = Math.min(tally.leases, tally.completes) || NaN;
  return {
    phase,
    offered,
    leasesPerS: tally.leases / (wallMs / 1000),
    p50Ms: percentile(sorted, 50),
    p99Ms: percentile(sorted, 99),
    p99BySecondMs: bySecond.map((ls) =>
      percentile(
        ls.sort((a, b) => a - b),
        99,
      ),
    ),
    cpuPct: (cpuUs / 1000 / wallMs) * 100,
    eluPct: (eluActive / (eluActive + eluIdle)) * 100,
    cpuUsPerLease: cpuUs / jobs,
    census: s1.census
      .map(([k, calls, ms]): [string, number, number] => {
        const before = s0.census.find((c) => c[0] === k);
        const n = calls - (before?.[1] ?? 0);
        return [k, n / jobs, n > 0 ? (ms - (before?.[2] ?? 0)) / n : 0];
      })
      .concat([
        ['(new TCP connections)', (s1.connections - s0.connections) / jobs, 0],
        ['(server kernel CPU µs)', (s1.sysUs - s0.sysUs) / jobs, 0],
      ])
      .filter(([, perJob]) => perJob > 0)
      .sort((a, b) => b[1] - a[1]),
    pgCpuUsPerLease: pgUs === null ? null : pgUs / jobs,
    clientCpuPct: (tally.cpuUs / 1000 / wallMs) * 100,
    rssMb: s1.rssBytes / 2 ** 20,
    maxRssMb: s1.maxRssKb / 1024,
    errors: tally.errors,
  };
}

async function benchOne(dialect: Dialect, o: Options): Promise<PhaseResult[]> {
  const execArgv = ['--import', 'tsx'];
  if (o.cpuProf) {
    const profDir = join(tmpdir(), 'orch-agents-bench-prof');
    mkdirSync(profDir, { recursive: true });
    execArgv.push('--cpu-prof', '--cpu-prof-dir', profDir);
    console.error(`server CPU profile → ${profDir}`);
  }
  const child = fork(
    fileURLToPath(import.meta.url),
    ['--server', dialect, ...(o.sqlCensus ? ['--sql-census'] : [])],
    {
      execArgv,
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    },
  );
  const ready = await new Promise<FromServer>((resolve) => child.once('message', resolve));
  if (ready.type !== 'ready') throw new Error('server did not start');
  const pgCpu = dialect === 'postgres' ? new PgBackendCpu() : null;
  await pgCpu?.connect();
  const fleet = await AgentFleet.start({
    agents: o.agents,
    processes: o.agentProcesses,
    url: ready.url,
    token: ready.token,
    client: o.client,
  }).catch((err: unknown) => {
    child.kill(); // the server would otherwise outlive the bench
    throw err;
  });
  const results: PhaseResult[] = [];
  child.send({ type: 'start', rate: o.rate, tickMs: o.tickMs } satisfies ToServer);
  await sleep(o.warmupSeconds * 1000);
  const full = await measure('full', o.rate, child, fleet, o, pgCpu);
  results.push(full);
  const paced = o.pacedRate ?? Math.round(Math.min(o.rate, full.leasesPerS) * o.pacedFraction);
  if (paced > 0) {
    await request(child, { type: 'rate', rate: paced, tickMs: o.tickMs });
    await sleep(o.warmupSeconds * 1000);
    results.push(await measure('paced', paced, child, fleet, o, pgCpu));
  }
  await fleet.stop();
  await pgCpu?.end();
  child.send({ type: 'stop' } satisfies ToServer);
  await new Promise((r) => child.once('exit', r));
  if (dialect === 'postgres') await dropBenchDb(PG_SYSTEM);
  return results;
}

const int = (n: number) => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '—');
const ms = (n: number) => (Number.isNaN(n) ? '—' : n < 10 ? n.toFixed(1) : n.toFixed(0));
const verdict = (ok: boolean) => (ok ? 'met' : 'MISSED');

function row(dialect: Dialect, r: PhaseResult): string {
  const pgCpu = r.pgCpuUsPerLease === null ? '—' : int(r.pgCpuUsPerLease);
  return (
    `| ${dialect} | ${r.phase} | ${int(r.offered)} | ${int(r.leasesPerS)} | ${ms(r.p50Ms)} | ` +
    `${ms(r.p99Ms)} | ${r.cpuPct.toFixed(0)} | ${r.eluPct.toFixed(0)} | ${int(r.cpuUsPerLease)} | ` +
    `${int(1e6 / r.cpuUsPerLease)} | ${pgCpu} | ${r.rssMb.toFixed(0)} (max ${r.maxRssMb.toFixed(0)}) | ` +
    `${r.clientCpuPct.toFixed(0)} | ${r.errors} |`
  );
}

function verdicts(dialect: Dialect, results: PhaseResult[]): string[] {
  const [full, paced] = results;
  if (!full) return [];
  const goal = full.leasesPerS >= GOAL_LEASES_PER_S && full.p99Ms <= GOAL_P99_MS;
  const allows = 1e6 / full.cpuUsPerLease;
  const lines = [
    `${dialect}: ≥ 1,000 leases/s at p99 ≤ 50 ms: ${verdict(goal)} ` +
      `(${int(full.leasesPerS)} leases/s at ${int(full.offered)}/s offered, pickup p99 ${ms(full.p99Ms)} ms)`,
    `${dialect}: server CPU allows ≥ 1,000 leases/s on one core: ${verdict(allows >= GOAL_LEASES_PER_S)} ` +
      `(${int(full.cpuUsPerLease)} µs per leased-and-completed job → ${int(allows)} leases/s per core` +
      (full.pgCpuUsPerLease === null
        ? ')'
        : `; with PostgreSQL's backends ${int(full.cpuUsPerLease + full.pgCpuUsPerLease)} µs → ` +
          `${int(1e6 / (full.cpuUsPerLease + full.pgCpuUsPerLease))} leases/s per core)`),
  ];
  for (const r of results) {
    lines.push(
      `${dialect}: ${r.phase} pickup p99 by second of the window, ms: ` +
        r.p99BySecondMs.map((v) => ms(v)).join(' '),
    );
  }
  if (paced) {
    lines.push(
      `${dialect}: unsaturated pickup at ${int(paced.offered)}/s offered: p50 ${ms(paced.p50Ms)} ms, ` +
        `p99 ${ms(paced.p99Ms)} ms — p99 ≤ 50 ms ${verdict(paced.p99Ms <= GOAL_P99_MS)}`,
    );
  }
  return lines;
}

async function main(): Promise<void> {
  const i = process.argv.indexOf('--server');
  if (i >= 0)
    return runServer(process.argv[i + 1] as Dialect, process.argv.includes('--sql-census'));
  const o = parseOptions(process.argv.slice(2));
  const pacing =
    o.pacedRate === null ? `${o.pacedFraction} × full-rate leases/s` : `${o.pacedRate}/s`;
  console.log(
    `agents=${o.agents} rate=${o.rate}/s paced=${pacing} measure=${o.seconds}s ` +
      `warmup=${o.warmupSeconds}s tick=${o.tickMs}ms client=${o.client} agent-procs=${o.agentProcesses} cpus=${cpus().length} ` +
      `(${cpus()[0]?.model ?? '?'}) node=${process.version}`,
  );
  console.log(
    '| store | phase | offered jobs/s | leases/s | pickup p50 ms | pickup p99 ms | server CPU % | ' +
      'server event loop busy % | server CPU µs/lease | leases/s that CPU allows (1 core) | ' +
      'PostgreSQL CPU µs/lease | server RSS MB | agent-side CPU % | errors |',
  );
  console.log('|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  const summary: string[] = [];
  for (const dialect of o.dbs) {
    const results = await benchOne(dialect, o);
    for (const r of results) console.log(row(dialect, r));
    if (o.sqlCensus) {
      for (const r of results) {
        for (const [k, perJob, meanMs] of r.census) {
          console.error(
            `  ${dialect} ${r.phase}: ${perJob.toFixed(3)}/job  mean ${meanMs.toFixed(2)} ms  ${k}`,
          );
        }
      }
    }
    summary.push(...verdicts(dialect, results));
  }
  console.log('');
  for (const line of summary) console.log(line);
}

runBench(main);
