import type { Clock } from '../clock.js';
import type { Logger } from '../log.js';
import type { Preflight, PreflightResult, PreflightTarget } from '../agents/preflight.js';
import type { RunningAgent } from '../agents/agent-runner.js';
import type { BreakerStore } from './breaker-store.js';
import {
  atCap,
  concurrencyView,
  hasCaps,
  NO_CAPS,
  type CapSlot,
  type ConcurrencyCaps,
  type ConcurrencyView,
} from './concurrency-caps.js';
import { ORCH_TENANT } from './enqueue-input.js';
import type { JobQueue } from './job-queue.js';
import type { Job } from './job.js';

/** What the worker needs from the agent runner (AgentRunner implements it). */
export interface JobLauncher {
  start(job: Job): RunningAgent;
  /** The preflight probe for a kind: the binary to spawn and the argv that proves it is accepted. */
  preflightTarget(kind: string): PreflightTarget;
}

export interface WorkerOptions {
  queue: JobQueue;
  breakers: BreakerStore;
  launcher: JobLauncher;
  preflight: Preflight;
  clock: Clock;
  log: Logger;
  /** Lease owner name, unique per worker process (e.g. `host:pid`). */
  owner: string;
  /** Job kinds this worker runs (the configured agent roles). */
  kinds: readonly string[];
  maxConcurrency: number;
  /**
   * Per-role and per-project caps under `maxConcurrency` (concurrency-caps.ts); default none.
   * They bind this worker only: remote agents lease by their own `--concurrency`. A function is
   * asked at every tick (a workflow file may change a project's cap while Orch runs).
   */
  caps?: ConcurrencyCaps | (() => ConcurrencyCaps);
  /** The project of a job (its task's); null = none. Needed for per-project caps and counts. */
  projectOf?: (job: Job) => Promise<string | null>;
  leaseMs: number;
  pollIntervalMs: number;
  /**
   * How long a kind may fail preflight before `onUnrunnable` is called for it (each tick from
   * then on, while it still fails). Default: never.
   */
  preflightGraceMs?: number;
  /** A kind failed preflight past the grace: its queued work should fail visibly. */
  onUnrunnable?: (kind: string, reason: string) => Promise<void>;
  /** Jobs this worker just leased (counted as `orch_job_claims_total{source="local"}`). */
  onClaimed?: (jobs: readonly Job[]) => void;
}

export interface TickResult {
  claimed: Job[];
  /** Kinds not claimed this tick: open/probing breakers and quota pauses. */
  blocked: string[];
  /** Kinds whose agent failed preflight, with the reason; their jobs stay queued. */
  preflightFailed: Record<string, string>;
}

/** A job this worker runs (or has just claimed), with what its caps count. */
interface Slot extends CapSlot {
  job: Job;
}

/**
 * The local queue worker daemon (spec §1 row 8): each tick claims up to `maxConcurrency` minus
 * running jobs, skipping kinds with an open breaker, a quota pause or a failed preflight, and
 * roles and projects at their concurrency cap, and hands each job to the launcher. A half-open
 * breaker lets exactly one probe job through. `runOnce()` is one tick (tests drive it with a
 * ManualClock); `start()` chains ticks, waking on queue hints, finished runs or the poll interval;
 * a failed tick is a log line. Caps are exact because ticks never overlap (one process, one loop)
 * and the running counts are this worker's own.
 */
export class Worker {
  readonly #o: WorkerOptions;
  readonly #capsOf: () => ConcurrencyCaps;
  readonly #running = new Map<number, Slot & { run: RunningAgent }>();
  readonly #preflightLogged = new Map<string, string>();
  /** When each kind started failing preflight (cleared when it passes again). */
  readonly #failingSinceMs = new Map<string, number>();
  #loop: Promise<void> | null = null;
  #abort: AbortController | null = null;
  #stopping = false;

  constructor(options: WorkerOptions) {
    this.#o = options;
    const caps = options.caps ?? NO_CAPS;
    this.#capsOf = typeof caps === 'function' ? caps : () => caps;
  }

  /** The per-role and per-project caps this worker keeps now (none by default). */
  get caps(): ConcurrencyCaps {
    return this.#capsOf();
  }

  get runningCount(): number {
    return this.#running.size;
  }

  /** True while this worker runs the job (its monitor is alive in this process). */
  holds(jobId: number): boolean {
    return this.#running.has(jobId);
  }

  async runOnce(): Promise<TickResult> {
    const empty: TickResult = { claimed: [], blocked: [], preflightFailed: {} };
    const free = this.#o.maxConcurrency - this.#running.size;
    if (this.#stopping || free <= 0) return empty;
    const gates = await this.#o.breakers.gates();
    const blocked = new Set(gates.blocked);
    const preflightFailed = await this.#preflight(
      this.#o.kinds.filter((k) => !blocked.has(k) || gates.probe.some((p) => p.kind === k)),
    );
    const claimed: Slot[] = [];
    // Whatever a later claim does, what this tick holds is launched (never left to lease expiry).
    try {
      for (const p of gates.probe) {
        if (claimed.length >= free || !this.#o.kinds.includes(p.kind) || preflightFailed[p.kind])
          continue;
        const cap = this.#atCap(claimed);
        if (cap.kinds.includes(p.kind)) continue;
        if (!(await this.#o.breakers.reserveProbe(p.kind, p.expectProbeJobId))) continue;
        const [job] = await this.#claim([p.kind], [], 1, cap.projects);
        await this.#o.breakers.settleProbe(p.kind, job?.id ?? null);
        if (job) await this.#hold(job, claimed);
      }
      const exclude = [...new Set([...blocked, ...Object.keys(preflightFailed)])];
      const allowed = this.#o.kinds.filter((k) => !exclude.includes(k));
      await this.#fill(allowed, exclude, free, claimed);
    } finally {
      for (const slot of claimed) this.#launch(slot);
    }
    return { claimed: claimed.map((s) => s.job), blocked: [...blocked], preflightFailed };
  }

  /**
   * Claims into the free slots. Without caps: one batch. With caps: one job per claim, each claim
   * leaving out the roles and projects at their cap counting what runs and what this tick took,
   * so a batch never overshoots a cap; a job left out stays queued, its attempts untouched.
   */
  async #fill(allowed: string[], exclude: string[], free: number, claimed: Slot[]): Promise<void> {
    if (!hasCaps(this.caps)) {
      if (claimed.length >= free || allowed.length === 0) return;
      const jobs = await this.#claim(allowed, exclude, free - claimed.length, []);
      for (const job of jobs) await this.#hold(job, claimed);
      return;
    }
    while (claimed.length < free) {
      const cap = this.#atCap(claimed);
      const kinds = allowed.filter((k) => !cap.kinds.includes(k));
      if (kinds.length === 0) return;
      const [job] = await this.#claim(kinds, [...exclude, ...cap.kinds], 1, cap.projects);
      if (!job || !(await this.#hold(job, claimed))) return;
    }
  }

  #atCap(claimed: readonly Slot[]) {
    return atCap(this.caps, [...this.#running.values(), ...claimed]);
  }

  /**
   * Adds a claimed job with its project to `claimed`. If its project cannot be read, the job goes
   * back to the queue (its attempt given back) rather than run uncounted: false.
   */
  async #hold(job: Job, claimed: Slot[]): Promise<boolean> {
    let project: string | null = null;
    try {
      project = (await this.#o.projectOf?.(job)) ?? null;
    } catch (err) {
      this.#o.log.error({ err, jobId: job.id }, 'could not read the project of a claimed job');
      await this.#o.queue
        .snooze(job.id, job.leaseToken!, 0, 'project unknown at claim (concurrency caps)')
        .catch((e: unknown) =>
          this.#o.log.error({ err: e, jobId: job.id }, 'could not requeue the job'),
        );
      return false;
    }
    claimed.push({ job, kind: job.kind, project });
    return true;
  }

  async #claim(
    kinds: string[],
    excludeKinds: string[],
    max: number,
    excludeProjects: string[],
  ): Promise<Job[]> {
    // Orch's own jobs only: a tenant's jobs are leased by that tenant's remote agents (issue 13).
    const jobs = await this.#o.queue.claim({
      kinds,
      excludeKinds,
      excludeProjects,
      tenantId: ORCH_TENANT,
      max,
      leaseMs: this.#o.leaseMs,
      owner: this.#o.owner,
    });
    if (jobs.length > 0) this.#o.onClaimed?.(jobs);
    return jobs;
  }

  async #preflight(kinds: readonly string[]): Promise<Record<string, string>> {
    const failed: Record<string, string> = {};
    for (const kind of kinds) {
      const target = this.#o.launcher.preflightTarget(kind);
      let r: PreflightResult;
      try {
        r = await this.#o.preflight.check(target);
      } catch (err) {
        r = { ok: false, reason: err instanceof Error ? err.message : String(err) };
      }
      if (!r.ok) failed[kind] = r.reason;
      await this.#trackUnrunnable(kind, r);
      const prev = this.#preflightLogged.get(kind);
      const now = r.ok ? 'ok' : r.reason;
      if (prev !== now) {
        this.#preflightLogged.set(kind, now);
        if (!r.ok)
          this.#o.log.warn({ agent: kind, reason: r.reason }, 'preflight failed; jobs stay queued');
        else if (prev !== undefined) this.#o.log.info({ agent: kind }, 'preflight ok again');
      }
    }
    return failed;
  }

  /** Past the grace, a kind that still fails preflight is reported (its jobs must not wait forever). */
  async #trackUnrunnable(kind: string, r: PreflightResult): Promise<void> {
    if (r.ok) return void this.#failingSinceMs.delete(kind);
    const nowMs = this.#o.clock.now();
    const since = this.#failingSinceMs.get(kind) ?? nowMs;
    this.#failingSinceMs.set(kind, since);
    const grace = this.#o.preflightGraceMs;
    if (grace === undefined || !this.#o.onUnrunnable || nowMs - since < grace) return;
    try {
      await this.#o.onUnrunnable(kind, r.reason);
    } catch (err) {
      this.#o.log.error({ err, agent: kind }, 'could not fail the jobs of an unrunnable kind');
    }
  }

  /** Hands a job to the launcher; whatever happens, the slot is freed when the run settles. */
  #launch(slot: Slot): void {
    const { job } = slot;
    let run: RunningAgent;
    try {
      run = this.#o.launcher.start(job);
    } catch (err) {
      this.#o.log.error({ err, jobId: job.id }, 'launch error');
      void this.#o.queue
        .fail(job.id, job.leaseToken!, { kind: 'permanent', error: `launch error: ${String(err)}` })
        .catch((e: unknown) =>
          this.#o.log.error({ err: e, jobId: job.id }, 'could not record launch error'),
        );
      return;
    }
    this.#running.set(job.id, { ...slot, run });
    void run.done
      .catch((err: unknown) =>
        this.#o.log.error(
          { err, jobId: job.id },
          'agent run crashed; lease expiry will recover the job',
        ),
      )
      .finally(() => {
        this.#running.delete(job.id);
        this.#o.queue.wake.notify();
      });
  }

  /** Resolves when no run is in flight (tests). */
  async whenIdle(): Promise<void> {
    while (this.#running.size > 0) {
      await Promise.allSettled([...this.#running.values()].map((r) => r.run.done));
    }
  }

  start(): void {
    if (this.#loop) return;
    this.#stopping = false;
    this.#abort = new AbortController();
    this.#loop = this.#runLoop(this.#abort.signal);
  }

  async #runLoop(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      const waiter = this.#o.queue.wake.subscribe();
      try {
        await this.runOnce();
      } catch (err) {
        this.#o.log.error({ err, daemon: 'worker' }, 'worker tick failed');
      }
      try {
        await waiter.wait(this.#o.pollIntervalMs, signal);
      } finally {
        waiter.dispose();
      }
    }
  }

  /**
   * Stops claiming, lets running agents finish for up to `drainMs`, then stops the rest: their
   * process groups are killed and their jobs are left `running` for recovery (lease expiry or
   * startup `recoverRunning`), with the attempt counted.
   */
  async stop(options: { drainMs?: number } = {}): Promise<void> {
    this.#stopping = true;
    this.#abort?.abort();
    await this.#loop;
    this.#loop = null;
    const drainMs = options.drainMs ?? 30_000;
    if (this.#running.size > 0 && drainMs > 0) {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<void>((r) => (timer = setTimeout(r, drainMs)));
      await Promise.race([this.whenIdle(), timeout]);
      clearTimeout(timer);
    }
    for (const { run } of this.#running.values()) run.stop();
    await this.whenIdle();
  }

  status() {
    return {
      owner: this.#o.owner,
      running: this.#running.size,
      maxConcurrency: this.#o.maxConcurrency,
      kinds: [...this.#o.kinds],
      stopping: this.#stopping,
      preflightFailed: Object.fromEntries([...this.#preflightLogged].filter(([, v]) => v !== 'ok')),
    };
  }

  /** The caps and this worker's running counts per role and project (`/queue` `concurrency`). */
  concurrency(): ConcurrencyView {
    return concurrencyView(this.caps, this.#o.maxConcurrency, [...this.#running.values()]);
  }
}
