-- 0003_v2: the v2 remote-agent API (spec §11): tenants, agent tokens (hashes only), agents,
-- runs with their events, artifacts, findings and job events. Every row carries its tenant and
-- row-level security enforces it for the restricted role `orch_tenant`, which the HTTP layer
-- assumes (set local role) together with `orch.tenant` for every tenant-scoped transaction.
create table tenants (
  id text primary key,
  created_at_ms bigint not null
);

create table agent_tokens (
  id bigserial primary key,
  tenant_id text not null references tenants (id),
  name text not null,
  token_hash text not null unique,              -- sha256 hex of the token; the token is never stored
  kinds text not null default '[]',             -- JSON array of kinds this token may lease
  labels text not null default '[]',            -- JSON array: default labels of its agents
  created_at_ms bigint not null,
  revoked_at_ms bigint
);

create table agents (
  id bigserial primary key,
  tenant_id text not null references tenants (id),
  token_id bigint not null references agent_tokens (id),
  name text not null,
  kinds text not null default '[]',
  labels text not null default '[]',
  created_at_ms bigint not null,
  last_seen_ms bigint not null,
  unique (token_id, name)
);

create table runs (
  id bigserial primary key,
  tenant_id text not null references tenants (id),
  status text not null default 'queued' check (status in ('queued','running','completed','failed')),
  created_at_ms bigint not null,
  updated_at_ms bigint not null,
  finished_at_ms bigint
);
create index runs_tenant_idx on runs (tenant_id, id);

create table run_events (
  id bigserial primary key,
  tenant_id text not null,
  run_id bigint not null references runs (id),
  type text not null,
  data text not null default '{}',
  created_at_ms bigint not null
);
-- a run finishes exactly once
create unique index run_events_final_idx on run_events (run_id)
  where type in ('run.completed', 'run.failed');

create table artifacts (
  id bigserial primary key,
  tenant_id text not null,
  run_id bigint not null references runs (id),
  job_id bigint,
  label text not null,
  kind text not null,
  path text not null,                           -- the agent's logical path (for chaining)
  storage_path text not null,                   -- where the bytes are, under the data dir
  size_bytes bigint not null,
  sha256 text not null,
  created_at_ms bigint not null
);
create index artifacts_run_idx on artifacts (run_id, id);

create table findings (
  id bigserial primary key,
  tenant_id text not null,
  run_id bigint not null references runs (id),
  job_id bigint,
  title text not null,
  severity text not null check (severity in ('critical','high','medium','low','info','unknown')),
  description text not null default '',
  assets text not null default '[]',
  tags text not null default '[]',
  created_at_ms bigint not null
);
create index findings_run_idx on findings (run_id, id);

create table job_events (
  id bigserial primary key,
  tenant_id text not null,
  job_id bigint not null,
  type text not null,
  data text not null default '{}',
  created_at_ms bigint not null
);
create index job_events_job_idx on job_events (job_id, id);
create index jobs_run_idx on jobs (run_id) where run_id is not null;

-- The restricted role tenant-scoped requests run as. Roles are cluster-wide: create it once, and
-- tolerate a concurrent migration of another database creating it first.
do $$
begin
  if not exists (select 1 from pg_roles where rolname = 'orch_tenant') then
    create role orch_tenant nologin;
  end if;
exception when duplicate_object or unique_violation then null;
end $$;

-- A non-superuser owner must be a member to `set local role orch_tenant` (superusers always can).
do $$
begin
  execute format('grant orch_tenant to %I', current_user);
exception when others then null;
end $$;

grant select, insert, update on tenants, agents, runs, run_events, artifacts, findings, job_events, jobs
  to orch_tenant;
grant select on agent_tokens to orch_tenant;
grant usage, select on sequence agents_id_seq, runs_id_seq, run_events_id_seq, artifacts_id_seq,
  findings_id_seq, job_events_id_seq, jobs_id_seq to orch_tenant;

-- Row-level security: a row is visible and writable only when its tenant is `orch.tenant`.
-- Owners and superusers bypass RLS (the queue and maintenance daemons run as the owner).
alter table tenants enable row level security;
create policy tenants_isolation on tenants to orch_tenant
  using (id = current_setting('orch.tenant', true))
  with check (id = current_setting('orch.tenant', true));
alter table agent_tokens enable row level security;
create policy agent_tokens_isolation on agent_tokens to orch_tenant
  using (tenant_id = current_setting('orch.tenant', true));
alter table agents enable row level security;
create policy agents_isolation on agents to orch_tenant
  using (tenant_id = current_setting('orch.tenant', true))
  with check (tenant_id = current_setting('orch.tenant', true));
alter table runs enable row level security;
create policy runs_isolation on runs to orch_tenant
  using (tenant_id = current_setting('orch.tenant', true))
  with check (tenant_id = current_setting('orch.tenant', true));
alter table run_events enable row level security;
create policy run_events_isolation on run_events to orch_tenant
  using (tenant_id = current_setting('orch.tenant', true))
  with check (tenant_id = current_setting('orch.tenant', true));
alter table artifacts enable row level security;
create policy artifacts_isolation on artifacts to orch_tenant
  using (tenant_id = current_setting('orch.tenant', true))
  with check (tenant_id = current_setting('orch.tenant', true));
alter table findings enable row level security;
create policy findings_isolation on findings to orch_tenant
  using (tenant_id = current_setting('orch.tenant', true))
  with check (tenant_id = current_setting('orch.tenant', true));
alter table job_events enable row level security;
create policy job_events_isolation on job_events to orch_tenant
  using (tenant_id = current_setting('orch.tenant', true))
  with check (tenant_id = current_setting('orch.tenant', true));
alter table jobs enable row level security;
create policy jobs_isolation on jobs to orch_tenant
  using (tenant_id = current_setting('orch.tenant', true))
  with check (tenant_id = current_setting('orch.tenant', true));
