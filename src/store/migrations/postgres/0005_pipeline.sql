-- 0005_pipeline: work items (tasks), their timeline and gate results, and the built-in local
-- tracker and forge. See src/pipeline/ for the stage machine that drives these rows.
create table tasks (
  id bigserial primary key,
  work_item_id text not null unique,             -- PREFIX-NNN
  project_key text not null,
  tracker_kind text not null,
  tracker_project_id text not null,
  tracker_item_id text not null,
  title text not null,
  repo text not null,
  branch text not null,
  base_branch text not null default 'main',
  stage text not null,
  track text not null default 'full',
  state text not null default 'active'
    check (state in ('active','awaiting_approval','needs_input','blocked','cancelled','done')),
  dev_retries integer not null default 0,        -- rollbacks to development, shared cap
  pr_number integer,
  pr_url text,
  merged_sha text,
  last_error text,
  created_at_ms bigint not null,
  updated_at_ms bigint not null,
  stage_entered_at_ms bigint not null,
  unique (tracker_kind, tracker_project_id, tracker_item_id)
);
create index tasks_state_idx on tasks (state, stage);

create table task_events (
  id bigserial primary key,
  task_id bigint not null references tasks(id),
  at_ms bigint not null,
  type text not null,
  stage text not null,
  message text not null,
  detail text                                    -- JSON
);
create index task_events_task_idx on task_events (task_id, id);

create table gate_results (
  id bigserial primary key,
  task_id bigint not null references tasks(id),
  stage text not null,
  gate text not null,
  passed integer not null,
  reason text not null,
  evidence text,
  evaluated_at_ms bigint not null
);
create index gate_results_task_idx on gate_results (task_id, id);

create table work_item_counters (
  project_key text primary key,
  last_number integer not null
);

create table local_items (
  id bigserial primary key,
  project_key text not null,
  title text not null,
  description text not null default '',
  state_name text,
  labels text not null default '[]',
  created_at_ms bigint not null
);

create table local_comments (
  id bigserial primary key,
  item_id bigint not null references local_items(id),
  author text not null,
  body text not null,
  by_orch integer not null default 0,
  external_id text,
  created_at_ms bigint not null
);
create index local_comments_item_idx on local_comments (item_id, id);

create table local_pull_requests (
  id bigserial primary key,
  repo text not null,
  number integer not null,
  head text not null,
  base text not null,
  title text not null,
  body text not null default '',
  state text not null default 'open',
  merged integer not null default 0,
  merge_sha text,
  created_at_ms bigint not null,
  unique (repo, number),
  unique (repo, head)
);

create table commit_statuses (
  id bigserial primary key,
  repo text not null,
  sha text not null,
  context text not null,
  state text not null,
  description text not null,
  at_ms bigint not null
);
create index commit_statuses_idx on commit_statuses (repo, sha, context, id);
