import type { ReviewVerdict } from '../forge/forge.js';
import {
  asArray,
  asBoolean,
  asNumber,
  asObject,
  asString,
  pick,
  type JsonObject,
} from '../webhooks/loose-json.js';

/** Who caused a Gitea event (`sender`): login and numeric id. */
export interface GiteaActor {
  login: string | null;
  id: number | null;
}

export interface GiteaPullRef {
  number: number;
  head: string;
  base: string;
  headSha: string | null;
  title: string;
  url: string | null;
}

/** Review verdicts are the forge contract's (a polled review and a delivered one read the same). */
export { REVIEW_VERDICTS, type ReviewVerdict } from '../forge/forge.js';

export const GITEA_STATUS_STATES = ['pending', 'success', 'error', 'failure', 'warning'] as const;
export type GiteaStatusState = (typeof GITEA_STATUS_STATES)[number];

/**
 * A Gitea webhook delivery reduced to what the pipeline acts on. `repo` is the repository's
 * `owner/name`. A merge arrives as `closed` + `merged: true` and becomes `pull_request.merged`;
 * a review arrives as action `reviewed` with `review.type` `pull_request_review_approved|
 * _rejected|_comment` (event header `pull_request_approved|_rejected|_comment`).
 */
export type GiteaEvent =
  | {
      type: 'push';
      repo: string;
      ref: string;
      /** The branch name for `refs/heads/…`, null for tags. */
      branch: string | null;
      before: string | null;
      after: string | null;
      commitCount: number;
      actor: GiteaActor;
    }
  | {
      type: 'pull_request.opened';
      repo: string;
      pr: GiteaPullRef;
      reopened: boolean;
      actor: GiteaActor;
    }
  | { type: 'pull_request.synchronized'; repo: string; pr: GiteaPullRef; actor: GiteaActor }
  | {
      type: 'pull_request.merged';
      repo: string;
      pr: GiteaPullRef;
      mergeSha: string | null;
      actor: GiteaActor;
    }
  | { type: 'pull_request.closed'; repo: string; pr: GiteaPullRef; actor: GiteaActor }
  | {
      type: 'pull_request.reviewed';
      repo: string;
      pr: GiteaPullRef;
      verdict: ReviewVerdict;
      body: string;
      actor: GiteaActor;
    }
  | {
      type: 'status';
      repo: string;
      sha: string;
      context: string;
      state: GiteaStatusState;
      description: string;
      targetUrl: string | null;
      actor: GiteaActor;
    }
  | {
      type: 'comment.created';
      repo: string;
      issueNumber: number;
      isPull: boolean;
      commentId: number;
      body: string;
      actor: GiteaActor;
    }
  | { type: 'unknown'; event: string; action: string | null; repo: string | null };

export type GiteaEventType = GiteaEvent['type'];

function repoOf(body: JsonObject): string | null {
  const full = asString(pick(body, 'repository', 'full_name'));
  if (full !== null) return full;
  const owner =
    asString(pick(body, 'repository', 'owner', 'login')) ??
    asString(pick(body, 'repository', 'owner', 'username'));
  const name = asString(pick(body, 'repository', 'name'));
  return owner !== null && name !== null ? `${owner}/${name}` : null;
}

function actorOf(body: JsonObject): GiteaActor {
  const sender = asObject(body.sender) ?? asObject(body.pusher) ?? {};
  return {
    login: asString(sender.login) ?? asString(sender.username),
    id: asNumber(sender.id),
  };
}

function pullOf(body: JsonObject): GiteaPullRef | null {
  const pr = asObject(body.pull_request);
  const number = asNumber(pr?.number) ?? asNumber(body.number);
  if (!pr || number === null) return null;
  return {
    number,
    head: asString(pick(pr, 'head', 'ref')) ?? '',
    base: asString(pick(pr, 'base', 'ref')) ?? '',
    headSha: asString(pick(pr, 'head', 'sha')),
    title: asString(pr.title) ?? '',
    url: asString(pr.html_url),
  };
}

/** The coarse `X-Gitea-Event` a body implies, for deliveries without the header. */
export function inferGiteaEvent(body: JsonObject): string {
  if (asObject(body.review) && asObject(body.pull_request)) return 'pull_request_review';
  if (asObject(body.pull_request)) return 'pull_request';
  if (asObject(body.comment) && asObject(body.issue)) return 'issue_comment';
  if (typeof body.ref === 'string' && Array.isArray(body.commits)) return 'push';
  if (typeof body.sha === 'string' && typeof body.context === 'string') return 'status';
  return '';
}

function verdictOf(event: string, body: JsonObject): ReviewVerdict {
  const type = asString(pick(body, 'review', 'type')) ?? event;
  if (type.endsWith('approved')) return 'approved';
  if (type.endsWith('rejected')) return 'rejected';
  return 'comment';
}

function pullRequestEvent(event: string, body: JsonObject, repo: string): GiteaEvent | null {
  const pr = pullOf(body);
  if (!pr) return null;
  const actor = actorOf(body);
  const action = asString(body.action);
  if (event !== 'pull_request' || action === 'reviewed') {
    const bodyText = asString(pick(body, 'review', 'content')) ?? '';
    return {
      type: 'pull_request.reviewed',
      repo,
      pr,
      verdict: verdictOf(event, body),
      body: bodyText,
      actor,
    };
  }
  switch (action ?? '') {
    case 'opened':
    case 'reopened':
      return { type: 'pull_request.opened', repo, pr, reopened: action === 'reopened', actor };
    case 'synchronized':
      return { type: 'pull_request.synchronized', repo, pr, actor };
    case 'closed': {
      if (!asBoolean(pick(body, 'pull_request', 'merged'))) {
        return { type: 'pull_request.closed', repo, pr, actor };
      }
      const mergeSha = asString(pick(body, 'pull_request', 'merge_commit_sha'));
      return { type: 'pull_request.merged', repo, pr, mergeSha, actor };
    }
    default:
      return null;
  }
}

function pushEvent(body: JsonObject, repo: string): GiteaEvent | null {
  const ref = asString(body.ref);
  if (ref === null) return null;
  return {
    type: 'push',
    repo,
    ref,
    branch: ref.startsWith('refs/heads/') ? ref.slice('refs/heads/'.length) : null,
    before: asString(body.before),
    after: asString(body.after),
    commitCount: asNumber(body.total_commits) ?? asArray(body.commits).length,
    actor: actorOf(body),
  };
}

function statusEvent(body: JsonObject, repo: string): GiteaEvent | null {
  const sha = asString(body.sha);
  const context = asString(body.context);
  const state = asString(body.state);
  const known = GITEA_STATUS_STATES.find((s) => s === state);
  if (sha === null || context === null || known === undefined) return null;
  return {
    type: 'status',
    repo,
    sha,
    context,
    state: known,
    description: asString(body.description) ?? '',
    targetUrl: asString(body.target_url),
    actor: actorOf(body),
  };
}

function commentEvent(body: JsonObject, repo: string): GiteaEvent | null {
  if (asString(body.action) !== 'created') return null;
  const issueNumber = asNumber(pick(body, 'issue', 'number'));
  const commentId = asNumber(pick(body, 'comment', 'id'));
  if (issueNumber === null || commentId === null) return null;
  const isPull = asBoolean(body.is_pull) || asObject(pick(body, 'issue', 'pull_request')) !== null;
  const text = asString(pick(body, 'comment', 'body')) ?? '';
  return {
    type: 'comment.created',
    repo,
    issueNumber,
    isPull,
    commentId,
    body: text,
    actor: actorOf(body),
  };
}

/**
 * Maps a parsed Gitea body plus its `X-Gitea-Event` header (inferred from the body when absent)
 * to a GiteaEvent. Pure; never throws — unknown events, actions and shapes become `unknown`.
 */
export function normalizeGiteaEvent(body: unknown, headerEvent: string | null): GiteaEvent {
  const o = asObject(body) ?? {};
  const event = headerEvent ?? inferGiteaEvent(o);
  const repo = repoOf(o);
  let normalized: GiteaEvent | null = null;
  if (repo !== null) {
    if (event === 'push') normalized = pushEvent(o, repo);
    else if (event === 'status') normalized = statusEvent(o, repo);
    else if (event === 'issue_comment') normalized = commentEvent(o, repo);
    else if (event.startsWith('pull_request')) normalized = pullRequestEvent(event, o, repo);
  }
  return normalized ?? { type: 'unknown', event, action: asString(o.action), repo };
}
