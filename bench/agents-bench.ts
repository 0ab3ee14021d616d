/**
 * Remote-agent protocol benchmark: N simulated agents long-poll `POST /v2/agents/lease2` over real
 * HTTP against a server in a child process, while the server enqueues jobs at a fixed rate; each
 * agent completes what it leases and polls again. Prints leases/s, pickup latency (enqueue → the
 * agent holds the lease) p50/p99, and the server process's CPU and RSS.
 *
 *   npm run bench:agents [-- --db sqlite|postgres|both --agents 200 --rate 1200 --seconds 10]
 *
 * Results: docs/benchmarks.md "## Remote-agent protocol (bench:agents)".
 */
import { fork, type ChildProcess } from 'node:child_process';
import { setMaxListeners } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { systemClock } from '../src/clock.js';
import { buildServer } from '../src/http/server.js';
import { JobQueue } from '../src/queue/job-queue.js';
import { QueueAdmin } from '../src/queue/queue-admin.js';
import { migrate } from '../src/store/migrate.js';
import type { Db } from '../src/store/db.js';
import { openDb } from '../src/store/open-db.js';

const PG_ADMIN_URL = process.env.ORCH_BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const PG_DB = 'orch_bench_agents';
const ADMIN_TOKEN = 'bench-admin-token';
const TICK_MS = 50;

interface Options {
  dbs: ('sqlite' | 'postgres')[];
  agents: number;
  rate: number;
  seconds: number;
  warmupSeconds: number;
}

type ToServer = { type: 'start'; rate: number } | { type: 'stats' } | { type: 'stop' };
type FromServer =
  | { type: 'ready'; url: string; token: string }
  | { type: 'stats'; cpuUs: number; rssBytes: number; maxRssKb: number };

const now = () => performance.timeOrigin + performance.now();

function parseOptions(argv: string[]): Options {
  const get = (name: string, def: string) => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 && argv[i + 1] !== undefined ? argv[i + 1]! : def;
  };
  const db = get('db', 'both');
  return {
    dbs: db === 'both' ? ['sqlite', 'postgres'] : [db as 'sqlite' | 'postgres'],
    agents: Number(get('agents', '200')),
    rate: Number(get('rate', '1200')),
    seconds: Number(get('seconds', '10')),
    warmupSeconds: Number(get('warmup', '2')),
  };
}

// ---------------------------------------------------------------- server (child process)

async function pgUrl(): Promise<string> {
  const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
  await admin.connect();
  await admin.query(`drop database if exists ${PG_DB} with (force)`);
  await admin.query(`create database ${PG_DB}`);
  await admin.end();
  const url = new URL(PG_ADMIN_URL);
  url.pathname = `/${PG_DB}`;
  return url.toString();
}

/**
 * Enqueues `rate` jobs per second in TICK_MS batches with one multi-row insert each (the producer
 * is not what is measured; per-row enqueue would compete with the agents for the pool), then wakes
 * the waiting lease requests. The payload carries the enqueue time.
 */
function startProducer(db: Db, queue: JobQueue, rate: number): NodeJS.Timeout {
  const sql = `-- bench: insert $1 (JSON array of payload texts) as queued scan jobs of tenant bench
    insert into jobs (tenant_id, kind, payload, max_attempts, available_at_ms, created_at_ms, updated_at_ms)
    select 'bench', 'scan', p.value, 1, $2, $2, $2 from ${
      db.dialect === 'postgres'
        ? 'jsonb_array_elements_text($1::jsonb) as p(value)'
        : 'json_each($1) as p'
    }`;
  let owed = 0;
  return setInterval(() => {
    owed += (rate * TICK_MS) / 1000;
    const n = Math.floor(owed);
    owed -= n;
    if (n === 0) return;
    const payloads = JSON.stringify(Array.from({ length: n }, () => JSON.stringify({ t: now() })));
    db.run(sql, [payloads, Date.now()])
      .then(() => queue.wake.notify())
      .catch((err: unknown) => console.error('enqueue failed', err));
  }, TICK_MS);
}

async function runServer(dialect: 'sqlite' | 'postgres'): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'orch-agents-bench-'));
  const url = dialect === 'sqlite' ? `sqlite:${join(dir, 'orch.db')}` : await pgUrl();
  const db = openDb(url, { maxConnections: 20 });
  await migrate(db);
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
  const res = await app.inject({
    method: 'POST',
    url: '/v2/agent_tokens',
    headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    payload: { tenant_id: 'bench', name: 'bench', kinds: ['scan'] },
  });
  const { token } = res.json<{ token: string }>();
  let producer: NodeJS.Timeout | undefined;
  process.on('message', (msg: ToServer) => {
    if (msg.type === 'start') producer = startProducer(db, queue, msg.rate);
    if (msg.type === 'stats') {
      const cpu = process.cpuUsage();
      const reply: FromServer = {
        type: 'stats',
        cpuUs: cpu.user + cpu.system,
        rssBytes: process.memoryUsage().rss,
        maxRssKb: process.resourceUsage().maxRSS,
      };
      process.send!(reply);
    }
    if (msg.type === 'stop') {
      clearInterval(producer);
      void app
        .close()
        .then(() => queue.close())
        .then(() => db.close())
        .finally(() => {
          rmSync(dir, { recursive: true, force: true });
          process.exit(0);
        });
    }
  });
  process.send!({ type: 'ready', url: base, token } satisfies FromServer);
}

// ---------------------------------------------------------------- agents (parent process)

interface Tally {
  measuring: boolean;
  leases: number;
  latenciesMs: number[];
  errors: number;
}

async function post<T>(url: string, token: string, body: unknown, signal: AbortSignal): Promise<T> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal,
  });
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

interface BenchJob {
  id: number;
  lease_token: string;
  payload: { t: number };
}

async function agentLoop(base: string, token: string, tally: Tally, signal: AbortSignal) {
  while (!signal.aborted) {
    try {
      const { jobs } = await post<{ jobs: BenchJob[] }>(
        `${base}/v2/agents/lease2`,
        token,
        { max: 1, wait_ms: 5000 },
        signal,
      );
      const received = now();
      for (const job of jobs) {
        if (tally.measuring) {
          tally.leases++;
          tally.latenciesMs.push(received - job.payload.t);
        }
        const body = { lease_token: job.lease_token, status: 'succeeded' };
        await post(`${base}/v2/jobs/${job.id}/complete`, token, body, signal);
      }
    } catch (err) {
      if (signal.aborted) return;
      tally.errors++;
      if (tally.errors <= 3) console.error((err as Error).message);
    }
  }
}

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

async function benchOne(dialect: 'sqlite' | 'postgres', o: Options) {
  const child = fork(fileURLToPath(import.meta.url), ['--server', dialect], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const ready = await new Promise<FromServer>((resolve) => child.once('message', resolve));
  if (ready.type !== 'ready') throw new Error('server did not start');
  const tally: Tally = { measuring: false, leases: 0, latenciesMs: [], errors: 0 };
  const ac = new AbortController();
  setMaxListeners(0, ac.signal);
  const loops = Array.from({ length: o.agents }, () =>
    agentLoop(ready.url, ready.token, tally, ac.signal),
  );
  child.send({ type: 'start', rate: o.rate } satisfies ToServer);
  await new Promise((r) => setTimeout(r, o.warmupSeconds * 1000));
  const s0 = (await request(child, { type: 'stats' })) as Extract<FromServer, { type: 'stats' }>;
  const t0 = now();
  const c0 = process.cpuUsage();
  tally.measuring = true;
  await new Promise((r) => setTimeout(r, o.seconds * 1000));
  tally.measuring = false;
  const wallMs = now() - t0;
  const c1 = process.cpuUsage(c0);
  const s1 = (await request(child, { type: 'stats' })) as Extract<FromServer, { type: 'stats' }>;
  ac.abort();
  await Promise.allSettled(loops);
  child.send({ type: 'stop' } satisfies ToServer);
  await new Promise((r) => child.once('exit', r));
  const sorted = tally.latenciesMs.sort((a, b) => a - b);
  return {
    dialect,
    leasesPerS: tally.leases / (wallMs / 1000),
    p50Ms: percentile(sorted, 50),
    p99Ms: percentile(sorted, 99),
    cpuPct: ((s1.cpuUs - s0.cpuUs) / 1000 / wallMs) * 100,
    clientCpuPct: ((c1.user + c1.system) / 1000 / wallMs) * 100,
    rssMb: s1.rssBytes / 2 ** 20,
    maxRssMb: s1.maxRssKb / 1024,
    errors: tally.errors,
  };
}

async function main(): Promise<void> {
  const i = process.argv.indexOf('--server');
  if (i >= 0) return runServer(process.argv[i + 1] as 'sqlite' | 'postgres');
  const o = parseOptions(process.argv.slice(2));
  console.log(
    `agents=${o.agents} rate=${o.rate}/s measure=${o.seconds}s warmup=${o.warmupSeconds}s ` +
      `cpus=${cpus().length} (${cpus()[0]?.model ?? '?'}) node=${process.version}`,
  );
  console.log(
    '| store | leases/s | pickup p50 ms | pickup p99 ms | server CPU % | server RSS MB | agent-side CPU % | errors |',
  );
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|');
  for (const dialect of o.dbs) {
    const r = await benchOne(dialect, o);
    const goal = r.leasesPerS >= 1000 && r.p99Ms <= 50 ? 'meets' : 'misses';
    console.log(
      `| ${r.dialect} | ${r.leasesPerS.toFixed(0)} | ${r.p50Ms.toFixed(1)} | ${r.p99Ms.toFixed(1)} | ` +
        `${r.cpuPct.toFixed(0)} | ${r.rssMb.toFixed(0)} (max ${r.maxRssMb.toFixed(0)}) | ` +
        `${r.clientCpuPct.toFixed(0)} | ${r.errors} |` +
        ` <!-- ${goal} goal ≥ 1000 leases/s at p99 ≤ 50 ms -->`,
    );
  }
}

await main();
