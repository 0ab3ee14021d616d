-- 0012_flow_control: the serial gate per repository (ORCH-088) and task dependencies (ORCH-026). A work item whose analysis is
-- approved while its repository's gate is closed is `waiting`; repo_freeze holds a repository's
-- gate closed until someone unfreezes it.
alter table tasks drop constraint tasks_state_check;
alter table tasks add constraint tasks_state_check
  check (state in ('active','awaiting_approval','needs_input','waiting','blocked','cancelled','done'));
-- the serial gate counts a repository's unfinished items past analysis
create index tasks_repo_idx on tasks (repo, state);

create table repo_freeze (
  id bigserial primary key,
  repo text not null,
  reason text not null,
  frozen_by text not null,
  frozen_at_ms bigint not null,
  cleared_at_ms bigint,                          -- null = the freeze holds
  cleared_by text
);
create index repo_freeze_active_idx on repo_freeze (repo) where cleared_at_ms is null;

-- Task dependencies (ORCH-026): the item waits at the end of analysis until every item it
-- depends on is done. `source` = cli (orch task create --depends-on / orch task deps) or tracker
-- (a "blocked by" relation, re-read at approval and while the item waits).
create table task_deps (
  task_id bigint not null references tasks(id),
  depends_on_task_id bigint not null references tasks(id),
  source text not null check (source in ('cli', 'tracker')),
  created_at_ms bigint not null,
  primary key (task_id, depends_on_task_id)
);
create index task_deps_depends_on_idx on task_deps (depends_on_task_id);

-- Coverage ratchet (ORCH-027): each repository's baseline (it only rises: when an item whose
-- tests measured more is done, or when an operator sets it), and what each item measured.
create table coverage_baselines (
  repo text primary key,
  pct double precision not null,
  set_by text not null,                          -- a work item id, or the operator
  updated_at_ms bigint not null
);
create table coverage_runs (
  id bigserial primary key,
  task_id bigint not null references tasks(id),
  repo text not null,
  pct double precision not null,
  at_ms bigint not null
);
create index coverage_runs_task_idx on coverage_runs (task_id, id);
