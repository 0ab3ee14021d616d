-- 0002_agents: agent process runs, per-kind circuit breakers and quota pauses (src/agents, src/queue).
create table agent_runs (
  id bigserial primary key,
  job_id bigint not null,
  task_id bigint,
  attempt integer not null default 0,
  kind text not null,                           -- the job kind / agent role (developer, semgrep …)
  adapter text not null,                        -- claude-code | codex | aider | command | scripted
  argv text not null default '[]',             -- JSON array, secrets never included
  worktree text,
  log_path text not null,
  pid integer,
  started_at_ms bigint not null,
  finished_at_ms bigint,
  exit_code integer,                            -- -9 when the watchdog killed the process group
  outcome text,                                 -- success | permanent | transient | quota
  is_error integer,
  subtype text,
  session_id text,
  cost_usd double precision,
  input_tokens bigint,
  output_tokens bigint,
  kill_reason text,                             -- wall_timeout | idle_timeout | exit_grace | stop
  error text
);

create index agent_runs_job_idx on agent_runs (job_id, id);
create index agent_runs_running_idx on agent_runs (started_at_ms) where finished_at_ms is null;

-- One row per agent kind that has ever failed transiently; absent = closed.
create table breakers (
  kind text primary key,
  state text not null check (state in ('closed','open','half_open')),
  consecutive_transient integer not null default 0,
  opened_at_ms bigint,
  open_until_ms bigint,
  probe_job_id bigint,                         -- the one job a half-open breaker let through
  updated_at_ms bigint not null
);

-- Quota exhaustion (rate_limit_event rejected, "usage limit reached"): the kind sleeps until reset.
create table kind_pauses (
  kind text primary key,
  paused_until_ms bigint not null,
  reason text not null,
  updated_at_ms bigint not null
);
