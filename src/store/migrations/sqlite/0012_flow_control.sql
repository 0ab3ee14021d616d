-- orch:rebuild-table
-- 0012_flow_control: the serial gate per repository (ORCH-088) and task dependencies (ORCH-026). A work item whose analysis is
-- approved while its repository's gate is closed is `waiting`; repo_freeze holds a repository's
-- gate closed until someone unfreezes it. SQLite cannot change a CHECK constraint in place, so
-- tasks is rebuilt (SQLite's documented table rebuild; the runner turns foreign keys off around
-- this transaction and runs foreign_key_check before it commits).
create table tasks_new (
  id integer primary key autoincrement,
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
    check (state in ('active','awaiting_approval','needs_input','waiting','blocked','cancelled','done')),
  dev_retries integer not null default 0,        -- rollbacks to development, shared cap
  pr_number integer,
  pr_url text,
  merged_sha text,
  last_error text,
  created_at_ms integer not null,
  updated_at_ms integer not null,
  stage_entered_at_ms integer not null,
  unique (tracker_kind, tracker_project_id, tracker_item_id)
);
insert into tasks_new select * from tasks;
drop table tasks;
alter table tasks_new rename to tasks;
create index tasks_state_idx on tasks (state, stage);
-- the serial gate counts a repository's unfinished items past analysis
create index tasks_repo_idx on tasks (repo, state);

create table repo_freeze (
  id integer primary key autoincrement,
  repo text not null,
  reason text not null,
  frozen_by text not null,
  frozen_at_ms integer not null,
  cleared_at_ms integer,                         -- null = the freeze holds
  cleared_by text
);
create index repo_freeze_active_idx on repo_freeze (repo) where cleared_at_ms is null;

-- Task dependencies (ORCH-026): the item waits at the end of analysis until every item it
-- depends on is done. `source` = cli (orch task create --depends-on / orch task deps) or tracker
-- (a "blocked by" relation, re-read at approval and while the item waits).
create table task_deps (
  task_id integer not null references tasks(id),
  depends_on_task_id integer not null references tasks(id),
  source text not null check (source in ('cli', 'tracker')),
  created_at_ms integer not null,
  primary key (task_id, depends_on_task_id)
);
create index task_deps_depends_on_idx on task_deps (depends_on_task_id);

-- Coverage ratchet (ORCH-027): each repository's baseline (it only rises: when an item whose
-- tests measured more is done, or when an operator sets it), and what each item measured.
create table coverage_baselines (
  repo text primary key,
  pct real not null,
  set_by text not null,                          -- a work item id, or the operator
  updated_at_ms integer not null
);
create table coverage_runs (
  id integer primary key autoincrement,
  task_id integer not null references tasks(id),
  repo text not null,
  pct real not null,
  at_ms integer not null
);
create index coverage_runs_task_idx on coverage_runs (task_id, id);
