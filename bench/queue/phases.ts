import type { BenchSystem } from './bench-system.js';
import { WORKLOAD, benchPayload } from './bench-system.js';
import { PgMeter, pgUrlFor, queryBenchDb, walBytesBetween } from './bench-db.js';
import { deferred, now, percentile, sleep, waitUntil, withTimeout } from './stats.js';

/** PostgreSQL cost of a phase, per job: WAL bytes and write transactions (each one WAL flush). */
export interface PgCost {
  walBytesPerJob: number;
  xactsPerJob: number;
  /** Server CPU (all backends) per job, µs. */
  cpuUsPerJob: number | null;
}

export interface RateResult {
  jobsPerSec: number;
  /** CPU of this Node process (client library + bench loop) per job, µs. */
  nodeCpuUsPerJob: number;
  pg: PgCost | null;
}

export interface LatencyResult {
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  maxMs: number;
}

/** Measures `fn` and, on PostgreSQL, the WAL and transactions it caused per job. */
async function costed(
  sys: BenchSystem,
  jobs: number,
  fn: () => Promise<number>,
): Promise<RateResult> {
  const meter = sys.pgDatabase ? await PgMeter.open() : null;
  try {
    const before = await meter?.counters();
    const pgCpuBefore = meter?.cpuMs() ?? null;
    const cpuBefore = process.cpuUsage();
    const ms = await fn();
    const cpu = process.cpuUsage(cpuBefore);
    let pg: PgCost | null = null;
    if (meter && before) {
      const pgCpuAfter = meter.cpuMs();
      const after = await meter.counters();
      pg = {
        walBytesPerJob: walBytesBetween(before.walLsn, after.walLsn) / jobs,
        xactsPerJob: (after.nextXid - before.nextXid) / jobs,
        cpuUsPerJob:
          pgCpuBefore === null || pgCpuAfter === null
            ? null
            : ((pgCpuAfter - pgCpuBefore) * 1000) / jobs,
      };
    }
    return { jobsPerSec: (jobs / ms) * 1000, nodeCpuUsPerJob: (cpu.user + cpu.system) / jobs, pg };
  } finally {
    await meter?.close();
  }
}

/** Deletes every job and, on PostgreSQL, vacuums (autovacuum is off on the bench server). */
export async function resetStore(sys: BenchSystem): Promise<void> {
  await sys.reset();
  if (sys.pgDatabase) await queryBenchDb(pgUrlFor(sys.pgDatabase), 'vacuum analyze');
}

export function measureEnqueue(sys: BenchSystem): Promise<RateResult> {
  const n = WORKLOAD.singleEnqueues;
  return costed(sys, n, async () => {
    const t0 = now();
    for (let i = 0; i < n; i++) await sys.enqueueOne(benchPayload(i));
    return now() - t0;
  });
}

export async function measurePrefill(sys: BenchSystem): Promise<RateResult> {
  const payloads = Array.from({ length: WORKLOAD.drainJobs }, (_, i) => benchPayload(i));
  const result = await costed(sys, payloads.length, async () => {
    const t0 = now();
    await sys.prefill(payloads);
    return now() - t0;
  });
  if (sys.pgDatabase) await queryBenchDb(pgUrlFor(sys.pgDatabase), 'vacuum analyze');
  return result;
}

/**
 * Timed from the first job reaching a handler to the moment the store shows every job
 * completed (so batched completes still in memory are not counted as done).
 */
export function measureDrain(sys: BenchSystem): Promise<RateResult> {
  const n = WORKLOAD.drainJobs;
  return costed(sys, n, async () => {
    let started = 0;
    let t0 = 0;
    const all = deferred<void>();
    await sys.startDrain((count) => {
      if (started === 0) t0 = now();
      started += count;
      if (started >= n) all.resolve();
    });
    try {
      await withTimeout('drain', 120_000, all.promise);
      await waitUntil('drain completes', async () => (await sys.remaining()) === 0, {
        intervalMs: 2,
        timeoutMs: 30_000,
      });
      const ms = now() - t0;
      const left = await sys.remainingInDb?.();
      if (left) throw new Error(`drain: ${left} jobs not completed in the database`);
      return ms;
    } finally {
      await sys.stopWorkers();
    }
  });
}

/** Enqueue→handler-start latency, one job at a time into one idle waiting worker. */
export async function measureLatency(
  sys: BenchSystem,
  jobs: number = WORKLOAD.latencyJobs,
): Promise<LatencyResult> {
  const waiting = new Map<number, (atMs: number) => void>();
  await sys.startLatencyWorker((i) => waiting.get(i)?.(now()));
  const samples: number[] = [];
  try {
    await sleep(200); // let the worker settle into waiting
    for (let i = 0; i < jobs; i++) {
      const started = deferred<number>();
      waiting.set(i, started.resolve);
      const t0 = now();
      await sys.enqueueLatency(benchPayload(i));
      samples.push((await withTimeout(`latency job ${i}`, 10_000, started.promise)) - t0);
      waiting.delete(i);
      await sleep(WORKLOAD.latencyGapMs);
    }
  } finally {
    await sys.stopWorkers();
  }
  return {
    p50Ms: percentile(samples, 0.5),
    p95Ms: percentile(samples, 0.95),
    p99Ms: percentile(samples, 0.99),
    maxMs: percentile(samples, 1),
  };
}

/** A store that can put finished jobs straight into its jobs table (Orch only). */
export interface FinishedFillable extends BenchSystem {
  fillFinished(rows: number): Promise<void>;
}

export interface FinishedResult {
  rows: number;
  /** Fill plus statistics refresh, ms (informational). */
  fillMs: number;
  latency: LatencyResult;
}

/**
 * Claim latency with `rows` finished jobs in the table: empty the store, fill it with finished
 * jobs in one statement, refresh statistics, then the latency phase exactly as above.
 */
export async function measureFinished(
  sys: FinishedFillable,
  rows: number,
): Promise<FinishedResult> {
  await resetStore(sys);
  const t0 = now();
  await sys.fillFinished(rows);
  const fillMs = now() - t0;
  return { rows, fillMs, latency: await measureLatency(sys) };
}
