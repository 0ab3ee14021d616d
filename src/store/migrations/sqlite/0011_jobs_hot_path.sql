-- 0011_jobs_hot_path: a leaner jobs table (issue 15; figures in docs/benchmarks.md "Hot path").
--
-- Indexes: every transition rewrote jobs_status_idx (status is its key) and the status-partial
-- indexes; SQLite rewrites an index whenever a column it names (predicate included) changes. The
-- one claim index is keyed on what the claim orders by and filtered on `lease_token is null`,
-- which holds for every queued row and which complete, fail and heartbeat never change (the same
-- index as on PostgreSQL, where it lets those updates be HOT). The reaper and lease expiry scan
-- the live table, which job_history keeps small.
drop index jobs_status_idx;
drop index jobs_claim_idx;
drop index jobs_claim_order_idx;
drop index jobs_running_lease_idx;
-- claim: queued jobs in claim order (priority desc, then FIFO); see src/store/jobs/jobs-sql.ts
create index jobs_queued_idx on jobs (priority desc, id) where lease_token is null;

-- Finished jobs moved out of the hot table by the JobHistoryMover (ORCH_JOB_HISTORY_AFTER_S).
-- Same columns, same ids (jobs ids are autoincrement: never reused); no idempotency index:
-- keyed jobs are never moved (docs/decisions.md).
create table job_history (
  id integer primary key,
  tenant_id text not null,
  kind text not null,
  labels text not null,
  task_id integer,
  run_id integer,
  payload text not null,
  status text not null,
  priority integer not null,
  attempts integer not null,
  max_attempts integer not null,
  transient_attempts integer not null,
  available_at_ms integer not null,
  idempotency_key text,
  lease_token text,
  leased_by text,
  lease_expires_at_ms integer,
  heartbeat_at_ms integer,
  cancel_requested integer not null,
  pid integer,
  agent_run_id integer,
  error text,
  result text,
  created_at_ms integer not null,
  updated_at_ms integer not null,
  started_at_ms integer,
  finished_at_ms integer
);
create index job_history_task_idx on job_history (task_id) where task_id is not null;
create index job_history_run_idx on job_history (run_id) where run_id is not null;

-- Every job, live or moved: what lists, the dashboard, runs and recovery read.
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
