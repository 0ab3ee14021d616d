import type { Dialect, NamedSql } from '../db.js';
import type { JobEvent } from '../../queue/job-transitions.js';
import { transitionSet } from './transition-sql.js';

/** A lease holder's write: `(id, lease_token, status='running')` = `($1, $2, $3)`. */
const FENCE = 'id = $1 and lease_token = $2 and status = $3';

/**
 * The columns a claimer gets back: everything a worker or a remote agent reads, except the ones
 * the claim itself sets to a known value on a running row (leased_by = owner, lease_expires_at_ms =
 * now + lease, heartbeat_at_ms = updated_at_ms = started_at_ms = now; pid, agent_run_id,
 * finished_at_ms null; cancel_requested 0), which `jobFromClaimTuple` fills in. Not `j.*`: every
 * returned column costs ~0.1 µs per claimed job on SQLite (RETURNING buffers each row, and the
 * driver builds each value), a third of the claim's ~5.5 µs with all 27.
 */
export const CLAIM_COLUMNS = [
  'id',
  'tenant_id',
  'kind',
  'labels',
  'task_id',
  'run_id',
  'payload',
  'status',
  'priority',
  'attempts',
  'max_attempts',
  'transient_attempts',
  'available_at_ms',
  'idempotency_key',
  'lease_token',
  'error',
  'result',
  'created_at_ms',
] as const;

/** Random bytes a PostgreSQL claim takes in `$10` per job it may lease (one lease token each). */
export const CLAIM_TOKEN_BYTES = 16;

/**
 * PostgreSQL: the n-th claimed row's lease token is the n-th `CLAIM_TOKEN_BYTES` of `$10` (random
 * bytes from the caller), in hex. `gen_random_uuid()::text` per row cost ~0.85 µs of the claim's
 * ~6.6 µs of server CPU per job; one random buffer from Node and a slice per row ~0.15 µs
 * (docs/benchmarks.md). Every token is still 128 random bits, and distinct per row, so jobs of
 * one claim handed to different agents (lease-hub.ts) cannot be completed with each other's token.
 */
const PG_CLAIM_TOKEN = `encode(substr($10::bytea, (u.n::int - 1) * ${CLAIM_TOKEN_BYTES} + 1, ${CLAIM_TOKEN_BYTES}), 'hex')`;

function claimSet(dialect: Dialect): string {
  return transitionSet([{ from: 'queued', event: 'claim' }], {
    dialect,
    params: {
      now: '$2',
      owner: '$5',
      leaseExpiresAtMs: '$2 + $8',
      ...(dialect === 'postgres' && { newToken: PG_CLAIM_TOKEN }),
    },
    ...(dialect === 'postgres' && { qualifier: 'j' }),
  });
}

/**
 * PostgreSQL claim. `unnest(array(…))` runs the locking subquery once as an init plan and then
 * updates by primary key (graphile-worker's shape), instead of a CTE joined back to jobs; `with
 * ordinality` numbers the rows so each takes its own slice of `$10` as its lease token.
 * `lease_token is null` selects the partial claim index (migration 0011): every queued row has
 * no token (job-transitions.ts clears it on every way back to queued).
 */
const POSTGRES_CLAIM = `
-- claim: lease up to $4 available queued jobs, priority desc then FIFO, skipping rows other claimers hold;
-- $1 kinds (null = any), $2 now, $3 agent labels JSON, $5 owner, $6 excluded kinds, $7 tenant (null = any), $8 lease ms,
-- $9 excluded projects (jobs of those projects' tasks stay queued; concurrency caps),
-- $10 16 random bytes per row ($4 × 16): the n-th claimed row's lease token is the n-th slice, in hex
update jobs j
set ${claimSet('postgres')}
from unnest(array(
  select id from jobs
  where lease_token is null and status = 'queued'
    and available_at_ms <= $2
    and ($1::text[] is null or kind = any($1::text[]))
    and not (kind = any($6::text[]))
    and ($7::text is null or tenant_id = $7::text)
    and (labels = '[]' or labels::jsonb <@ $3::jsonb)
    and (cardinality($9::text[]) = 0 or jobs.task_id is null or not exists (
      select 1 from tasks t where t.id = jobs.task_id and t.project_key = any($9::text[])))
  order by priority desc, id
  limit $4
  for update skip locked
)) with ordinality as u(id, n)
where j.id = u.id
returning ${CLAIM_COLUMNS.map((c) => `j.${c}`).join(', ')}`;

// SQLite: `indexed by` because without sqlite_stat1 (SQLite never analyzes by itself) the planner
// may prefer another index and then sort every queued row: a claim of 100 from 20,000 queued jobs
// took ~20 ms that way, ~7 ms walking the claim-order index.
const SQLITE_CLAIM = `
-- claim: lease up to $4 available queued jobs, priority desc then FIFO (the write lock makes it atomic);
-- $1 kinds JSON (null = any), $2 now, $3 agent labels JSON, $5 owner, $6 excluded kinds JSON, $7 tenant, $8 lease ms,
-- $9 excluded projects JSON (jobs of those projects' tasks stay queued; concurrency caps)
update jobs
set ${claimSet('sqlite')}
where id in (
  select id from jobs indexed by jobs_queued_idx
  where lease_token is null and status = 'queued'
    and available_at_ms <= $2
    and ($1 is null or kind in (select value from json_each($1)))
    and kind not in (select value from json_each($6))
    and ($7 is null or tenant_id = $7)
    and (labels = '[]' or not exists (
      select 1 from json_each(jobs.labels) l where l.value not in (select value from json_each($3))))
    and ($9 = '[]' or jobs.task_id is null or not exists (
      select 1 from tasks t where t.id = jobs.task_id
        and t.project_key in (select value from json_each($9))))
  order by priority desc, id
  limit $4
)
returning ${CLAIM_COLUMNS.join(', ')}`;

function held(dialect: Dialect, event: JobEvent, params: Record<string, string>): string {
  return transitionSet([{ from: 'running', event }], { dialect, params });
}

const FAIL_PARAMS = { attempts: '$4', transientAttempts: '$5', error: '$6', now: '$7' };

/** The `complete` transition, each row's result taken from the batch. */
function completeSet(dialect: Dialect): string {
  return transitionSet([{ from: 'running', event: 'complete' }], {
    dialect,
    params: { now: '$2', result: 'b.result' },
    qualifier: dialect === 'postgres' ? 'j' : 'jobs',
  });
}

const POSTGRES_COMPLETE_BATCH = `
-- complete batch: finish the held jobs listed in $1 (JSON [{id, leaseToken, result, tenant}]), each fenced by its own lease token
-- (and by its tenant, when the caller is a tenant's agent); $2 now ms
update jobs j
set ${completeSet('postgres')}
from jsonb_to_recordset($1::jsonb) as b(id bigint, "leaseToken" text, result text, tenant text)
where j.id = b.id and j.lease_token = b."leaseToken" and j.status = 'running'
  and (b.tenant is null or j.tenant_id = b.tenant)
returning j.id, j.run_id, j.lease_token, j.tenant_id -- read by position (JobsRepo.completeBatch)
`;

// SQLite: the unary `+` keeps any index on status out of the plan, so the join runs from the
// batch to jobs by rowid; otherwise SQLite may walk every running job and re-parse $1 for each
// (measured: 15 ms instead of ~7 ms for 100 jobs, on a loaded 2-vCPU host). The batch is an array
// of arrays: extracting by position costs ~10 % less than by key (0.35 µs per job of ~3.4).
const SQLITE_COMPLETE_BATCH = `
-- complete batch: finish the held jobs listed in $1 (JSON [[id, leaseToken, result, tenant]]), each fenced by its own lease token
-- (and by its tenant, when the caller is a tenant's agent); $2 now ms
update jobs
set ${completeSet('sqlite')}
from (select value ->> 0 as id, value ->> 1 as lease_token, value ->> 2 as result,
             value ->> 3 as tenant_id
      from json_each($1)) as b
where jobs.id = b.id and jobs.lease_token = b.lease_token and +jobs.status = 'running'
  and (b.tenant_id is null or jobs.tenant_id = b.tenant_id)
returning jobs.id, jobs.run_id, jobs.lease_token, jobs.tenant_id -- read by position (JobsRepo.completeBatch)
`;

/**
 * One job of a complete batch: its id, the lease token it is fenced by, its result as JSON text,
 * and the tenant whose agent completes it (null: Orch's own worker, any tenant).
 */
export interface CompleteBatchItem {
  id: number;
  leaseToken: string;
  resultJson: string | null;
  tenantId: string | null;
}

/** The complete batch's `$1`, in the shape each dialect's statement reads. */
function completeBatchJson(dialect: Dialect, items: readonly CompleteBatchItem[]): string {
  return JSON.stringify(
    dialect === 'postgres'
      ? items.map((i) => ({
          id: i.id,
          leaseToken: i.leaseToken,
          result: i.resultJson,
          tenant: i.tenantId,
        }))
      : items.map((i) => [i.id, i.leaseToken, i.resultJson, i.tenantId]),
  );
}

/** A text member of a job's JSON payload (`alias.payload`). */
function payloadText(dialect: Dialect, alias: string, key: string): string {
  return dialect === 'postgres'
    ? `${alias}.payload::jsonb ->> '${key}'`
    : `${alias}.payload ->> '$.${key}'`;
}

/** A queued `$1`-kind job of `alias` not due before `$3`, whose payload waits for `$2`. */
function waiting(dialect: Dialect, alias: string): string {
  return `${alias}.kind = $1 and ${alias}.status = 'queued' and ${alias}.lease_token is null
           and ${alias}.available_at_ms > $3 and ${payloadText(dialect, alias, 'waitsFor')} = $2`;
}

/** The target row of a wake-up still waits (PostgreSQL re-checks only the outer filter). */
const STILL_WAITING = "status = 'queued' and lease_token is null and available_at_ms > $3";

/** A woken waiter: claimable at `$3`. */
function wakeSet(dialect: Dialect): string {
  return transitionSet([{ from: 'queued', event: 'release' }], { dialect, params: { now: '$3' } });
}

/**
 * The queue's hot statements, their `set` lists rendered from job-transitions.ts. Every lease
 * holder's write is fenced by ($1 id, $2 lease token, $3 'running'); further parameters are listed
 * in each statement's comment. The hottest are named, so PostgreSQL parses and plans them once
 * per connection.
 */
function build(dialect: Dialect) {
  const named = (name: string, text: string): NamedSql => ({ name: `orch_jobs_${name}`, text });
  return {
    claim: named('claim', dialect === 'postgres' ? POSTGRES_CLAIM : SQLITE_CLAIM),
    completeBatch: named(
      'complete_batch',
      dialect === 'postgres' ? POSTGRES_COMPLETE_BATCH : SQLITE_COMPLETE_BATCH,
    ),
    completeBatchJson: (items: readonly CompleteBatchItem[]) => completeBatchJson(dialect, items),
    heartbeat: named(
      'heartbeat',
      `-- heartbeat: extend a held lease; $4 now, $5 new expiry
       update jobs set ${held(dialect, 'heartbeat', { now: '$4', leaseExpiresAtMs: '$5' })}
       where ${FENCE} returning lease_expires_at_ms, cancel_requested`,
    ),
    attach: `-- attach: stamp pid $4 / agent run $5 on a held job (null keeps the current value); $6 now
       update jobs set ${held(dialect, 'attach', { pid: '$4', agentRunId: '$5', now: '$6' })}
       where ${FENCE}`,
    complete: named(
      'complete',
      `-- complete: finish a held job with result $4 at $5; the token stays so a retried complete is idempotent
       update jobs set ${held(dialect, 'complete', { result: '$4', now: '$5' })}
       where ${FENCE} returning *`,
    ),
    held: named(
      'held',
      `-- fail: the held job's attempt counters the failure policy decides from
       select id, attempts, max_attempts, transient_attempts from jobs where ${FENCE}`,
    ),
    // fail: fenced on the token and on the attempt counters the policy decided from ($8, $9).
    failFinal: named(
      'fail_final',
      `-- fail: a held job has failed for good; $4 attempts, $5 transient attempts, $6 error, $7 now
       update jobs set ${held(dialect, 'fail_final', FAIL_PARAMS)}
       where ${FENCE} and attempts = $8 and transient_attempts = $9 returning *`,
    ),
    failRequeue: named(
      'fail_requeue',
      `-- fail: requeue a held job at $10 (clearing the lease); $4 attempts, $5 transient attempts, $6 error, $7 now
       update jobs set ${held(dialect, 'fail_requeue', { ...FAIL_PARAMS, availableAtMs: '$10' })}
       where ${FENCE} and attempts = $8 and transient_attempts = $9 returning *`,
    ),
    snooze: `-- snooze: requeue a held job at $4 and give back the attempt its claim took; $5 reason or null, $6 now
       update jobs set ${held(dialect, 'snooze', { availableAtMs: '$4', error: '$5', now: '$6' })}
       where ${FENCE} returning *`,
    cancel: `-- cancel: the lease holder ends a held job as cancelled; $4 reason, $5 now
       update jobs set ${held(dialect, 'holder_cancel', { error: '$4', now: '$5' })}
       where ${FENCE} returning *`,
    release: `-- release: a held queued job ($1) becomes claimable at $2
       update jobs set ${transitionSet([{ from: 'queued', event: 'release' }], {
         dialect,
         params: { now: '$2' },
       })}
       where id = $1 and status = 'queued' and available_at_ms > $2`,
    wakeWaiting: `-- wake the longest waiter: of the queued $1-kind jobs waiting for $2 (payload waitsFor), the one due first becomes claimable at $3
       update jobs set ${wakeSet(dialect)}
       where id = (
         select id from jobs
         where ${waiting(dialect, 'jobs')}
           -- only a re-check whose task still waits in that stage (not one left behind by a cancel or a rollback)
           and (task_id is null or exists (select 1 from tasks t where t.id = jobs.task_id and t.state = 'active'
             and t.stage = ${payloadText(dialect, 'jobs', 'stage')}))
         order by available_at_ms, id
         limit 1${dialect === 'postgres' ? ' for update skip locked' : ''})
         -- again on the row itself: PostgreSQL re-checks only this after waiting for a lock
         and ${STILL_WAITING}
       returning id`,
    wakeOwn: `-- wake task $4's own $1-kind job waiting for $2 (claimable at $3), unless another task's waiter for $2 is due or running already
       update jobs set ${wakeSet(dialect)}
       where id = (
         select id from jobs
         where task_id = $4 and ${waiting(dialect, 'jobs')}
         order by id desc
         limit 1${dialect === 'postgres' ? ' for update skip locked' : ''})
         and ${STILL_WAITING}
         and not exists (
           select 1 from jobs o
           where o.kind = $1 and o.task_id <> $4 and ${payloadText(dialect, 'o', 'waitsFor')} = $2
             and (o.status = 'running' or (o.status = 'queued' and o.available_at_ms <= $3)))
       returning id`,
    insert: `-- enqueue: insert one job unless its (tenant, idempotency key) exists; $11 now
       insert into jobs (tenant_id, kind, labels, task_id, run_id, payload, priority, max_attempts,
         available_at_ms, idempotency_key, created_at_ms, updated_at_ms)
       values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11)
       on conflict (tenant_id, idempotency_key) where idempotency_key is not null do nothing
       returning *`,
    byKey: `-- enqueue: the job an idempotency key ($2, tenant $1) already names (keyed jobs never leave jobs)
       select * from jobs where tenant_id = $1 and idempotency_key = $2`,
    byId: named(
      'by_id',
      `-- one job by id ($1), live or moved to job_history
       select * from all_jobs where id = $1`,
    ),
    notify: `-- wake claimers in other processes (LISTEN orch_jobs); $1 a kind, as a hint only
       select pg_notify('orch_jobs', $1)`,
  };
}

export type JobsSql = ReturnType<typeof build>;

const cache = new Map<Dialect, JobsSql>();

/** The statements for one dialect, rendered once. */
export function jobsSql(dialect: Dialect): JobsSql {
  let sql = cache.get(dialect);
  if (!sql) cache.set(dialect, (sql = build(dialect)));
  return sql;
}
