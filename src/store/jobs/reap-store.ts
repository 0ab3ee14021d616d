import type { Db, Dialect } from '../db.js';
import { payloadToJson } from '../../queue/enqueue-input.js';
import { jobFromRow, type Job, type JobRow } from '../../queue/job.js';
import type { JobEvent } from '../../queue/job-transitions.js';
import type { RunningJobView } from '../../recovery/reap-decision.js';
import { transitionSet } from './transition-sql.js';

/** A running job as the reaper reads it: the job, its lease and its current agent run. */
export interface RunningJob extends RunningJobView {
  kind: string;
  taskId: number | null;
  payload: unknown;
  leaseToken: string | null;
  leasedBy: string | null;
  leaseExpiresAtMs: number | null;
  agentRunId: number | null;
}

interface RunningRow {
  id: number;
  kind: string;
  task_id: number | null;
  payload: string;
  pid: number | null;
  started_at_ms: number | null;
  attempts: number;
  max_attempts: number;
  lease_token: string | null;
  leased_by: string | null;
  lease_expires_at_ms: number | null;
  agent_run_id: number | null;
  run_started_at_ms: number | null;
  run_finished_at_ms: number | null;
  exit_code: number | null;
  run_outcome: string | null;
}

function num(v: number | null): number | null {
  return v === null ? null : Number(v);
}

function fromRow(r: RunningRow): RunningJob {
  let payload: unknown = null;
  try {
    payload = JSON.parse(r.payload) as unknown;
  } catch {
    payload = r.payload;
  }
  return {
    id: Number(r.id),
    kind: r.kind,
    taskId: num(r.task_id),
    payload,
    pid: r.pid,
    startedAtMs: num(r.started_at_ms),
    attempts: r.attempts,
    maxAttempts: r.max_attempts,
    leaseToken: r.lease_token,
    leasedBy: r.leased_by,
    leaseExpiresAtMs: num(r.lease_expires_at_ms),
    agentRunId: num(r.agent_run_id),
    runStartedAtMs: num(r.run_started_at_ms),
    runFinishedAtMs: num(r.run_finished_at_ms),
    exitCode: r.exit_code,
    runOutcome: r.run_outcome,
  };
}

export type ReapStatus = 'queued' | 'done' | 'failed';

const REAP_EVENT = {
  queued: 'reap_requeue',
  done: 'reap_done',
  failed: 'reap_failed',
} as const satisfies Record<ReapStatus, JobEvent>;

function claimSql(dialect: Dialect, to: ReapStatus): string {
  const set = transitionSet([{ from: 'running', event: REAP_EVENT[to] }], {
    dialect,
    params: { now: '$3', error: '$4', result: '$5' },
  });
  return `-- reap claim: running → ${to} for job $1 fenced on lease token $2 at $3; error $4, result $5
       update jobs set ${set}
       where id = $1 and status = 'running' and (lease_token = $2 or (lease_token is null and $2 is null))
       returning *`;
}

/**
 * The reaper's statements (also startup recovery's). `claim` is its only write to a job row: one conditional update fenced
 * on the lease token the reaper saw and `status = 'running'`, so of the reaper, a late finalizer,
 * startup recovery, lease expiry and another replica exactly one moves the row.
 */
export class ReapStore {
  readonly #db: Db;

  constructor(db: Db) {
    this.#db = db;
  }

  /** Read-only: every running job with its linked agent run (LEFT JOIN: a run may not exist). */
  async running(): Promise<RunningJob[]> {
    const rows = await this.#db.all<RunningRow>(
      `-- reaper: running jobs with their current agent run's exit code and times
       select j.id, j.kind, j.task_id, j.payload, j.pid, j.started_at_ms, j.attempts, j.max_attempts,
         j.lease_token, j.leased_by, j.lease_expires_at_ms, j.agent_run_id,
         r.started_at_ms as run_started_at_ms, r.finished_at_ms as run_finished_at_ms,
         r.exit_code, r.outcome as run_outcome
       from jobs j left join agent_runs r on r.id = j.agent_run_id
       where j.status = 'running' order by j.id`,
    );
    return rows.map(fromRow);
  }

  /**
   * The guarded reap: running → `to`, only while the row still has the token `leaseToken`.
   * queued: a clean slate for the next claim (no pid, run link, lease or start time; claimable
   * now; attempts kept). done/failed: finished now. A job with a pending cancel ends cancelled
   * instead (the caller must then not act for it). Returns the job, or null when the claim was lost.
   */
  async claim(
    id: number,
    leaseToken: string | null,
    to: ReapStatus,
    o: { nowMs: number; error?: string | null; result?: unknown },
  ): Promise<Job | null> {
    const row = await this.#db.get<JobRow>(claimSql(this.#db.dialect, to), [
      id,
      leaseToken,
      o.nowMs,
      o.error ?? null,
      o.result === undefined ? null : payloadToJson(o.result),
    ]);
    return row ? jobFromRow(row) : null;
  }
}
