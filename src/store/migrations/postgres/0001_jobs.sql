-- 0001_jobs: the durable job queue (see src/queue/job-queue.ts for the state machine).
create table jobs (
  id bigserial primary key,
  tenant_id text not null default 'default',
  kind text not null,
  labels text not null default '[]',            -- JSON array; an agent must have all of them
  task_id bigint,
  run_id bigint,
  payload text not null default '{}',           -- JSON
  status text not null default 'queued' check (status in ('queued','running','done','failed','cancelled')),
  priority integer not null default 0 check (priority >= 0),  -- higher runs first
  attempts integer not null default 0,          -- incremented by every claim
  max_attempts integer not null default 2,
  transient_attempts integer not null default 0,
  available_at_ms bigint not null,
  idempotency_key text,
  lease_token text,
  leased_by text,
  lease_expires_at_ms bigint,
  heartbeat_at_ms bigint,
  cancel_requested integer not null default 0,
  pid integer,
  agent_run_id bigint,
  error text,
  result text,                                  -- JSON
  created_at_ms bigint not null,
  updated_at_ms bigint not null,
  started_at_ms bigint,
  finished_at_ms bigint
);

-- claim: queued jobs of a kind by priority, then FIFO
create index jobs_claim_idx on jobs (kind, priority desc, id) where status = 'queued';
create index jobs_status_idx on jobs (status, id);
create index jobs_running_lease_idx on jobs (lease_expires_at_ms) where status = 'running';
create unique index jobs_idempotency_key_idx on jobs (tenant_id, idempotency_key) where idempotency_key is not null;
create index jobs_task_idx on jobs (task_id) where task_id is not null;

-- Wake-up hint for waiting claimers (LISTEN orch_jobs). Identical payloads are folded by
-- PostgreSQL within one transaction, so a batch insert of one kind sends one notification.
create function orch_jobs_notify() returns trigger language plpgsql as $$
begin
  perform pg_notify('orch_jobs', new.kind);
  return null;
end $$;

create trigger jobs_notify_insert after insert on jobs
  for each row execute function orch_jobs_notify();
