-- 0009_outbox: the transactional outbox (issue #12 item 6). See src/outbox/.
-- Side effects of a committed change (tracker state and comments, notifications, forge commit
-- statuses) are written here in the same transaction as the change and delivered by the outbox
-- worker: in id order per task, at least once, with retries and backoff. A row is pending while
-- delivered_at_ms and dead_at_ms are both null; claim_token/claim_expires_at_ms is the claim
-- lease of the replica delivering it (a crashed deliverer's row is claimed again after expiry).
create table outbox (
  id integer primary key autoincrement,
  task_id integer not null,
  kind text not null,
  payload text not null,                        -- JSON: what the deliverer needs, snapshotted
  attempts integer not null default 0,
  available_at_ms integer not null,
  claim_token text,
  claim_expires_at_ms integer,
  delivered_at_ms integer,
  dead_at_ms integer,
  last_error text,
  created_at_ms integer not null
);
create index outbox_pending_idx on outbox (task_id, id)
  where delivered_at_ms is null and dead_at_ms is null;
