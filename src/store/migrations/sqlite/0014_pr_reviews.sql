-- 0014_pr_reviews: reviews of the local forge's pull requests (issue 17). A person approves or
-- requests changes on a local PR; the reconciler polls them like Gitea's (src/recovery/
-- review-poller.ts). Verdict: approved | rejected | comment.
create table local_pr_reviews (
  id integer primary key autoincrement,
  repo text not null,
  pr_number integer not null,
  verdict text not null,
  body text not null default '',
  author text not null,
  submitted_at_ms integer not null
);
create index local_pr_reviews_pr_idx on local_pr_reviews (repo, pr_number, id);
