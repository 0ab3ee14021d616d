-- 0007_recovery: recovery state (issue #6). See src/recovery/.
-- One merge lease per repository: who may merge into its base branch right now. The holder is a
-- task's branch; pid/host/instance_id say which Orch process holds it (liveness), expires_at_ms
-- is the TTL. A missing row means the lease is free.
create table merge_leases (
  repo text primary key,
  task_id bigint,
  branch text not null,
  pid integer,
  host text not null,
  instance_id text not null,                    -- per-boot id of the holding Orch process
  acquired_at_ms bigint not null,
  expires_at_ms bigint not null
);

-- Maintenance ticks (reaper, reconciler): with several replicas on one database the replica whose
-- conditional update moves last_tick_ms wins the tick; the others skip it.
create table daemon_ticks (
  name text primary key,
  last_tick_ms bigint not null,
  owner text not null
);

-- Tracker comments the reconciler (or a webhook) has already routed to the pipeline: a comment
-- is applied at most once, whichever path sees it first.
create table processed_comments (
  task_id bigint not null,
  comment_id text not null,
  processed_at_ms bigint not null,
  outcome text not null,
  primary key (task_id, comment_id)
);
