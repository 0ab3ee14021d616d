-- 0004_inbox: every accepted webhook delivery, once per (source, delivery key); see
-- src/integrations/webhooks/webhook-inbox.ts. Rejected deliveries (bad signature) are never stored.
create table webhook_inbox (
  id bigserial primary key,
  source text not null check (source in ('plane','gitea')),
  delivery_key text not null,                   -- Gitea X-Gitea-Delivery; Plane v2 event_id; Plane v1 body sha256
  event text not null,                          -- normalized event type (e.g. pull_request.merged)
  received_at_ms bigint not null,
  outcome text not null check (outcome in ('accepted','ignored')),
  reason text,                                  -- why an ignored delivery was ignored
  job_id bigint,                                -- the webhook.<source> job of an accepted delivery
  unique (source, delivery_key)
);

create index webhook_inbox_received_idx on webhook_inbox (received_at_ms);
