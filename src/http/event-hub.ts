import type {
  DashboardFeedRepo,
  FeedEvent,
  RunsSnapshot,
} from '../store/tasks/dashboard-feed-repo.js';

/** One change the dashboard hears about (`GET /api/events`). */
export type HubEvent =
  | { kind: 'task'; event: FeedEvent }
  | { kind: 'runs'; taskIds: number[] | null }
  | { kind: 'jobs' };

export type HubListener = (e: HubEvent) => void;

export interface EventHubOptions {
  feed: Pick<DashboardFeedRepo, 'latestEventId' | 'eventsAfter' | 'runsSnapshot' | 'jobCounts'>;
  /** How often the store is read while someone listens (default 500 ms). */
  pollMs?: number;
  /** A failed read is reported here and tried again on the next tick. */
  onError?: (err: unknown) => void;
}

/**
 * On PostgreSQL an id is taken at insert but becomes visible at commit, so a row with a lower id
 * can appear after a higher one was read. Each read goes back this many ids and skips what was
 * already sent (SQLite serializes writers: the look-back finds nothing new there).
 */
const LOOKBACK_IDS = 50;
/** At most this many timeline entries per tick; the rest come on the next one. */
const BATCH = 500;

/** Pure: the task ids whose runs changed between two snapshots; null when some are unknown. */
export function changedRunTasks(prev: RunsSnapshot, next: RunsSnapshot): number[] | null {
  const before = new Map(prev.running.map((r) => [r.id, r.taskId]));
  const after = new Map(next.running.map((r) => [r.id, r.taskId]));
  const ids = new Set<number>();
  for (const [id, taskId] of before) if (!after.has(id) && taskId !== null) ids.add(taskId);
  for (const [id, taskId] of after) if (!before.has(id) && taskId !== null) ids.add(taskId);
  // A run that started and finished between two reads is in neither set: its task is unknown.
  for (let id = prev.maxId + 1; id <= next.maxId; id++) if (!after.has(id)) return null;
  return [...ids].sort((a, b) => a - b);
}

const sameRuns = (a: RunsSnapshot, b: RunsSnapshot) =>
  a.maxId === b.maxId &&
  a.running.length === b.running.length &&
  a.running.every((r, i) => r.id === b.running[i]?.id);

/**
 * One poller per server behind `GET /api/events` (issue 19): while at least one client listens it
 * reads the timeline entries after its cursor and fingerprints of agent_runs and jobs every
 * `pollMs`, and fans the changes out to every listener. With no listener it does nothing and
 * forgets its cursor (a later listener starts from "now"). Ticks are chained, never overlapping.
 */
export class EventHub {
  readonly #o: Required<EventHubOptions>;
  readonly #listeners = new Set<HubListener>();
  #cursor: number | null = null;
  /** The cursor when polling started: entries up to it existed before anyone listened. */
  #floor = 0;
  #starting: Promise<void> | null = null;
  #sent = new Set<number>();
  #runs: RunsSnapshot | null = null;
  #jobs: string | null = null;
  #timer: NodeJS.Timeout | null = null;
  #ticking = false;
  #stopped = false;

  constructor(o: EventHubOptions) {
    this.#o = { pollMs: 500, onError: () => undefined, ...o };
  }

  get listeners(): number {
    return this.#listeners.size;
  }

  /**
   * Adds a listener; resolves to the cursor (the last timeline id already fanned out: the
   * listener hears every entry above it) and the unsubscribe function.
   */
  async subscribe(listener: HubListener): Promise<{ cursor: number; unsubscribe: () => void }> {
    // A loop: the last other listener may leave (and reset the hub) while this one waits.
    while (this.#cursor === null) {
      if (this.#stopped) throw new Error('the event hub is stopped');
      this.#starting ??= this.#baseline();
      const starting = this.#starting;
      await starting.finally(() => {
        if (this.#starting === starting) this.#starting = null;
      });
    }
    this.#listeners.add(listener);
    this.#schedule();
    return {
      cursor: this.#cursor,
      unsubscribe: () => {
        this.#listeners.delete(listener);
        if (this.#listeners.size === 0) this.#idle();
      },
    };
  }

  /** Where a first listener starts: the newest entry, the runs and the job counts of now. */
  async #baseline(): Promise<void> {
    const [latest, runs, jobs] = await Promise.all([
      this.#o.feed.latestEventId(),
      this.#o.feed.runsSnapshot(),
      this.#o.feed.jobCounts(),
    ]);
    if (this.#cursor !== null) return;
    this.#cursor = latest;
    this.#floor = latest;
    this.#runs = runs;
    this.#jobs = JSON.stringify(jobs);
  }

  /** Ends polling for good (server closing); listeners are dropped. */
  stop(): void {
    this.#stopped = true;
    this.#listeners.clear();
    this.#idle();
  }

  #idle(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    this.#cursor = null;
    this.#sent.clear();
    this.#runs = null;
    this.#jobs = null;
  }

  #schedule(): void {
    if (this.#stopped || this.#timer || this.#ticking || this.#listeners.size === 0) return;
    this.#timer = setTimeout(() => {
      this.#timer = null;
      void this.runOnce().finally(() => this.#schedule());
    }, this.#o.pollMs);
  }

  /** One read of the store and the fan-out of what changed (tests call it directly). */
  async runOnce(): Promise<void> {
    if (this.#ticking || this.#cursor === null || this.#listeners.size === 0) return;
    this.#ticking = true;
    try {
      await this.#tick();
    } catch (err) {
      this.#o.onError(err);
    } finally {
      this.#ticking = false;
    }
  }

  async #tick(): Promise<void> {
    const cursor = this.#cursor!;
    const [events, runs, jobs] = await Promise.all([
      this.#o.feed.eventsAfter(Math.max(0, cursor - LOOKBACK_IDS), BATCH + LOOKBACK_IDS),
      this.#o.feed.runsSnapshot(),
      this.#o.feed.jobCounts(),
    ]);
    // Unsubscribed meanwhile (idle resets the cursor): drop this read.
    if (this.#cursor === null) return;
    for (const e of events) {
      if (e.id <= this.#floor || this.#sent.has(e.id)) continue;
      this.#sent.add(e.id);
      this.#cursor = Math.max(this.#cursor, e.id);
      this.#emit({ kind: 'task', event: e });
    }
    for (const id of this.#sent) if (id <= this.#cursor - LOOKBACK_IDS) this.#sent.delete(id);
    if (this.#runs && !sameRuns(this.#runs, runs)) {
      this.#emit({ kind: 'runs', taskIds: changedRunTasks(this.#runs, runs) });
    }
    this.#runs = runs;
    const fingerprint = JSON.stringify(jobs);
    if (this.#jobs !== null && this.#jobs !== fingerprint) this.#emit({ kind: 'jobs' });
    this.#jobs = fingerprint;
  }

  #emit(e: HubEvent): void {
    for (const l of this.#listeners) {
      try {
        l(e);
      } catch (err) {
        this.#o.onError(err);
      }
    }
  }
}
