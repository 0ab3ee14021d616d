-- 0003_v2: the v2 remote-agent API (spec §11): tenants, agent tokens (hashes only), agents,
-- runs with their events, artifacts, findings and job events. Every row carries its tenant; on
-- SQLite the store filters by tenant in every statement (PostgreSQL adds row-level security).
create table tenants (
  id text primary key,
  created_at_ms integer not null
);

create table agent_tokens (
  id integer primary key autoincrement,
  tenant_id text not null references tenants (id),
  name text not null,
  token_hash text not null unique,              -- sha256 hex of the token; the token is never stored
  kinds text not null default '[]',             -- JSON array of kinds this token may lease
  labels text not null default '[]',            -- JSON array: default labels of its agents
  created_at_ms integer not null,
  revoked_at_ms integer
);

create table agents (
  id integer primary key autoincrement,
  tenant_id text not null references tenants (id),
  token_id integer not null references agent_tokens (id),
  name text not null,
  kinds text not null default '[]',
  labels text not null default '[]',
  created_at_ms integer not null,
  last_seen_ms integer not null,
  unique (token_id, name)
);

create table runs (
  id integer primary key autoincrement,
  tenant_id text not null references tenants (id),
  status text not null default 'queued' check (status in ('queued','running','completed','failed')),
  created_at_ms integer not null,
  updated_at_ms integer not null,
  finished_at_ms integer
);
create index runs_tenant_idx on runs (tenant_id, id);

create table run_events (
  id integer primary key autoincrement,
  tenant_id text not null,
  run_id integer not null references runs (id),
  type text not null,
  data text not null default '{}',
  created_at_ms integer not null
);
-- a run finishes exactly once
create unique index run_events_final_idx on run_events (run_id)
  where type in ('run.completed', 'run.failed');

create table artifacts (
  id integer primary key autoincrement,
  tenant_id text not null,
  run_id integer not null references runs (id),
  job_id integer,
  label text not null,
  kind text not null,
  path text not null,                           -- the agent's logical path (for chaining)
  storage_path text not null,                   -- where the bytes are, under the data dir
  size_bytes integer not null,
  sha256 text not null,
  created_at_ms integer not null
);
create index artifacts_run_idx on artifacts (run_id, id);

create table findings (
  id integer primary key autoincrement,
  tenant_id text not null,
  run_id integer not null references runs (id),
  job_id integer,
  title text not null,
  severity text not null check (severity in ('critical','high','medium','low','info','unknown')),
  description text not null default '',
  assets text not null default '[]',
  tags text not null default '[]',
  created_at_ms integer not null
);
create index findings_run_idx on findings (run_id, id);

create table job_events (
  id integer primary key autoincrement,
  tenant_id text not null,
  job_id integer not null,
  type text not null,
  data text not null default '{}',
  created_at_ms integer not null
);
create index job_events_job_idx on job_events (job_id, id);
create index jobs_run_idx on jobs (run_id) where run_id is not null;
