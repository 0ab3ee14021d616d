import { integrationError } from '../http/integration-error.js';
import type {
  CommentOptions,
  ListedTrackerItem,
  Tracker,
  TrackerComment,
  TrackerItem,
  TrackerItemRef,
  TrackerState,
} from '../tracker/tracker.js';
import { asNumber, asObject, asString, pick } from '../webhooks/loose-json.js';
import type { GithubClient, GithubMethod, GithubRequestOptions } from './github-client.js';
import {
  GITHUB_STATE_LABELS,
  STATUS_MARKER,
  blockedByOf,
  commentMarker,
  isStateLabel,
  labelNames,
  STATE_LABEL_STYLE,
} from './github-labels.js';

export interface GithubTrackerOptions {
  client: GithubClient;
  /** Issues with this label are Orch's work items (default `orch`). */
  label?: string;
  /** Orch's own login (its comments are `byOrch`); default: asked of GitHub once. */
  botLogin?: string | undefined;
  /** Issues assigned to this login are work items too (listItems). */
  assignee?: string | undefined;
}

const TRACKER = { errorPrefix: 'TRACKER' } as const;
const REPO_RE = /^([A-Za-z0-9_.-]+)\/([A-Za-z0-9_.-]+)$/;
const MAX_COMMENT_PAGES = 20;
const MAX_ITEM_PAGES = 10;

/**
 * The Tracker contract over GitHub issues: projectId = `owner/name`, itemId = the issue number.
 * States are labels (`orch:in-progress` … `orch:done`, exactly one at a time, created when
 * missing); `done` also closes the issue. Comments are plain; an `externalId` becomes a hidden
 * `<!-- orch:<id> -->` marker looked for before posting, so a retried comment is posted once.
 * Pull requests (which the issues API lists too) are never items.
 */
export class GithubTracker implements Tracker {
  readonly kind = 'github';
  readonly #o: GithubTrackerOptions;
  readonly #client: GithubClient;
  readonly #label: string;
  /** `owner/name label` → the label exists (checked or created once). */
  readonly #labels = new Map<string, Promise<void>>();

  constructor(o: GithubTrackerOptions) {
    this.#o = o;
    this.#client = o.client;
    this.#label = o.label ?? 'orch';
  }

  #repoPath(projectId: string): string {
    const m = REPO_RE.exec(projectId);
    if (!m) {
      throw integrationError('TRACKER_UNKNOWN_PROJECT', `not a GitHub owner/name: ${projectId}`, {
        retryable: false,
      });
    }
    return `/repos/${m[1]}/${m[2]}`;
  }

  #issuePath(ref: TrackerItemRef): string {
    if (!/^\d+$/.test(ref.itemId)) {
      throw integrationError('TRACKER_NOT_FOUND', `not a GitHub issue number: ${ref.itemId}`, {
        retryable: false,
      });
    }
    return `${this.#repoPath(ref.projectId)}/issues/${ref.itemId}`;
  }

  #request<T = unknown>(
    method: GithubMethod,
    path: string,
    o: Omit<GithubRequestOptions, 'errorPrefix'> = {},
  ) {
    return this.#client.request<T>(method, path, { ...o, ...TRACKER });
  }

  async #bot(): Promise<string> {
    return (this.#o.botLogin ?? (await this.#client.botLogin())).toLowerCase();
  }

  async #issue(ref: TrackerItemRef): Promise<Readonly<Record<string, unknown>>> {
    const o = asObject((await this.#request('GET', this.#issuePath(ref))).data) ?? {};
    if (o.pull_request !== undefined && o.pull_request !== null) {
      throw integrationError('TRACKER_NOT_FOUND', `#${ref.itemId} is a pull request`, {
        retryable: false,
        status: 404,
      });
    }
    return o;
  }

  async getItem(ref: TrackerItemRef): Promise<TrackerItem> {
    return toItem(ref, await this.#issue(ref));
  }

  async listComments(ref: TrackerItemRef, sinceMs?: number): Promise<TrackerComment[]> {
    const bot = await this.#bot();
    const raw = await this.#rawComments(ref, sinceMs);
    return raw
      .flatMap((c) => toComment(c, bot) ?? [])
      .filter((c) => sinceMs === undefined || c.createdAtMs > sinceMs)
      .sort((a, b) => a.createdAtMs - b.createdAtMs);
  }

  /** `GET …/issues/{n}/comments` (oldest first; `since` = updated at or after). */
  #rawComments(ref: TrackerItemRef, sinceMs?: number): Promise<unknown[]> {
    return this.#client.paginate(`${this.#issuePath(ref)}/comments`, {
      query: { since: sinceMs === undefined ? undefined : new Date(sinceMs).toISOString() },
      maxPages: MAX_COMMENT_PAGES,
      ...TRACKER,
    });
  }

  async comment(ref: TrackerItemRef, body: string, options: CommentOptions = {}): Promise<void> {
    let text = options.author === undefined ? body : `**${options.author}**\n\n${body}`;
    if (options.externalId !== undefined) {
      const marker = commentMarker(options.externalId);
      const existing = await this.#rawComments(ref);
      if (existing.some((c) => (asString(pick(c, 'body')) ?? '').includes(marker))) return;
      text = `${text}\n\n${marker}`;
    }
    await this.#request('POST', `${this.#issuePath(ref)}/comments`, { body: { body: text } });
  }

  /**
   * Keeps one status comment per issue up to date: the bot's comment carrying
   * `<!-- orch:status -->` is edited (PATCH), else one is posted.
   */
  async upsertStatusComment(ref: TrackerItemRef, body: string): Promise<void> {
    const bot = await this.#bot();
    const text = `${body}\n\n${STATUS_MARKER}`;
    const found = (await this.#rawComments(ref)).find(
      (c) =>
        (asString(pick(c, 'body')) ?? '').includes(STATUS_MARKER) &&
        asString(pick(c, 'user', 'login'))?.toLowerCase() === bot,
    );
    const id = asNumber(pick(found, 'id'));
    if (id === null) {
      await this.#request('POST', `${this.#issuePath(ref)}/comments`, { body: { body: text } });
      return;
    }
    await this.#request('PATCH', `${this.#repoPath(ref.projectId)}/issues/comments/${id}`, {
      body: { body: text },
    });
  }

  /** Exactly one `orch:` state label: stale ones removed, the new one added (created if missing). */
  async setState(ref: TrackerItemRef, state: TrackerState): Promise<void> {
    const wanted = GITHUB_STATE_LABELS[state];
    const issue = await this.#issue(ref);
    const names = labelNames(issue.labels);
    for (const stale of names.filter((n) => isStateLabel(n) && n !== wanted)) {
      await this.#request('DELETE', `${this.#issuePath(ref)}/labels/${encodeURIComponent(stale)}`, {
        allow: [404],
      });
    }
    if (!names.includes(wanted)) {
      await this.#ensureLabel(ref.projectId, wanted);
      await this.#request('POST', `${this.#issuePath(ref)}/labels`, {
        body: { labels: [wanted] },
      });
    }
    if (state === 'done' && issue.state !== 'closed') {
      await this.#request('PATCH', this.#issuePath(ref), {
        body: { state: 'closed', state_reason: 'completed' },
      });
    }
  }

  #ensureLabel(projectId: string, name: string): Promise<void> {
    const key = `${projectId} ${name}`;
    let pending = this.#labels.get(key);
    if (!pending) {
      const base = `${this.#repoPath(projectId)}/labels`;
      pending = (async () => {
        const got = await this.#request('GET', `${base}/${encodeURIComponent(name)}`, {
          allow: [404],
        });
        if (got.status !== 404) return;
        // 422 already_exists: created meanwhile
        await this.#request('POST', base, { body: { name, ...STATE_LABEL_STYLE }, allow: [422] });
      })();
      pending.catch(() => this.#labels.delete(key));
      this.#labels.set(key, pending);
    }
    return pending;
  }

  /**
   * Issues labelled `label` (and, with `assignee`, assigned to it), open and closed, created at or
   * after the bound: `sort=created&direction=desc`, stopping at the first older one.
   */
  async listItems(projectId: string, o: { createdSinceMs: number }): Promise<ListedTrackerItem[]> {
    const bot = await this.#bot();
    const filters: Record<string, string>[] = [{ labels: this.#label }];
    if (this.#o.assignee !== undefined) filters.push({ assignee: this.#o.assignee });
    const found = new Map<string, ListedTrackerItem>();
    for (const filter of filters) {
      const items = await this.#client.paginate(`${this.#repoPath(projectId)}/issues`, {
        query: { ...filter, state: 'all', sort: 'created', direction: 'desc' },
        maxPages: MAX_ITEM_PAGES,
        until: (raw) => createdAtMs(raw) < o.createdSinceMs,
        ...TRACKER,
      });
      for (const raw of items) {
        const item = toListed(projectId, raw, bot);
        if (item) found.set(item.ref.itemId, item);
      }
    }
    return [...found.values()].sort((a, b) => b.createdAtMs - a.createdAtMs);
  }

  /** Login, numeric id and name of a user given by login or numeric id. */
  async userIdentities(_projectId: string, userId: string): Promise<string[]> {
    const path = /^\d+$/.test(userId) ? `/user/${userId}` : `/users/${encodeURIComponent(userId)}`;
    const res = await this.#request('GET', path, { allow: [404] });
    if (res.status === 404) return [userId];
    const ids = [
      asString(pick(res.data, 'login')),
      asString(pick(res.data, 'id')),
      asString(pick(res.data, 'name')),
    ];
    return [...new Set(ids.filter((x): x is string => x !== null))];
  }

  /** Issue numbers named on "blocked by #N" lines of the issue's body. */
  async blockedBy(ref: TrackerItemRef): Promise<string[]> {
    return blockedByOf(asString((await this.#issue(ref)).body) ?? '');
  }
}

function createdAtMs(raw: unknown): number {
  return Date.parse(asString(pick(raw, 'created_at')) ?? '') || 0;
}

function toItem(ref: TrackerItemRef, o: Readonly<Record<string, unknown>>): TrackerItem {
  return {
    ref,
    title: asString(o.title) ?? '',
    description: asString(o.body) ?? '',
    stateName: asString(o.state),
    labels: labelNames(o.labels),
    url: asString(o.html_url),
  };
}

function toListed(projectId: string, raw: unknown, bot: string): ListedTrackerItem | null {
  const o = asObject(raw);
  const number = asString(o?.number);
  if (!o || number === null || (o.pull_request !== undefined && o.pull_request !== null)) {
    return null;
  }
  return {
    ...toItem({ projectId, itemId: number }, o),
    createdAtMs: createdAtMs(o),
    closed: o.state === 'closed',
    byOrch: asString(pick(o, 'user', 'login'))?.toLowerCase() === bot,
  };
}

function toComment(raw: unknown, bot: string): TrackerComment | null {
  const c = asObject(raw);
  const id = asString(c?.id);
  if (!c || id === null) return null;
  const login = asString(pick(c, 'user', 'login'));
  const userId = asString(pick(c, 'user', 'id'));
  return {
    id,
    author: login ?? 'unknown',
    authorIds: [login, userId].filter((x): x is string => x !== null),
    body: asString(c.body) ?? '',
    createdAtMs: createdAtMs(c),
    byOrch: login?.toLowerCase() === bot,
  };
}
