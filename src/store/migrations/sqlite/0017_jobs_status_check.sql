-- 0017_jobs_status_check: the same status CHECK on jobs, written so a write does not pay for it.
-- SQLite compiles a CHECK of the form `status in ('queued', …)` into an ephemeral b-tree that it
-- builds anew for every row the statement writes (EXPLAIN shows OpenEphemeral and five IdxInserts
-- inside the update loop). Claim and complete both change status, so each paid it: ~0.4 µs per job
-- each, about a tenth of a drained job's cost (docs/benchmarks.md). The same test as a chain of
-- `=` is a few comparisons. SQLite cannot alter a CHECK constraint, so the table is rebuilt: rows
-- and ids kept, the autoincrement high-water mark kept (ids of jobs moved to job_history are never
-- reused), indexes and the all_jobs view re-created. Nothing references jobs by foreign key.
-- About 2 s per million rows (1.8 s for 1,000,000 jobs on a 2-vCPU VM).
drop view all_jobs;

create table jobs_next (
  id integer primary key autoincrement,
  tenant_id text not null default 'default',
  kind text not null,
  labels text not null default '[]',            -- JSON array; an agent must have all of them
  task_id integer,
  run_id integer,
  payload text not null default '{}',           -- JSON
  status text not null default 'queued'
    check (status = 'queued' or status = 'running' or status = 'done' or status = 'failed'
           or status = 'cancelled'),            -- a chain of `=`, see above
  priority integer not null default 0 check (priority >= 0),  -- higher runs first
  attempts integer not null default 0,          -- incremented by every claim
  max_attempts integer not null default 2,
  transient_attempts integer not null default 0,
  available_at_ms integer not null,
  idempotency_key text,
  lease_token text,
  leased_by text,
  lease_expires_at_ms integer,
  heartbeat_at_ms integer,
  cancel_requested integer not null default 0,
  pid integer,
  agent_run_id integer,
  error text,
  result text,                                  -- JSON
  created_at_ms integer not null,
  updated_at_ms integer not null,
  started_at_ms integer,
  finished_at_ms integer
);

insert into jobs_next
  (id, tenant_id, kind, labels, task_id, run_id, payload, status, priority, attempts, max_attempts,
   transient_attempts, available_at_ms, idempotency_key, lease_token, leased_by,
   lease_expires_at_ms, heartbeat_at_ms, cancel_requested, pid, agent_run_id, error, result,
   created_at_ms, updated_at_ms, started_at_ms, finished_at_ms)
  select id, tenant_id, kind, labels, task_id, run_id, payload, status, priority, attempts,
    max_attempts, transient_attempts, available_at_ms, idempotency_key, lease_token, leased_by,
    lease_expires_at_ms, heartbeat_at_ms, cancel_requested, pid, agent_run_id, error, result,
    created_at_ms, updated_at_ms, started_at_ms, finished_at_ms
  from jobs;

-- The copy set jobs_next's counter to the highest id still in jobs; the old counter may be higher
-- (finished jobs moved to job_history, or deleted). Carry the old one over; the rename below
-- renames the counter's row with the table.
delete from sqlite_sequence where name = 'jobs_next';
insert into sqlite_sequence (name, seq) select 'jobs_next', seq from sqlite_sequence where name = 'jobs';

drop table jobs;
alter table jobs_next rename to jobs;

create unique index jobs_idempotency_key_idx on jobs (tenant_id, idempotency_key) where idempotency_key is not null;
create index jobs_task_idx on jobs (task_id) where task_id is not null;
create index jobs_run_idx on jobs (run_id) where run_id is not null;
create index jobs_queued_idx on jobs (priority desc, id) where lease_token is null;

create view all_jobs as
  select id, tenant_id, kind, labels, task_id, run_id, payload, status, priority, attempts, max_attempts,
  transient_attempts, available_at_ms, idempotency_key, lease_token, leased_by, lease_expires_at_ms,
  heartbeat_at_ms, cancel_requested, pid, agent_run_id, error, result, created_at_ms, updated_at_ms,
  started_at_ms, finished_at_ms
  from jobs
  union all
  select id, tenant_id, kind, labels, task_id, run_id, payload, status, priority, attempts, max_attempts,
  transient_attempts, available_at_ms, idempotency_key, lease_token, leased_by, lease_expires_at_ms,
  heartbeat_at_ms, cancel_requested, pid, agent_run_id, error, result, created_at_ms, updated_at_ms,
  started_at_ms, finished_at_ms
  from job_history;
