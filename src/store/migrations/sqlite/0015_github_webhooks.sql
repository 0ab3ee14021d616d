-- 0015_github_webhooks: GitHub deliveries (`POST /webhook/github`, issue 20) are stored in the
-- inbox like Plane's and Gitea's. SQLite cannot change a column's check constraint, so the table
-- is rebuilt with its rows, indexes and metrics trigger (0004, 0010, 0013).
create table webhook_inbox_next (
  id integer primary key autoincrement,
  source text not null check (source in ('plane','gitea','github')),
  delivery_key text not null,                   -- X-Gitea-Delivery / X-GitHub-Delivery; Plane v2 event_id; else body sha256
  event text not null,                          -- normalized event type (e.g. pull_request.merged)
  received_at_ms integer not null,
  outcome text not null check (outcome in ('accepted','ignored')),
  reason text,                                  -- why an ignored delivery was ignored
  job_id integer,                               -- the webhook.<source> job of an accepted delivery
  body_sha256 text,
  unique (source, delivery_key)
);

-- Copy every row, ids kept (job ids and the dashboard refer to them).
insert into webhook_inbox_next
  (id, source, delivery_key, event, received_at_ms, outcome, reason, job_id, body_sha256)
  select id, source, delivery_key, event, received_at_ms, outcome, reason, job_id, body_sha256
  from webhook_inbox;

drop table webhook_inbox;
alter table webhook_inbox_next rename to webhook_inbox;

create index webhook_inbox_received_idx on webhook_inbox (received_at_ms);
create unique index webhook_inbox_body_idx on webhook_inbox (source, body_sha256)
  where body_sha256 is not null;

create trigger webhook_inbox_metric_totals after insert on webhook_inbox
begin
  insert into metric_totals (series, label1, label2, value) values
    ('webhook_deliveries', new.source, new.outcome, 1)
  on conflict (series, label1, label2, label3) do update set value = value + excluded.value;
end;
