import type { Clock } from '../clock.js';
import type { Db } from '../store/db.js';
import { assertNever, OrchError } from '../errors.js';
import { payloadToJson } from '../queue/enqueue-input.js';
import type { JobQueue } from '../queue/job-queue.js';
import type { FencedResult } from '../queue/queue-calls.js';
import type { Job } from '../queue/job.js';
import { touchAgents, type AgentSighting, type AgentTokenGrant } from './agent-tokens.js';
import { CompleteBatcher } from './complete-batcher.js';
import { findTenantJob, insertFencedJobEvent } from './job-access.js';
import { LeaseHub } from './lease-hub.js';
import { refreshRun } from './runs-store.js';
import { withTenant } from '../store/v2/tenant-scope.js';

export interface LeaseRequest {
  kinds?: string[] | undefined;
  labels?: string[] | undefined;
  max: number;
  waitMs: number;
  agent?: string | undefined;
}

export interface CompleteRequest {
  leaseToken: string;
  status: 'succeeded' | 'failed' | 'cancelled';
  result?: unknown;
  error?: string | undefined;
  /** A failed attempt worth retrying later (429, overload): the queue's transient budget. */
  retryable?: boolean | undefined;
  retryAfterMs?: number | undefined;
}

export interface AgentProtocolOptions {
  db: Db;
  queue: JobQueue;
  clock: Clock;
  leaseMs: number;
  /** Cap on a lease long-poll (spec §5.1 item 7: ≤ 50 s). */
  maxWaitMs: number;
  /** How often waiting lease requests re-claim without a wake-up hint. */
  pollIntervalMs: number;
  onClaimed?: (jobs: readonly Job[]) => void;
  onLeaseLost?: (endpoint: 'heartbeat' | 'events' | 'complete') => void;
}

/** Agent sightings (`agents.last_seen_ms`) are written in one transaction at most this often. */
const TOUCH_INTERVAL_MS = 1000;

/** Pure: the kinds an agent may lease now, or KIND_NOT_ALLOWED. */
export function allowedKinds(granted: readonly string[], requested?: readonly string[]): string[] {
  if (!requested || requested.length === 0) return [...granted];
  const outside = requested.filter((k) => !granted.includes(k));
  if (outside.length > 0) {
    throw new OrchError(
      'KIND_NOT_ALLOWED',
      `this token may not lease kinds: ${outside.join(', ')}`,
    );
  }
  return [...new Set(requested)];
}

/**
 * The v2 remote-agent protocol (spec §11, queue notes §5.1 item 7) over the job queue. Every
 * request is scoped to the token's tenant (another tenant's job is JOB_NOT_FOUND) and every
 * write by an agent is fenced by its lease token (`lease_lost` → HTTP 409).
 */
export class AgentProtocol {
  readonly #o: AgentProtocolOptions;
  readonly #hub: LeaseHub;
  readonly #completes: CompleteBatcher;
  readonly #sightings = new Map<string, AgentSighting>();
  readonly #known = new Set<string>();
  #touchedAtMs = -Infinity;

  constructor(options: AgentProtocolOptions) {
    this.#o = options;
    this.#completes = new CompleteBatcher(options.queue);
    this.#hub = new LeaseHub(options.queue, { ...options, completes: this.#completes });
  }

  /** Lease requests (long-polls) waiting for a job right now. */
  get waitingLeases(): number {
    return this.#hub.waiting;
  }

  /** Long-polls for up to `waitMs` (capped) and leases up to `max` matching jobs of the tenant. */
  async lease(grant: AgentTokenGrant, req: LeaseRequest, signal?: AbortSignal): Promise<Job[]> {
    const kinds = allowedKinds(grant.kinds, req.kinds);
    const labels = req.labels ?? grant.labels;
    const name = req.agent ?? grant.name;
    await this.#touch(grant, name, kinds, labels);
    const jobs = await this.#hub.lease(
      {
        tenantId: grant.tenantId,
        kinds,
        labels,
        max: req.max,
        waitMs: Math.min(Math.max(0, req.waitMs), this.#o.maxWaitMs),
        owner: `agent:${grant.tokenId}:${name}`,
      },
      signal,
    );
    if (jobs.length > 0) this.#o.onClaimed?.(jobs);
    return jobs;
  }

  /**
   * Gives leased jobs back at once (no attempt used), for a long-poll whose client left before it
   * got them; a job whose lease moved on meanwhile is left alone (the write is fenced).
   */
  async handBack(jobs: readonly Job[], reason: string): Promise<void> {
    for (const job of jobs) await this.#o.queue.snooze(job.id, job.leaseToken!, 0, reason);
  }

  /**
   * Buffers the sighting; flushes all buffered sightings at most once per TOUCH_INTERVAL_MS, and at
   * once when this process has not seen the agent before (a new agent shows up immediately).
   */
  async #touch(grant: AgentTokenGrant, name: string, kinds: string[], labels: string[]) {
    const nowMs = this.#o.clock.now();
    const key = `${grant.tokenId}:${name}`;
    this.#sightings.set(key, { grant, name, kinds, labels, seenAtMs: nowMs });
    const isNew = !this.#known.has(key);
    if (isNew && this.#known.size >= 100_000) this.#known.clear();
    this.#known.add(key);
    if (!isNew && nowMs - this.#touchedAtMs < TOUCH_INTERVAL_MS) return;
    this.#touchedAtMs = nowMs;
    const batch = [...this.#sightings.values()];
    this.#sightings.clear();
    await touchAgents(this.#o.db, batch);
  }

  /**
   * The hot path (heartbeat, complete) checks the tenant with one filtered statement instead of a
   * tenant-scoped transaction (four round trips on PostgreSQL; measured in bench:agents). The
   * write that follows is fenced by the lease token, which only this tenant's lease received.
   */
  #assertJob(grant: AgentTokenGrant, jobId: number) {
    return findTenantJob(this.#o.db, grant.tenantId, jobId);
  }

  /** Extends the lease; `cancelRequested` tells the agent to stop (admin cancel). */
  async heartbeat(
    grant: AgentTokenGrant,
    jobId: number,
    leaseToken: string,
  ): Promise<FencedResult<{ leaseExpiresAtMs: number; cancelRequested: boolean }>> {
    await this.#assertJob(grant, jobId);
    const res = await this.#o.queue.heartbeat(jobId, leaseToken, this.#o.leaseMs);
    if (res.kind === 'lease_lost') this.#o.onLeaseLost?.('heartbeat');
    return res;
  }

  /** Stores a progress or lifecycle event from the lease holder. */
  async event(
    grant: AgentTokenGrant,
    jobId: number,
    e: { leaseToken: string; type: string; data?: unknown },
  ): Promise<FencedResult<object>> {
    const dataJson = payloadToJson(e.data ?? {});
    const nowMs = this.#o.clock.now();
    const stored = await withTenant(this.#o.db, grant.tenantId, async (q) => {
      await findTenantJob(q, grant.tenantId, jobId);
      const ev = {
        tenantId: grant.tenantId,
        jobId,
        leaseToken: e.leaseToken,
        type: e.type,
        dataJson,
      };
      return insertFencedJobEvent(q, ev, nowMs);
    });
    if (!stored) this.#o.onLeaseLost?.('events');
    return stored ? { kind: 'ok' } : { kind: 'lease_lost' };
  }

  /** Ends the attempt and, if the job belongs to a run, refreshes the run (final event once). */
  async complete(
    grant: AgentTokenGrant,
    jobId: number,
    req: CompleteRequest,
  ): Promise<FencedResult<{ job?: Job }>> {
    const { status } = req;
    if (status === 'succeeded') return this.#succeed(grant, jobId, req);
    const job = await this.#assertJob(grant, jobId);
    const res = await this.#end(jobId, { ...req, status });
    if (res.kind === 'lease_lost') {
      this.#o.onLeaseLost?.('complete');
      return res;
    }
    await this.#refreshRun(grant, job.run_id);
    return res;
  }

  /**
   * The usual complete: one statement shared by the batch, fenced by token and tenant, so no
   * separate tenant check first; only when it finds nothing is the job looked up, to answer
   * JOB_NOT_FOUND for a job that is not this tenant's rather than `lease_lost`.
   */
  async #succeed(
    grant: AgentTokenGrant,
    jobId: number,
    req: CompleteRequest,
  ): Promise<FencedResult<object>> {
    const res = await this.#completes.complete(
      jobId,
      req.leaseToken,
      req.result ?? null,
      grant.tenantId,
    );
    if (res.kind === 'lease_lost') {
      await this.#assertJob(grant, jobId);
      this.#o.onLeaseLost?.('complete');
      return res;
    }
    await this.#refreshRun(grant, res.runId);
    return { kind: 'ok' };
  }

  /** A job of a run finished: the run's status (and its final event, once) follows. */
  async #refreshRun(grant: AgentTokenGrant, runId: number | null): Promise<void> {
    if (runId === null) return;
    await withTenant(this.#o.db, grant.tenantId, (q) =>
      refreshRun(q, grant.tenantId, runId, this.#o.clock.now()),
    );
  }

  /** A failed or cancelled attempt, through the queue's fenced fail / cancel. */
  #end(
    jobId: number,
    req: CompleteRequest & { status: 'failed' | 'cancelled' },
  ): Promise<FencedResult<{ job?: Job }>> {
    const q = this.#o.queue;
    switch (req.status) {
      case 'cancelled':
        return q.cancel(jobId, req.leaseToken, req.error ?? 'cancelled by agent');
      case 'failed':
        return q.fail(jobId, req.leaseToken, {
          kind: req.retryable ? 'transient' : 'permanent',
          retryAfterMs: req.retryAfterMs ?? null,
          error: req.error ?? 'failed',
        });
      default:
        return assertNever(req.status, 'completion status');
    }
  }
}
