import type { FinishedResult, LatencyResult, RateResult } from './phases.js';
import type { BenchSystem } from './bench-system.js';

export interface SystemResult {
  system: BenchSystem;
  enqueue?: RateResult;
  prefill?: RateResult;
  drain?: RateResult;
  /** Every drain round's jobs/s, in the order run (`drain` is the fastest). */
  drainRounds?: number[];
  latency?: LatencyResult;
  errors: string[];
}

const fmt = (n: number | undefined, digits = 0): string =>
  n === undefined || Number.isNaN(n) ? '—' : n.toFixed(digits);

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  const line = (r: string[]) => `| ${r.map((cell, c) => cell.padEnd(widths[c]!)).join(' | ')} |`;
  const rule = `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`;
  return [line(rows[0]!), rule, ...rows.slice(1).map(line)].join('\n');
}

/** The results table, one row per system, as Markdown. */
export function resultsTable(results: readonly SystemResult[]): string {
  const header = [
    'system',
    'enqueue 1-by-1 jobs/s',
    'bulk insert jobs/s',
    'drain jobs/s',
    'latency p50 ms',
    'p95 ms',
    'p99 ms',
    'drain WAL B/job',
    'drain xacts/job',
    'drain node CPU µs/job',
    'drain PG CPU µs/job',
    'enqueue xacts/job',
    'done rows',
  ];
  const rows = results.map((r) => [
    r.system.label,
    fmt(r.enqueue?.jobsPerSec),
    fmt(r.prefill?.jobsPerSec),
    fmt(r.drain?.jobsPerSec),
    fmt(r.latency?.p50Ms, 2),
    fmt(r.latency?.p95Ms, 2),
    fmt(r.latency?.p99Ms, 2),
    fmt(r.drain?.pg?.walBytesPerJob),
    fmt(r.drain?.pg?.xactsPerJob, 3),
    fmt(r.drain?.nodeCpuUsPerJob),
    fmt(r.drain?.pg?.cpuUsPerJob ?? undefined),
    fmt(r.enqueue?.pg?.xactsPerJob, 2),
    r.system.completedRows,
  ]);
  return table([header, ...rows]);
}

const isOrch = (r: SystemResult) => r.system.id.startsWith('orch');
/** The headline Orch rows: batched completes (the per-job rows show what batching buys). */
const isHeadline = (r: SystemResult) => isOrch(r) && r.system.id.endsWith('_batch');
const ratio = (a?: number, b?: number) => (a && b ? a / b : Number.NaN);
const times = (x: number) => (Number.isNaN(x) ? '—' : `${x.toFixed(2)}×`);

/** "Orch x is N× peer y" for drain and single enqueue, and latency as peer ÷ Orch. */
export function ratioLines(results: readonly SystemResult[]): string[] {
  const peers = results.filter((r) => !isOrch(r));
  return results
    .filter(isHeadline)
    .flatMap((o) =>
      peers.map(
        (p) =>
          `${o.system.label} vs ${p.system.label}: ` +
          `drain ${times(ratio(o.drain?.jobsPerSec, p.drain?.jobsPerSec))}, ` +
          `enqueue ${times(ratio(o.enqueue?.jobsPerSec, p.enqueue?.jobsPerSec))}, ` +
          `latency p50 ${times(ratio(p.latency?.p50Ms, o.latency?.p50Ms))} (peer ÷ Orch)`,
      ),
    );
}

/** The targets, each with the measured value and met / MISSED. */
export function targetLines(results: readonly SystemResult[]): string[] {
  const by = (id: string) => results.find((r) => r.system.id === id);
  const gw = by('graphile_batched')?.drain?.jobsPerSec;
  const peers = results.filter((r) => !isOrch(r));
  const best = (f: (r: SystemResult) => number | undefined) =>
    peers.length > 0 ? Math.max(...peers.map((p) => f(p) ?? 0)) : Number.NaN;
  const lines: string[] = [];
  // A target whose systems were not all run (`--only`) is not measured, not missed.
  const check = (name: string, value: number, ok: boolean) =>
    lines.push(
      Number.isNaN(value)
        ? `n/a     ${name}: not measured (a system it compares was not run)`
        : `${ok ? 'met    ' : 'MISSED '} ${name}: ${times(value).replace('×', '')}`,
    );
  const pg = by('orch_pg_batch');
  const lite = by('orch_sqlite_batch');
  const drain = (r: SystemResult) => r.drain?.jobsPerSec;
  const enq = (r: SystemResult) => r.enqueue?.jobsPerSec;
  const pgDrain = ratio(pg?.drain?.jobsPerSec, gw);
  const liteDrain = ratio(lite?.drain?.jobsPerSec, gw);
  check('drain, Orch PG ÷ graphile-worker batched ≥ 1.2', pgDrain, pgDrain >= 1.2);
  check('drain, Orch SQLite ÷ graphile-worker batched ≥ 2', liteDrain, liteDrain >= 2);
  const pgVsBest = ratio(pg?.drain?.jobsPerSec, best(drain));
  check('drain, Orch PG ÷ best peer > 1', pgVsBest, pgVsBest > 1);
  const pgCpu = ratio(
    pg?.drain?.pg?.cpuUsPerJob ?? undefined,
    by('graphile_batched')?.drain?.pg?.cpuUsPerJob ?? undefined,
  );
  check('drain PG CPU µs/job, Orch PG ÷ graphile-worker batched ≤ 1', pgCpu, pgCpu <= 1);
  for (const o of [pg, lite]) {
    if (!o) continue;
    const e = ratio(o.enqueue?.jobsPerSec, best(enq));
    check(`single enqueue, ${o.system.label} ÷ best peer ≥ 1.0`, e, e >= 1);
    const p50 = o.latency?.p50Ms ?? Number.NaN;
    const p99 = o.latency?.p99Ms ?? Number.NaN;
    check(`latency p50 ms, ${o.system.label} ≤ 3`, p50, p50 <= 3);
    check(`latency p99 ms, ${o.system.label} ≤ 15`, p99, p99 <= 15);
  }
  return lines;
}

/** One store's finished-rows phase: claim latency at each number of finished rows. */
export interface FinishedRun {
  system: BenchSystem;
  sizes: FinishedResult[];
  errors: string[];
}

const count = (n: number) => n.toLocaleString('en-US');

/** Store, finished rows in `jobs`, fill time, claim latency p50 / p99. */
export function finishedTable(runs: readonly FinishedRun[]): string {
  const header = ['store', 'finished rows', 'fill + analyze s', 'p50 ms', 'p95 ms', 'p99 ms'];
  const rows = runs.flatMap((r) =>
    r.sizes.map((f) => [
      r.system.label,
      count(f.rows),
      fmt(f.fillMs / 1000, 1),
      fmt(f.latency.p50Ms, 2),
      fmt(f.latency.p95Ms, 2),
      fmt(f.latency.p99Ms, 2),
    ]),
  );
  return table([header, ...rows]);
}

const at = (r: FinishedRun, rows: number) => r.sizes.find((f) => f.rows === rows)?.latency;

/** "p50 and p99 with `big` finished rows ÷ with `base`", per store. */
export function finishedRatioLines(runs: readonly FinishedRun[], base: number, big: number) {
  return runs.map(
    (r) =>
      `${r.system.label}, ${count(big)} ÷ ${count(base)} finished rows: ` +
      `p50 ${times(ratio(at(r, big)?.p50Ms, at(r, base)?.p50Ms))}, ` +
      `p99 ${times(ratio(at(r, big)?.p99Ms, at(r, base)?.p99Ms))}`,
  );
}

/** The target: claim latency p50 with 1,000,000 finished jobs ≤ 2× that with 1,000. */
export function finishedTargetLines(
  runs: readonly FinishedRun[],
  base: number,
  big: number,
): string[] {
  const note = big === 1_000_000 ? '' : ' (a smoke size: the target is at 1,000,000)';
  return runs.map((r) => {
    const x = ratio(at(r, big)?.p50Ms, at(r, base)?.p50Ms);
    return (
      `${x <= 2 ? 'met    ' : 'MISSED '} claim latency p50 with ${count(big)} finished jobs ÷ ` +
      `with ${count(base)}, ${r.system.label} ≤ 2: ${times(x).replace('×', '')}${note}`
    );
  });
}
