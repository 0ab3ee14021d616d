/** The workload every system runs (the spec) and the calls the runner makes on each. */
export const WORKLOAD = {
  /** Jobs pre-inserted, then drained. */
  drainJobs: 20_000,
  /** Concurrent workers (job slots) in the drain. */
  workers: 8,
  /** Sequential single-job enqueue calls. */
  singleEnqueues: 2_000,
  /** Jobs enqueued one at a time into one idle, waiting worker. */
  latencyJobs: 500,
  /** Pause after each latency job starts, so the worker is back to waiting before the next. */
  latencyGapMs: 5,
  /** Single enqueue runs this many times per system; the fastest run is reported. */
  enqueueRounds: 2,
  /**
   * Drain (with its prefill) runs this many times per system; the fastest run is reported and
   * every run is printed. One drain lasts 0.2–1 s, and on this 2-vCPU host consecutive drains of
   * the same system differ by ±15 % (docs/benchmarks.md, "Workload and method").
   */
  drainRounds: 5,
  /** Jobs per bulk-insert call when pre-filling the drain. */
  prefillChunk: 1_000,
} as const;

export interface BenchPayload {
  i: number;
  pad: string;
}

/** ~140 B of JSON, inside §5.3's 100–200 B. */
export function benchPayload(i: number): BenchPayload {
  return { i, pad: 'x'.repeat(120) };
}

/**
 * One queue under test, driven only through its public API. Every job is a no-op. Producers and
 * consumers that would live in different processes use different connections, so a waiting
 * worker is woken the way it would be in production (PostgreSQL: LISTEN/NOTIFY).
 */
export interface BenchSystem {
  /** Short id, also the database suffix (`orch_bench_<id>`). */
  readonly id: string;
  readonly label: string;
  /** Settings used, for the report. */
  readonly settings: string;
  readonly completedRows: 'retained' | 'deleted';
  /** The PostgreSQL database this system runs on, or null (SQLite). */
  readonly pgDatabase: string | null;
  setup(): Promise<void>;
  enqueueOne(payload: BenchPayload): Promise<void>;
  /** Inserts many jobs with the system's bulk API. */
  prefill(payloads: readonly BenchPayload[]): Promise<void>;
  /** Deletes every job, between phases. */
  reset(): Promise<void>;
  /** Starts `WORKLOAD.workers` workers; `onStarted(n)` is called as n more jobs reach a handler. */
  startDrain(onStarted: (count: number) => void): Promise<void>;
  /** Jobs not yet durably completed. */
  remaining(): Promise<number>;
  /**
   * Where `remaining` counts in-process (a system whose complete call returns only after its
   * commit), the database's own count, read once after the timed drain to confirm it.
   */
  remainingInDb?(): Promise<number>;
  /** Stops whatever workers are running (drain or latency). */
  stopWorkers(): Promise<void>;
  /** Starts one waiting worker whose handler calls `onStart(payload.i)`. */
  startLatencyWorker(onStart: (i: number) => void): Promise<void>;
  /** Enqueues from a different connection (or process-level handle) than the waiting worker. */
  enqueueLatency(payload: BenchPayload): Promise<void>;
  teardown(): Promise<void>;
}
