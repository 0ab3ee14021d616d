-- 0010_security: agent token expiry and last use (issue 13), and webhook replay protection: a
-- delivery is deduplicated by the sha256 of its body as well as by its delivery id, so a body
-- re-sent with a new X-Gitea-Delivery header (not covered by the signature) is processed once.
alter table agent_tokens add column expires_at_ms integer;
alter table agent_tokens add column last_used_at_ms integer;

alter table webhook_inbox add column body_sha256 text;
create unique index webhook_inbox_body_idx on webhook_inbox (source, body_sha256)
  where body_sha256 is not null;
