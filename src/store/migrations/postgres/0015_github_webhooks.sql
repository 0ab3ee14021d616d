-- 0015_github_webhooks: GitHub deliveries (`POST /webhook/github`, issue 20) are stored in the
-- inbox like Plane's and Gitea's: the source check constraint (0004) admits 'github'.
alter table webhook_inbox drop constraint webhook_inbox_source_check;
alter table webhook_inbox add constraint webhook_inbox_source_check
  check (source in ('plane','gitea','github'));
