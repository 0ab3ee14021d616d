import type { JobQueue } from '../queue/job-queue.js';
import { checkClaim } from '../queue/queue-calls.js';
import type { Job } from '../queue/job.js';
import type { CarriedCompletes } from './complete-batcher.js';

export interface HubLeaseRequest {
  tenantId: string;
  kinds: readonly string[];
  labels: readonly string[];
  max: number;
  waitMs: number;
  owner: string;
}

interface Waiter {
  max: number;
  owner: string;
  settle: (result: Job[] | Error) => void;
}

interface Group {
  req: Pick<HubLeaseRequest, 'tenantId' | 'kinds' | 'labels'>;
  waiters: Waiter[];
}

/** The queue refuses claims of more than this many jobs at once. */
const MAX_CLAIM = 1000;

/**
 * A new group waits this long before its first claim, so that requests arriving together share
 * one claim statement (one commit). Bounded exposure: adds at most this much to a lease.
 */
export const GATHER_MS = 2;

/** Pure: the group key — waiters with the same key are interchangeable for the claim. */
export function groupKey(req: Pick<HubLeaseRequest, 'tenantId' | 'kinds' | 'labels'>): string {
  return JSON.stringify([req.tenantId, [...req.kinds].sort(), [...req.labels].sort()]);
}

/**
 * Pure: hands claimed jobs to waiters round-robin in arrival order (one each, then a second each…),
 * each up to its `max`, so that as many waiting requests as possible get work.
 */
export function distribute(jobs: readonly Job[], wants: readonly number[]): Job[][] {
  const out: Job[][] = wants.map(() => []);
  let next = 0;
  for (let round = 0; next < jobs.length; round++) {
    let gave = false;
    for (let i = 0; i < wants.length && next < jobs.length; i++) {
      if (wants[i]! > round) {
        out[i]!.push(jobs[next++]!);
        gave = true;
      }
    }
    if (!gave) break;
  }
  return out;
}

/**
 * Coalesces concurrent long-polls. Every waiting lease request with the same tenant, kinds and
 * labels joins one group, and one loop per group claims for all of them with a single statement
 * (`max` = their total) whenever a wake-up hint arrives or the poll interval passes. Without it,
 * each hint woke every waiting request and each ran its own claim: 200 waiting agents meant 200
 * claim statements (and, on SQLite, 200 commits) per hint.
 *
 * A request ends when it gets at least one job, at its deadline, or when its signal aborts (the
 * client went away); jobs claimed for a request that is gone by then are handed back with
 * `snooze(0)`, which gives back the attempt.
 *
 * Each claim also carries the agents' completes that are waiting for their batch window
 * (`completes.take()`), written before it in one transaction, so those completes need no commit
 * of their own (bench:agents on SQLite at saturation: 0.57 → 0.34 commits per leased job,
 * docs/benchmarks.md). If that transaction fails, the completes go back to wait for their own
 * flush and the claim is tried alone, so neither fails because of the other.
 */
export class LeaseHub {
  readonly #queue: JobQueue;
  readonly #leaseMs: number;
  readonly #pollIntervalMs: number;
  readonly #completes: { take(): CarriedCompletes | null } | undefined;
  readonly #groups = new Map<string, Group>();

  constructor(
    queue: JobQueue,
    options: {
      leaseMs: number;
      pollIntervalMs: number;
      /** Where the completes waiting to be written come from (the complete batcher). */
      completes?: { take(): CarriedCompletes | null };
    },
  ) {
    this.#queue = queue;
    this.#leaseMs = options.leaseMs;
    this.#pollIntervalMs = options.pollIntervalMs;
    this.#completes = options.completes;
  }

  /** How many lease requests are waiting for a job right now. */
  get waiting(): number {
    let n = 0;
    for (const group of this.#groups.values()) n += group.waiters.length;
    return n;
  }

  /** Leases up to `max` jobs, waiting up to `waitMs` for the first. */
  lease(req: HubLeaseRequest, signal?: AbortSignal): Promise<Job[]> {
    if (signal?.aborted) return Promise.resolve([]);
    if (req.waitMs <= 0) return this.#claim(req, req.max, req.owner);
    return new Promise<Job[]>((resolve, reject) => {
      const key = groupKey(req);
      let group = this.#groups.get(key);
      const isNew = !group;
      group ??= { req, waiters: [] };
      const waiter: Waiter = {
        max: req.max,
        owner: req.owner,
        settle: (result) => {
          clearTimeout(timer);
          signal?.removeEventListener('abort', leave);
          if (result instanceof Error) reject(result);
          else resolve(result);
        },
      };
      const leave = () => {
        const i = group.waiters.indexOf(waiter);
        if (i >= 0) group.waiters.splice(i, 1);
        waiter.settle([]);
      };
      const timer = setTimeout(leave, req.waitMs);
      signal?.addEventListener('abort', leave, { once: true });
      group.waiters.push(waiter);
      if (isNew) {
        this.#groups.set(key, group);
        setTimeout(() => void this.#run(key, group), GATHER_MS);
      }
    });
  }

  async #claim(req: Group['req'], max: number, owner: string): Promise<Job[]> {
    const options = {
      kinds: req.kinds,
      labels: req.labels,
      tenantId: req.tenantId,
      max: Math.min(max, MAX_CLAIM),
      leaseMs: this.#leaseMs,
      owner,
    };
    checkClaim(options); // a bad claim must not take the completes with it
    const carried = this.#completes?.take();
    if (!carried) return this.#queue.claim(options);
    let written;
    try {
      written = await this.#queue.completeThenClaim(carried.items, options);
    } catch {
      // Rolled back: the completes wait for their own flush (which reports their own error, if
      // any), and the claim is tried alone, so neither fails because of the other.
      carried.putBack();
      return this.#queue.claim(options);
    }
    carried.settle(written.completed);
    return written.claimed;
  }

  /** The group's loop: claim for every waiter, hand out, sleep until a hint; ends when empty. */
  async #run(key: string, group: Group): Promise<void> {
    try {
      while (group.waiters.length > 0) {
        const hint = this.#queue.wake.subscribe();
        try {
          const want = group.waiters.reduce((n, w) => n + w.max, 0);
          const owner =
            group.waiters.length === 1 ? group.waiters[0]!.owner : `v2:${group.req.tenantId}`;
          const jobs = await this.#claim(group.req, want, owner);
          await this.#handOut(group, jobs);
          if (jobs.length < Math.min(want, MAX_CLAIM) && group.waiters.length > 0) {
            await hint.wait(this.#pollIntervalMs);
          }
        } finally {
          hint.dispose();
        }
      }
    } catch (err) {
      for (const w of group.waiters.splice(0)) w.settle(err as Error);
    } finally {
      this.#groups.delete(key);
    }
  }

  async #handOut(group: Group, jobs: Job[]): Promise<void> {
    if (jobs.length === 0) return;
    // Waiters that left during the claim were removed from the list; hand out to the rest.
    const waiters = group.waiters.slice();
    const shares = distribute(
      jobs,
      waiters.map((w) => w.max),
    );
    waiters.forEach((w, i) => {
      if (shares[i]!.length === 0) return;
      group.waiters.splice(group.waiters.indexOf(w), 1);
      w.settle(shares[i]!);
    });
    const handedOut = shares.reduce((n, s) => n + s.length, 0);
    for (const job of jobs.slice(handedOut)) {
      await this.#queue.snooze(job.id, job.leaseToken!, 0, 'lease handed back: requester left');
    }
  }
}
