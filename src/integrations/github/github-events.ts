import type { GiteaActor, GiteaEvent, GiteaStatusState } from '../gitea/gitea-events.js';
import { normalizeGiteaEvent } from '../gitea/gitea-events.js';
import {
  asArray,
  asNumber,
  asObject,
  asString,
  pick,
  type JsonObject,
} from '../webhooks/loose-json.js';

/** Who sent a GitHub delivery (`sender`): login, numeric id and account type (`User`, `Bot`). */
export interface GithubSender {
  login: string | null;
  id: number | null;
  type: string | null;
}

/**
 * The pull-request, review, push and commit-status members a GitHub delivery shares with Gitea's
 * (Gitea's webhooks copy GitHub's): the pipeline handles them the same way. `check_suite` and
 * `check_run` completions arrive as `status` (context = the suite's app or the run's name).
 */
export type GithubForgeEvent = Extract<
  GiteaEvent,
  {
    type:
      | 'push'
      | 'pull_request.opened'
      | 'pull_request.synchronized'
      | 'pull_request.merged'
      | 'pull_request.closed'
      | 'pull_request.reviewed'
      | 'status';
  }
>;

/**
 * A GitHub webhook delivery reduced to what the pipeline acts on. `repo` is the repository's
 * `owner/name`; `issueNumber` is the tracker item id (as a number). `issue.opened`,
 * `issue.labeled` and `issue.assigned` carry the issue's labels and assignees: the intake decides
 * whether the configured label is on or the configured login is assigned.
 */
export type GithubEvent =
  | {
      type: 'issue.opened' | 'issue.labeled' | 'issue.assigned';
      repo: string;
      issueNumber: number;
      title: string;
      body: string;
      labels: string[];
      /** Logins the issue is assigned to. */
      assignees: string[];
      /** `issue.labeled`: the label just added. */
      addedLabel: string | null;
      /** `issue.assigned`: the login just assigned. */
      addedAssignee: string | null;
      /** The issue is closed (a closed issue is never taken in, as by the reconciler). */
      closed: boolean;
      actor: GiteaActor;
    }
  | { type: 'issue.closed' | 'issue.edited'; repo: string; issueNumber: number; actor: GiteaActor }
  | {
      type: 'comment.created';
      repo: string;
      issueNumber: number;
      /** A comment on a pull request's conversation (GitHub PRs are issues too). */
      isPull: boolean;
      commentId: number;
      body: string;
      actor: GiteaActor;
    }
  | GithubForgeEvent
  | { type: 'ping'; repo: string | null; hookId: number | null }
  | { type: 'unknown'; event: string; action: string | null; repo: string | null };

export type GithubEventType = GithubEvent['type'];

export interface GithubEnvelope {
  event: GithubEvent;
  sender: GithubSender;
}

function senderOf(body: JsonObject): GithubSender {
  const s = asObject(body.sender) ?? {};
  return { login: asString(s.login), id: asNumber(s.id), type: asString(s.type) };
}

function actorOf(body: JsonObject): GiteaActor {
  const { login, id } = senderOf(body);
  return { login, id };
}

function labelsOf(value: unknown): string[] {
  return asArray(value)
    .map((l) => asString(pick(l, 'name')) ?? asString(l))
    .filter((l): l is string => l !== null);
}

function loginsOf(value: unknown): string[] {
  return asArray(value)
    .map((u) => asString(pick(u, 'login')))
    .filter((l): l is string => l !== null);
}

function issueEvent(body: JsonObject, repo: string): GithubEvent | null {
  const issue = asObject(body.issue);
  const issueNumber = asNumber(issue?.number);
  if (!issue || issueNumber === null) return null;
  // A pull request is an issue to GitHub's issue events too: never a work item.
  if (asObject(issue.pull_request)) return null;
  const actor = actorOf(body);
  const action = asString(body.action) ?? '';
  switch (action) {
    case 'opened':
    case 'labeled':
    case 'assigned':
      return {
        type: `issue.${action}`,
        repo,
        issueNumber,
        title: asString(issue.title) ?? '',
        body: asString(issue.body) ?? '',
        labels: labelsOf(issue.labels),
        assignees: loginsOf(issue.assignees),
        addedLabel: action === 'labeled' ? asString(pick(body, 'label', 'name')) : null,
        addedAssignee: action === 'assigned' ? asString(pick(body, 'assignee', 'login')) : null,
        closed: asString(issue.state) === 'closed',
        actor,
      };
    case 'closed':
      return { type: 'issue.closed', repo, issueNumber, actor };
    case 'edited':
      return { type: 'issue.edited', repo, issueNumber, actor };
    default:
      return null;
  }
}

function commentEvent(body: JsonObject, repo: string): GithubEvent | null {
  if (asString(body.action) !== 'created') return null;
  const issueNumber = asNumber(pick(body, 'issue', 'number'));
  const commentId = asNumber(pick(body, 'comment', 'id'));
  if (issueNumber === null || commentId === null) return null;
  return {
    type: 'comment.created',
    repo,
    issueNumber,
    isPull: asObject(pick(body, 'issue', 'pull_request')) !== null,
    commentId,
    body: asString(pick(body, 'comment', 'body')) ?? '',
    actor: actorOf(body),
  };
}

/** GitHub check conclusions → commit-status states; null = not a decision (stale, none). */
export function conclusionState(conclusion: string | null): GiteaStatusState | null {
  switch (conclusion ?? '') {
    case 'success':
    case 'neutral':
    case 'skipped':
      return 'success';
    case 'failure':
    case 'timed_out':
    case 'action_required':
    case 'startup_failure':
      return 'failure';
    case 'cancelled':
      return 'error';
    default:
      return null;
  }
}

/** A completed check suite or check run, as the commit status of its head commit. */
function checkEvent(event: 'check_suite' | 'check_run', body: JsonObject, repo: string) {
  if (asString(body.action) !== 'completed') return null;
  const check = asObject(body[event]) ?? {};
  const sha = asString(check.head_sha);
  const state = conclusionState(asString(check.conclusion));
  if (sha === null || state === null) return null;
  const context =
    event === 'check_run'
      ? (asString(check.name) ?? 'check_run')
      : (asString(pick(check, 'app', 'slug')) ?? asString(pick(check, 'app', 'name')) ?? event);
  const ev: GithubForgeEvent = {
    type: 'status',
    repo,
    sha,
    context,
    state,
    description: `${event} ${asString(check.conclusion) ?? ''}`.trim(),
    targetUrl: asString(check.html_url) ?? asString(check.details_url),
    actor: actorOf(body),
  };
  return ev;
}

/**
 * The pull-request, review, push and status events through Gitea's normalizer (same payload
 * shapes), after GitHub's spellings are mapped: `synchronize` → `synchronized`, a review's
 * `state` (`approved` / `changes_requested` / `commented`) → Gitea's review type, `review.body`
 * → `review.content`. A dismissed review is no verdict.
 */
function forgeEvent(event: string, body: JsonObject): GithubForgeEvent | null {
  let o: JsonObject = body;
  if (event === 'pull_request' && body.action === 'synchronize') {
    o = { ...body, action: 'synchronized' };
  } else if (event === 'pull_request_review') {
    if (body.action !== 'submitted') return null;
    const review = asObject(body.review) ?? {};
    const state = (asString(review.state) ?? '').toLowerCase();
    const type =
      state === 'approved' ? 'approved' : state === 'changes_requested' ? 'rejected' : 'comment';
    o = { ...body, review: { ...review, type, content: asString(review.body) ?? '' } };
  }
  const ev = normalizeGiteaEvent(o, event);
  switch (ev.type) {
    case 'push':
    case 'pull_request.opened':
    case 'pull_request.synchronized':
    case 'pull_request.merged':
    case 'pull_request.closed':
    case 'pull_request.reviewed':
    case 'status':
      return ev;
    case 'comment.created':
    case 'unknown':
      return null;
  }
}

function repoOf(body: JsonObject): string | null {
  return asString(pick(body, 'repository', 'full_name'));
}

/**
 * Maps a parsed GitHub body plus its `X-GitHub-Event` header to a GithubEvent. Pure; never
 * throws — unknown events, actions and shapes become `unknown`.
 */
export function normalizeGithubEvent(body: unknown, headerEvent: string | null): GithubEnvelope {
  const o = asObject(body) ?? {};
  const event = headerEvent ?? '';
  const repo = repoOf(o);
  const sender = senderOf(o);
  if (event === 'ping') {
    return { event: { type: 'ping', repo, hookId: asNumber(o.hook_id) }, sender };
  }
  let normalized: GithubEvent | null = null;
  if (repo !== null) {
    if (event === 'issues') normalized = issueEvent(o, repo);
    else if (event === 'issue_comment') normalized = commentEvent(o, repo);
    else if (event === 'check_suite' || event === 'check_run')
      normalized = checkEvent(event, o, repo);
    else if (['pull_request', 'pull_request_review', 'push', 'status'].includes(event))
      normalized = forgeEvent(event, o);
  }
  return {
    event: normalized ?? { type: 'unknown', event, action: asString(o.action), repo },
    sender,
  };
}
