import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { normalizeGiteaEvent, type GiteaEvent } from './gitea-events.js';

const DIR = new URL('../../../../shared/fixtures/gitea/', import.meta.url);

function load(path: string): unknown {
  return JSON.parse(readFileSync(new URL(path, DIR), 'utf8'));
}

/** X-Gitea-Event per fixture, from the fixtures' MANIFEST tables. */
const HEADERS: Record<string, string | null> = {
  'go-scm/branch_create.json': 'create',
  'go-scm/branch_delete.json': 'delete',
  'go-scm/tag_create.json': 'create',
  'go-scm/tag_delete.json': 'delete',
  'go-scm/push.json': 'push',
  'go-scm/issues_opened.json': 'issues',
  'go-scm/issues_closed.json': 'issues',
  'go-scm/issue_comment_created.json': 'issue_comment',
  'go-scm/issue_comment_edited.json': 'issue_comment',
  'go-scm/issue_comment_deleted.json': 'issue_comment',
  'go-scm/pull_request_comment_created.json': 'issue_comment',
  'go-scm/pull_request_comment_edited.json': 'issue_comment',
  'go-scm/pull_request_comment_deleted.json': 'issue_comment',
  'go-scm/pull_request_opened.json': 'pull_request',
  'go-scm/pull_request_edited.json': 'pull_request',
  'go-scm/pull_request_synchronized.json': 'pull_request',
  'go-scm/pull_request_closed.json': 'pull_request',
  'go-scm/pull_request_reopened.json': 'pull_request',
  'go-scm/pull_request_merged.json': 'pull_request',
  'go-scm/release.json': 'release',
  'go-scm/review_approved.json': 'pull_request_approved',
  'go-scm/pull_request_comment_created_pr.json': null,
  'woodpecker/HookPush.json': 'push',
  'woodpecker/HookPullRequest.json': 'pull_request',
  'woodpecker/HookPullRequestMerged.json': 'pull_request',
  'woodpecker/HookPullRequestReviewAck.json': 'pull_request_approved',
  'woodpecker/HookPullRequestReviewDeny.json': 'pull_request_rejected',
};

const EXPECTED_TYPE: Record<string, GiteaEvent['type']> = {
  'go-scm/push.json': 'push',
  'go-scm/issue_comment_created.json': 'comment.created',
  'go-scm/pull_request_comment_created.json': 'comment.created',
  'go-scm/pull_request_opened.json': 'pull_request.opened',
  'go-scm/pull_request_reopened.json': 'pull_request.opened',
  'go-scm/pull_request_synchronized.json': 'pull_request.synchronized',
  'go-scm/pull_request_closed.json': 'pull_request.closed',
  'go-scm/pull_request_merged.json': 'pull_request.merged',
  'go-scm/review_approved.json': 'pull_request.reviewed',
  'woodpecker/HookPush.json': 'push',
  'woodpecker/HookPullRequest.json': 'pull_request.opened',
  'woodpecker/HookPullRequestMerged.json': 'pull_request.merged',
  'woodpecker/HookPullRequestReviewAck.json': 'pull_request.reviewed',
  'woodpecker/HookPullRequestReviewDeny.json': 'pull_request.reviewed',
};

describe('normalizeGiteaEvent', () => {
  const files = ['go-scm', 'woodpecker'].flatMap((d) =>
    readdirSync(new URL(`${d}/`, DIR))
      .filter((f) => f.endsWith('.json'))
      .map((f) => `${d}/${f}`),
  );

  it('has a header for every fixture file', () => {
    expect(files.sort()).toEqual(Object.keys(HEADERS).sort());
  });

  it.each(files)('maps %s without throwing, to the expected type', (file) => {
    const event = normalizeGiteaEvent(load(file), HEADERS[file] ?? null);
    expect(event.type).toBe(EXPECTED_TYPE[file] ?? 'unknown');
  });

  it('reads a push: repo, branch, shas, commit count, pusher', () => {
    expect(normalizeGiteaEvent(load('woodpecker/HookPush.json'), 'push')).toMatchObject({
      type: 'push',
      repo: 'gordon/hello-world',
      ref: 'refs/heads/main',
      branch: 'main',
      after: 'ef98532add3b2feb7a137426bba1248724367df5',
      commitCount: 1,
      actor: { login: 'gordon' },
    });
  });

  it('reads a merge as closed + merged, with the merge commit', () => {
    const event = normalizeGiteaEvent(
      load('woodpecker/HookPullRequestMerged.json'),
      'pull_request',
    );
    expect(event).toMatchObject({
      type: 'pull_request.merged',
      mergeSha: 'f2440f050054df0f8ecabcace648f1683509064c',
      pr: { head: 'anbraten-patch-1', base: 'main' },
    });
  });

  it('reads review verdicts from review.type, with or without the event header', () => {
    for (const header of ['pull_request_rejected', null]) {
      const deny = normalizeGiteaEvent(load('woodpecker/HookPullRequestReviewDeny.json'), header);
      expect(deny).toMatchObject({
        type: 'pull_request.reviewed',
        verdict: 'rejected',
        body: 'I decided otherwhies :O',
        actor: { login: 'a_nice_user' },
        pr: { number: 7, head: 'jony-patch-1' },
      });
    }
    const ack = normalizeGiteaEvent(load('go-scm/review_approved.json'), 'pull_request_approved');
    expect(ack).toMatchObject({ verdict: 'approved', body: 'I approve' });
  });

  it('tells PR comments from issue comments', () => {
    const pr = normalizeGiteaEvent(
      load('go-scm/pull_request_comment_created.json'),
      'issue_comment',
    );
    const issue = normalizeGiteaEvent(load('go-scm/issue_comment_created.json'), 'issue_comment');
    expect(pr).toMatchObject({ type: 'comment.created', isPull: true });
    expect(issue).toMatchObject({ type: 'comment.created', isPull: false });
  });

  it('reads a commit status payload', () => {
    const body = {
      id: 5,
      sha: 'abc123',
      context: 'ci/woodpecker',
      state: 'failure',
      description: 'tests failed',
      target_url: 'http://ci/1',
      repository: { full_name: 'acme/app' },
      sender: { login: 'ci-bot', id: 9 },
    };
    expect(normalizeGiteaEvent(body, 'status')).toEqual({
      type: 'status',
      repo: 'acme/app',
      sha: 'abc123',
      context: 'ci/woodpecker',
      state: 'failure',
      description: 'tests failed',
      targetUrl: 'http://ci/1',
      actor: { login: 'ci-bot', id: 9 },
    });
  });

  it('tolerates garbage: non-objects, missing fields and unknown events are `unknown`', () => {
    for (const body of [null, 42, 'x', [], {}, { repository: 7 }]) {
      expect(normalizeGiteaEvent(body, 'push').type).toBe('unknown');
    }
    expect(normalizeGiteaEvent({ repository: { full_name: 'a/b' } }, 'wiki')).toEqual({
      type: 'unknown',
      event: 'wiki',
      action: null,
      repo: 'a/b',
    });
    const pr = {
      action: 'label_updated',
      pull_request: { number: 1 },
      repository: { full_name: 'a/b' },
    };
    expect(normalizeGiteaEvent(pr, 'pull_request').type).toBe('unknown');
  });
});
