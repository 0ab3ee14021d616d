-- 0013_metrics: what GET /metrics reads (issue 17; src/store/metrics/, docs/decisions.md "Metrics
-- are read from the store").
--
-- metric_totals: all-time totals behind the Prometheus counters, kept by the triggers below in
-- the transaction that writes the counted row, so a scrape reads a few dozen rows instead of
-- aggregating agent_runs, task_events, gate_results and webhook_inbox, which are never pruned.
-- The totals are true across restarts and replicas and only ever grow. Series and labels:
--   agent_runs (kind, outcome)          finished local agent runs
--   agent_cost_usd (kind, '')           their reported cost
--   agent_tokens (kind, input|output)   their tokens
--   rollbacks (stage rolled back from, '')
--   gate_results (stage, gate, verdict) verdict pass | fail (fail includes "not decided yet")
--   webhook_deliveries (source, outcome) stored deliveries: accepted | ignored
--   lease_expirations (kind, '')        written by src/store/jobs/jobs-admin-repo.ts
create table metric_totals (
  series text not null,
  label1 text not null default '',
  label2 text not null default '',
  label3 text not null default '',
  value real not null default 0,
  primary key (series, label1, label2, label3)
);

-- A run is counted once, when it finishes (finished_at_ms goes from null to a time).
create trigger agent_runs_metric_totals after update of finished_at_ms on agent_runs
when old.finished_at_ms is null and new.finished_at_ms is not null
begin
  insert into metric_totals (series, label1, label2, value) values
    ('agent_runs', new.kind, coalesce(new.outcome, 'unknown'), 1),
    ('agent_cost_usd', new.kind, '', coalesce(new.cost_usd, 0)),
    ('agent_tokens', new.kind, 'input', coalesce(new.input_tokens, 0)),
    ('agent_tokens', new.kind, 'output', coalesce(new.output_tokens, 0))
  on conflict (series, label1, label2, label3) do update set value = value + excluded.value;
end;

create trigger agent_runs_metric_totals_ins after insert on agent_runs
when new.finished_at_ms is not null
begin
  insert into metric_totals (series, label1, label2, value) values
    ('agent_runs', new.kind, coalesce(new.outcome, 'unknown'), 1),
    ('agent_cost_usd', new.kind, '', coalesce(new.cost_usd, 0)),
    ('agent_tokens', new.kind, 'input', coalesce(new.input_tokens, 0)),
    ('agent_tokens', new.kind, 'output', coalesce(new.output_tokens, 0))
  on conflict (series, label1, label2, label3) do update set value = value + excluded.value;
end;

-- A rollback is counted under the stage it left (detail.from; the event's stage is the target).
create trigger task_events_metric_totals after insert on task_events
when new.type = 'rollback'
begin
  insert into metric_totals (series, label1, label2, value) values
    ('rollbacks', coalesce(case when json_valid(new.detail)
      then json_extract(new.detail, '$.from') end, new.stage), '', 1)
  on conflict (series, label1, label2, label3) do update set value = value + excluded.value;
end;

-- The stage is part of the key: one transaction records the gates of one stage, always in the
-- stage's order, so two transactions never take these rows in opposite orders (PostgreSQL).
create trigger gate_results_metric_totals after insert on gate_results
begin
  insert into metric_totals (series, label1, label2, label3, value) values
    ('gate_results', new.stage, new.gate, case when new.passed = 1 then 'pass' else 'fail' end, 1)
  on conflict (series, label1, label2, label3) do update set value = value + excluded.value;
end;

create trigger webhook_inbox_metric_totals after insert on webhook_inbox
begin
  insert into metric_totals (series, label1, label2, value) values
    ('webhook_deliveries', new.source, new.outcome, 1)
  on conflict (series, label1, label2, label3) do update set value = value + excluded.value;
end;

-- Backfill from the rows already there.
insert into metric_totals (series, label1, label2, value)
  select 'agent_runs', kind, coalesce(outcome, 'unknown'), count(*) from agent_runs
  where finished_at_ms is not null group by kind, coalesce(outcome, 'unknown');
insert into metric_totals (series, label1, label2, value)
  select 'agent_cost_usd', kind, '', coalesce(sum(cost_usd), 0) from agent_runs
  where finished_at_ms is not null group by kind;
insert into metric_totals (series, label1, label2, value)
  select 'agent_tokens', kind, 'input', coalesce(sum(input_tokens), 0) from agent_runs
  where finished_at_ms is not null group by kind;
insert into metric_totals (series, label1, label2, value)
  select 'agent_tokens', kind, 'output', coalesce(sum(output_tokens), 0) from agent_runs
  where finished_at_ms is not null group by kind;
insert into metric_totals (series, label1, label2, value)
  select 'rollbacks', s, '', count(*) from (
    select coalesce(case when json_valid(detail) then json_extract(detail, '$.from') end, stage) as s
    from task_events where type = 'rollback'
  ) r group by s;
insert into metric_totals (series, label1, label2, label3, value)
  select 'gate_results', stage, gate, verdict, count(*) from (
    select stage, gate, case when passed = 1 then 'pass' else 'fail' end as verdict from gate_results
  ) g group by stage, gate, verdict;
insert into metric_totals (series, label1, label2, value)
  select 'webhook_deliveries', source, outcome, count(*) from webhook_inbox group by source, outcome;

-- Windowed reads (percentiles, cost per day and per item): the runs started since a time, and
-- the items changed since a time.
create index agent_runs_started_idx on agent_runs (started_at_ms);
create index tasks_updated_idx on tasks (updated_at_ms);
