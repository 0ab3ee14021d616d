import type { Queryable } from '../db.js';

/** A `local_pull_requests` row of the built-in forge. */
export interface LocalPrRow {
  number: number;
  head: string;
  base: string;
  title: string;
  state: 'open' | 'closed';
  merged: number;
}

/** The pull request of `repo` with head branch `head`, if one exists. */
export function localPrByHead(
  q: Queryable,
  repo: string,
  head: string,
): Promise<LocalPrRow | undefined> {
  return q.get<LocalPrRow>(
    `-- the pull request of repo $1 from head branch $2
     select * from local_pull_requests where repo = $1 and head = $2`,
    [repo, head],
  );
}

/** Pull request `prNumber` of `repo`, if it exists. */
export function localPrByNumber(
  q: Queryable,
  repo: string,
  prNumber: number,
): Promise<LocalPrRow | undefined> {
  return q.get<LocalPrRow>(
    `-- pull request $2 of repo $1
     select * from local_pull_requests where repo = $1 and number = $2`,
    [repo, prNumber],
  );
}

/** Opens a pull request for a head branch once (unique per repo and head). */
export async function insertLocalPr(
  q: Queryable,
  pr: { repo: string; head: string; base: string; title: string; body: string; nowMs: number },
): Promise<void> {
  await q.run(
    `-- open a PR for head $2 into $3 of repo $1 once (unique per repo and head), title $4, body
     -- $5, at $6; numbers count per repo
     insert into local_pull_requests (repo, number, head, base, title, body, created_at_ms)
     values ($1, (select coalesce(max(number), 0) + 1 from local_pull_requests where repo = $1), $2, $3, $4, $5, $6)
     on conflict (repo, head) do nothing`,
    [pr.repo, pr.head, pr.base, pr.title, pr.body, pr.nowMs],
  );
}

/** Marks pull request `prNumber` merged (and closed) as commit `mergeSha`. */
export async function markLocalPrMerged(
  q: Queryable,
  repo: string,
  m: { prNumber: number; mergeSha: string },
): Promise<void> {
  await q.run(
    `-- pull request $2 of repo $1 merged as commit $3
     update local_pull_requests set merged = 1, state = 'closed', merge_sha = $3
     where repo = $1 and number = $2`,
    [repo, m.prNumber, m.mergeSha],
  );
}

/** Records one commit status report. */
export async function insertCommitStatus(
  q: Queryable,
  s: {
    repo: string;
    sha: string;
    context: string;
    state: string;
    description: string;
    atMs: number;
  },
): Promise<void> {
  await q.run(
    `-- commit status of $2 in repo $1: context $3, state $4, description $5, at $6
     insert into commit_statuses (repo, sha, context, state, description, at_ms)
     values ($1, $2, $3, $4, $5, $6)`,
    [s.repo, s.sha, s.context, s.state, s.description, s.atMs],
  );
}

/** Every status report on commit `sha`, oldest first. */
export function commitStatuses(
  q: Queryable,
  repo: string,
  sha: string,
): Promise<{ context: string; state: string }[]> {
  return q.all<{ context: string; state: string }>(
    `-- status reports on commit $2 of repo $1, oldest first
     select context, state from commit_statuses where repo = $1 and sha = $2 order by id`,
    [repo, sha],
  );
}

/** A `local_pr_reviews` row: a person's review of a local pull request. */
export interface LocalPrReviewRow {
  id: number;
  verdict: string;
  body: string;
  author: string;
  submitted_at_ms: number;
}

/** Records a review of pull request `prNumber` of `repo`; returns its id. */
export async function insertLocalPrReview(
  q: Queryable,
  r: {
    repo: string;
    prNumber: number;
    verdict: string;
    body: string;
    author: string;
    atMs: number;
  },
): Promise<number> {
  const row = await q.get<{ id: number }>(
    `-- review of PR $2 of repo $1: verdict $3, body $4, by $5, at $6
     insert into local_pr_reviews (repo, pr_number, verdict, body, author, submitted_at_ms)
     values ($1, $2, $3, $4, $5, $6) returning id`,
    [r.repo, r.prNumber, r.verdict, r.body, r.author, r.atMs],
  );
  return row!.id;
}

/** Every review of pull request `prNumber` of `repo`, oldest first. */
export function localPrReviews(
  q: Queryable,
  repo: string,
  prNumber: number,
): Promise<LocalPrReviewRow[]> {
  return q.all<LocalPrReviewRow>(
    `-- reviews of PR $2 of repo $1, oldest first
     select id, verdict, body, author, submitted_at_ms from local_pr_reviews
     where repo = $1 and pr_number = $2 order by id`,
    [repo, prNumber],
  );
}
