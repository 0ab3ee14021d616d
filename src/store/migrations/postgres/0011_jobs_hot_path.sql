-- 0011_jobs_hot_path: a leaner jobs table (issue 15; figures in docs/benchmarks.md "Hot path").
--
-- Indexes: every transition rewrote jobs_status_idx (status is its key) and the status-partial
-- indexes. Worse, PostgreSQL can only make an update HOT (no new index entries, the new row
-- version on the same page) when no index mentions a changed column, predicates included: with
-- any index on or filtered by `status`, no complete or heartbeat was ever HOT. So the one claim
-- index is keyed on what the claim orders by and filtered on `lease_token is null`, which holds
-- for every queued row (job-transitions.ts clears the token on every way back to queued) and which
-- complete, fail and heartbeat never change. The running-lease index goes too: the reaper and
-- lease expiry scan the live table, which job_history keeps small.
drop index jobs_status_idx;
drop index jobs_claim_idx;
drop index jobs_claim_order_idx;
drop index jobs_running_lease_idx;
-- claim: queued jobs in claim order (priority desc, then FIFO); see src/store/jobs/jobs-sql.ts
create index jobs_queued_idx on jobs (priority desc, id) where lease_token is null;

-- Room on every page for the new row version of a complete or heartbeat (HOT update).
alter table jobs set (fillfactor = 70);

-- Finished jobs moved out of the hot table by the JobHistoryMover (ORCH_JOB_HISTORY_AFTER_S).
-- Same columns, same ids; no idempotency index: keyed jobs are never moved (docs/decisions.md).
create table job_history (like jobs including defaults);
alter table job_history alter column id drop default;
alter table job_history add primary key (id);
create index job_history_task_idx on job_history (task_id) where task_id is not null;
create index job_history_run_idx on job_history (run_id) where run_id is not null;

-- Every job, live or moved: what lists, the dashboard, runs and recovery read. security_invoker:
-- a tenant-scoped reader (orch_tenant) sees only its rows, through both tables' policies.
create view all_jobs with (security_invoker = true) as
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

grant select on job_history, all_jobs to orch_tenant;
alter table job_history enable row level security;
create policy job_history_isolation on job_history to orch_tenant
  using (tenant_id = current_setting('orch.tenant', true));
