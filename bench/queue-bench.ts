/**
 * Queue benchmark: Orch (PostgreSQL and SQLite) against graphile-worker and pg-boss on the local
 * PostgreSQL. Prints a Markdown table, ratios and the targets:
 * `npm run bench:queue [-- --all | --only orch_pg_batch,pgboss,… | --only finished] [--finished N]`.
 * `finished` is the finished-rows phase (Orch only): claim latency with 1,000 and with N
 * (default 1,000,000) finished jobs in `jobs`; `--finished 0` leaves it out.
 * See docs/benchmarks.md for the workload, the settings and the last results.
 */
import { cpus, loadavg, release, totalmem } from 'node:os';
import { serverInfo } from './queue/bench-db.js';
import {
  measureDrain,
  measureEnqueue,
  measureFinished,
  measureLatency,
  measurePrefill,
  resetStore,
} from './queue/phases.js';
import type { RateResult } from './queue/phases.js';
import {
  finishedRatioLines,
  finishedTable,
  finishedTargetLines,
  ratioLines,
  resultsTable,
  targetLines,
  type FinishedRun,
  type SystemResult,
} from './queue/report.js';
import { now, withTimeout } from './queue/stats.js';
import type { BenchSystem } from './queue/bench-system.js';
import { WORKLOAD } from './queue/bench-system.js';
import { GraphileSystem } from './queue/graphile-system.js';
import { DEFAULT_DRAIN, OrchSystem } from './queue/orch-system.js';
import { PgBossSystem } from './queue/pgboss-system.js';

/** The whole run must end by itself; every phase also has its own bound. */
const RUN_LIMIT_MS = 10 * 60_000;
const SYSTEM_LIMIT_MS = 150_000;
/** The finished-rows phase: the baseline size, the default large size, and its bound per store. */
const FINISHED_BASE = 1_000;
const FINISHED_DEFAULT = 1_000_000;
const FINISHED_LIMIT_MS = 150_000;

/**
 * The five systems and Orch on PostgreSQL with 8 claimers; then (`--only` or `--all`) Orch
 * completing one job per statement, and SQLite through a local queue.
 */
function allSystems(): { sys: BenchSystem; byDefault: boolean }[] {
  const orch = (
    dialect: 'postgres' | 'sqlite',
    completeMode: 'single' | 'batch',
    drain: 'local-queue' | 'claimers' = DEFAULT_DRAIN[dialect],
  ) => new OrchSystem({ dialect, claimBatch: 500, completeMode, drain });
  return [
    { sys: orch('postgres', 'batch'), byDefault: true },
    { sys: orch('sqlite', 'batch'), byDefault: true },
    { sys: orch('postgres', 'batch', 'claimers'), byDefault: true },
    { sys: new GraphileSystem({ batching: null }), byDefault: true },
    {
      sys: new GraphileSystem({ batching: { localQueueSize: 500, completeJobBatchDelayMs: 0 } }),
      byDefault: true,
    },
    { sys: new PgBossSystem(), byDefault: true },
    { sys: orch('postgres', 'single'), byDefault: false },
    { sys: orch('sqlite', 'single'), byDefault: false },
    { sys: orch('sqlite', 'batch', 'local-queue'), byDefault: false },
  ];
}

/** The faster of two measurements: other work on the host only ever slows a run down. */
function faster(a: RateResult | undefined, b: RateResult): RateResult {
  return a && a.jobsPerSec >= b.jobsPerSec ? a : b;
}

async function benchOne(sys: BenchSystem): Promise<SystemResult> {
  const r: SystemResult = { system: sys, errors: [] };
  const phase = async (name: string, fn: () => Promise<void>) => {
    try {
      await fn();
    } catch (err) {
      r.errors.push(`${name}: ${(err as Error).message}`);
    }
  };
  await phase('setup', () => sys.setup());
  if (r.errors.length === 0) {
    for (let round = 0; round < WORKLOAD.enqueueRounds; round++) {
      await phase('enqueue', async () => {
        await resetStore(sys);
        r.enqueue = faster(r.enqueue, await measureEnqueue(sys));
      });
    }
    await phase('latency', async () => {
      await resetStore(sys);
      r.latency = await measureLatency(sys);
    });
    for (let round = 0; round < WORKLOAD.drainRounds; round++) {
      await phase('drain', async () => {
        await resetStore(sys);
        r.prefill = faster(r.prefill, await measurePrefill(sys));
        const drain = await measureDrain(sys);
        (r.drainRounds ??= []).push(drain.jobsPerSec);
        r.drain = faster(r.drain, drain);
      });
    }
  }
  await phase('teardown', () => sys.teardown());
  return r;
}

/** Orch on one store for the finished-rows phase, on a database of its own. */
function finishedSystem(dialect: 'postgres' | 'sqlite'): OrchSystem {
  const id = `orch_${dialect === 'postgres' ? 'pg' : 'sqlite'}_finished`;
  return new OrchSystem({
    dialect,
    claimBatch: 500,
    completeMode: 'batch',
    drain: DEFAULT_DRAIN[dialect],
    id,
  });
}

/**
 * Claim latency with FINISHED_BASE and then `big` finished jobs in `jobs`, after a discarded
 * warm-up of 100 jobs: otherwise the first size measured (with `--only finished`, in a fresh
 * process) also pays for JIT and new connections, which flatters the ratio.
 */
async function benchFinished(sys: OrchSystem, big: number): Promise<FinishedRun> {
  const r: FinishedRun = { system: sys, sizes: [], errors: [] };
  try {
    await sys.setup();
    await measureLatency(sys, 100);
    for (const rows of [FINISHED_BASE, big]) r.sizes.push(await measureFinished(sys, rows));
  } catch (err) {
    r.errors.push((err as Error).message);
  }
  await sys.teardown().catch((err: Error) => r.errors.push(`teardown: ${err.message}`));
  return r;
}

async function machine(): Promise<string[]> {
  const pg = await serverInfo();
  const cpu = cpus();
  return [
    `machine: ${cpu.length} × ${cpu[0]?.model ?? '?'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB RAM, Linux ${release()}`,
    `node ${process.version}; PostgreSQL ${pg.server_version} on 127.0.0.1 (same host)`,
    `pg: synchronous_commit=${pg.synchronous_commit} fsync=${pg.fsync} wal_sync_method=${pg.wal_sync_method} ` +
      `shared_buffers=${pg.shared_buffers} autovacuum=${pg.autovacuum}`,
  ];
}

const load = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');

async function main(): Promise<void> {
  const loadAtStart = load();
  const onlyArg = process.argv.indexOf('--only');
  const only = onlyArg > 0 ? new Set((process.argv[onlyArg + 1] ?? '').split(',')) : null;
  const all = process.argv.includes('--all');
  const finishedArg = process.argv.indexOf('--finished');
  const big = finishedArg > 0 ? Number(process.argv[finishedArg + 1]) : FINISHED_DEFAULT;
  if (!Number.isSafeInteger(big) || (big !== 0 && big <= FINISHED_BASE)) {
    throw new Error(
      `--finished takes 0 (skip the phase) or a number of rows above ${FINISHED_BASE}`,
    );
  }
  // Part of every run; `--only` runs it only when named (`--only finished`).
  const finished = big > 0 && (only ? only.has('finished') : true);
  const systems = allSystems()
    .filter(({ sys, byDefault }) => (only ? only.has(sys.id) : all || byDefault))
    .map(({ sys }) => sys);
  console.log((await machine()).join('\n'));
  console.log(
    `workload: N=${WORKLOAD.drainJobs} no-op jobs, ${WORKLOAD.workers} workers; ` +
      `${WORKLOAD.singleEnqueues} sequential enqueues; ${WORKLOAD.latencyJobs} latency jobs; ` +
      `single enqueue: best of ${WORKLOAD.enqueueRounds} rounds; drain: best of ${WORKLOAD.drainRounds}` +
      (finished
        ? `; finished rows: claim latency with ${FINISHED_BASE} and ${big} done jobs in jobs`
        : '') +
      '\n',
  );
  const results: SystemResult[] = [];
  for (const sys of systems) {
    console.log(`… ${sys.label}: ${sys.settings}`);
    const t0 = now();
    const r = await withTimeout(sys.label, SYSTEM_LIMIT_MS, benchOne(sys)).catch(
      (err: Error): SystemResult => ({ system: sys, errors: [err.message] }),
    );
    console.log(`  done in ${((now() - t0) / 1000).toFixed(1)} s`);
    if (r.drainRounds) {
      console.log(`  drain rounds, jobs/s: ${r.drainRounds.map((x) => x.toFixed(0)).join(', ')}`);
    }
    for (const e of r.errors) console.log(`  ! ${e}`);
    results.push(r);
  }
  const finishedRuns: FinishedRun[] = [];
  for (const dialect of finished ? (['postgres', 'sqlite'] as const) : []) {
    const sys = finishedSystem(dialect);
    console.log(`… ${sys.label}: claim latency with ${FINISHED_BASE} and ${big} finished jobs`);
    const t0 = now();
    const r = await withTimeout(sys.label, FINISHED_LIMIT_MS, benchFinished(sys, big)).catch(
      (err: Error): FinishedRun => ({ system: sys, sizes: [], errors: [err.message] }),
    );
    console.log(`  done in ${((now() - t0) / 1000).toFixed(1)} s`);
    for (const e of r.errors) console.log(`  ! ${e}`);
    finishedRuns.push(r);
  }
  if (systems.length > 0) {
    console.log(`\n${resultsTable(results)}\n`);
    for (const line of ratioLines(results)) console.log(line);
  }
  if (finished) {
    console.log(`\nclaim latency with finished jobs in jobs:\n\n${finishedTable(finishedRuns)}\n`);
    for (const line of finishedRatioLines(finishedRuns, FINISHED_BASE, big)) console.log(line);
  }
  console.log('\ntargets:');
  if (systems.length > 0) for (const line of targetLines(results)) console.log(`  ${line}`);
  for (const line of finishedTargetLines(finishedRuns, FINISHED_BASE, big))
    console.log(`  ${line}`);
  console.log(
    `\nload average at start ${loadAtStart}, at end ${load()} (other work on the host skews figures)`,
  );
}

const watchdog = setTimeout(() => {
  console.error(`bench: still running after ${RUN_LIMIT_MS / 1000} s, giving up`);
  process.exit(1);
}, RUN_LIMIT_MS);
watchdog.unref();

main().then(
  () => {
    // Some peers keep timers after stop(); don't let them hold the process open.
    setTimeout(() => process.exit(process.exitCode ?? 0), 2_000).unref();
  },
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
