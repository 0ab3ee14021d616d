import type { PlaneTrackerConfig, ProjectsConfig } from '../../config/projects.js';
import { ORCH_EXTERNAL_SOURCE } from '../webhooks/classify-delivery.js';
import { integrationError } from '../http/integration-error.js';
import {
  asArray,
  asObject,
  asString,
  htmlToText,
  pick,
  type JsonObject,
} from '../webhooks/loose-json.js';
import type {
  CommentOptions,
  ListedTrackerItem,
  Tracker,
  TrackerComment,
  TrackerItem,
  TrackerItemRef,
  TrackerState,
} from '../tracker/tracker.js';
import { PlaneHttp, type PlaneHttpOptions } from './plane-http.js';

export interface PlaneClientOptions extends PlaneHttpOptions {
  projects: ProjectsConfig;
  /** Plane user id of the API token's user: its comments are `byOrch`. */
  botUserId?: string | undefined;
}

export interface PlaneUser {
  id: string;
  displayName: string | null;
  email: string | null;
}

/** A Plane user object (UserLite: `id`, `display_name`, `email`…), or null for an id or junk. */
export function planeUser(raw: unknown): PlaneUser | null {
  const o = asObject(raw);
  const id = o ? asString(o.id) : null;
  if (!o || id === null) return null;
  return { id, displayName: asString(o.display_name), email: asString(o.email) };
}

interface PlaneState {
  id: string;
  name: string;
  group: string | null;
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const MAX_COMMENT_PAGES = 20;
/** Listing new work items: 100 per page, newest first; 10 pages = 1,000 items inside the bound. */
const MAX_ITEM_PAGES = 10;
/** Plane state groups of a finished item (StateGroup: backlog, unstarted, started, completed, cancelled). */
const CLOSED_GROUPS: ReadonlySet<string> = new Set(['completed', 'cancelled']);

function escapeHtml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;');
}

/** Plain text (paragraphs split by blank lines) → Plane `comment_html`; author shown first. */
export function commentHtml(body: string, author: string | undefined): string {
  const paragraphs = body
    .trim()
    .split(/\n\s*\n/)
    .map((p) => `<p>${escapeHtml(p).replace(/\n/g, '<br/>')}</p>`);
  if (author !== undefined) paragraphs.unshift(`<p><strong>${escapeHtml(author)}</strong></p>`);
  return paragraphs.join('');
}

/** Results of a Plane list call: a paginated `{ results }` object or a bare array. */
function resultsOf(body: unknown): readonly unknown[] {
  return Array.isArray(body) ? body : asArray(pick(body, 'results'));
}

/**
 * The Tracker contract over Plane's REST API (`/api/v1/workspaces/{slug}/projects/{id}/work-items/…`).
 * State changes use the project's configured state names, resolved to ids through the states
 * endpoint once per project (a configured uuid is used as is). Comments are tagged
 * `external_source: orch` (+ `external_id` when given), so webhooks for them are dropped and a
 * retried comment with the same external id is not posted twice (Plane answers 409).
 */
export class PlaneClient implements Tracker {
  readonly kind = 'plane';
  readonly #http: PlaneHttp;
  readonly #o: PlaneClientOptions;
  readonly #states = new Map<string, Promise<PlaneState[]>>();
  readonly #members = new Map<string, Promise<PlaneUser[]>>();

  constructor(options: PlaneClientOptions) {
    this.#o = options;
    this.#http = new PlaneHttp(options);
  }

  #project(projectId: string): PlaneTrackerConfig {
    const project = this.#o.projects.byPlaneProject(projectId);
    if (project?.tracker.kind !== 'plane') {
      throw integrationError(
        'TRACKER_UNKNOWN_PROJECT',
        `no project configured for Plane project ${projectId}`,
        {
          retryable: false,
        },
      );
    }
    return project.tracker;
  }

  #projectPath(projectId: string): string {
    const { workspace } = this.#project(projectId);
    return `/workspaces/${encodeURIComponent(workspace)}/projects/${encodeURIComponent(projectId)}`;
  }

  #itemPath(ref: TrackerItemRef): string {
    return `${this.#projectPath(ref.projectId)}/work-items/${encodeURIComponent(ref.itemId)}`;
  }

  /** The state name of an item: expanded `state` object, else looked up by id. */
  async #stateName(projectId: string, state: unknown): Promise<string | null> {
    return (await this.#state(projectId, state))?.name ?? null;
  }

  /** Name and group of an item's state: the expanded `state` object, else looked up by id. */
  async #state(
    projectId: string,
    state: unknown,
  ): Promise<{ name: string | null; group: string | null } | null> {
    const expanded = asObject(state);
    if (expanded) return { name: asString(expanded.name), group: asString(expanded.group) };
    const id = asString(state);
    if (id === null) return null;
    return (await this.#loadStates(projectId)).find((s) => s.id === id) ?? null;
  }

  async getItem(ref: TrackerItemRef): Promise<TrackerItem> {
    const res = await this.#http.request('GET', `${this.#itemPath(ref)}/?expand=labels,state`);
    const o = asObject(res.body) ?? {};
    return this.#toItem(ref, o, await this.#stateName(ref.projectId, o.state));
  }

  #toItem(ref: TrackerItemRef, o: JsonObject, stateName: string | null): TrackerItem {
    const html = asString(o.description_html);
    const { workspace } = this.#project(ref.projectId);
    return {
      ref,
      title: asString(o.name) ?? '',
      description: asString(o.description_stripped) ?? (html === null ? '' : htmlToText(html)),
      stateName,
      labels: asArray(o.labels)
        .map((l) => asString(pick(l, 'name')) ?? asString(l))
        .filter((l): l is string => l !== null),
      url: `${this.#http.baseUrl}/${workspace}/projects/${ref.projectId}/issues/${ref.itemId}/`,
    };
  }

  /**
   * Work items created since the bound: `GET …/projects/{id}/work-items/` (IssueListCreateAPIEndpoint)
   * ordered `-created_at`, with labels and state expanded, paged by Plane's cursor
   * (`<per_page>:<page>:0`, `next_cursor` / `next_page_results`, plane/utils/paginator.py). Stops
   * at the first item older than the bound: the rest are older still.
   */
  async listItems(projectId: string, o: { createdSinceMs: number }): Promise<ListedTrackerItem[]> {
    const out: ListedTrackerItem[] = [];
    let cursor: string | null = null;
    for (let page = 0; page < MAX_ITEM_PAGES; page++) {
      const after = cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`;
      const query = `?per_page=100&order_by=-created_at&expand=labels,state${after}`;
      const res = await this.#http.request(
        'GET',
        `${this.#projectPath(projectId)}/work-items/${query}`,
      );
      let older = false;
      for (const raw of resultsOf(res.body)) {
        const item = await this.#toListed(projectId, raw);
        if (item && item.createdAtMs >= o.createdSinceMs) out.push(item);
        else if (item) older = true;
      }
      cursor = asString(pick(res.body, 'next_cursor'));
      if (older || pick(res.body, 'next_page_results') !== true || cursor === null) break;
    }
    return out;
  }

  async #toListed(projectId: string, raw: unknown): Promise<ListedTrackerItem | null> {
    const o = asObject(raw);
    const itemId = o ? asString(o.id) : null;
    if (!o || itemId === null) return null;
    const state = await this.#state(projectId, o.state);
    const createdBy = asString(o.created_by) ?? asString(pick(o.created_by, 'id'));
    return {
      ...this.#toItem({ projectId, itemId }, o, state?.name ?? null),
      createdAtMs: Date.parse(asString(o.created_at) ?? '') || 0,
      closed: CLOSED_GROUPS.has(state?.group ?? ''),
      byOrch: this.#o.botUserId !== undefined && createdBy === this.#o.botUserId,
    };
  }

  /**
   * The items this one is "blocked by": `GET …/work-items/{id}/relations/` answers the relations
   * grouped by type, each a list of work-item ids (plane/api/views/issue.py,
   * IssueRelationListCreateAPIEndpoint).
   */
  async blockedBy(ref: TrackerItemRef): Promise<string[]> {
    const res = await this.#http.request('GET', `${this.#itemPath(ref)}/relations/`);
    return asArray(pick(res.body, 'blocked_by'))
      .map((id) => asString(id) ?? asString(pick(id, 'id')))
      .filter((id): id is string => id !== null);
  }

  async listComments(ref: TrackerItemRef, sinceMs?: number): Promise<TrackerComment[]> {
    const out: TrackerComment[] = [];
    let cursor: string | null = null;
    for (let page = 0; page < MAX_COMMENT_PAGES; page++) {
      const after = cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`;
      // expand=actor: the author's user object (id, display_name, email…) in place of its id, so
      // approvers listed by name or email match (plane/api/serializers/base.py expansion map)
      const query = `?per_page=100&expand=actor${after}`;
      const res = await this.#http.request('GET', `${this.#itemPath(ref)}/comments/${query}`);
      for (const raw of resultsOf(res.body)) {
        const c = this.#toComment(raw);
        if (c && (sinceMs === undefined || c.createdAtMs > sinceMs)) out.push(c);
      }
      cursor = asString(pick(res.body, 'next_cursor'));
      if (pick(res.body, 'next_page_results') !== true || cursor === null) break;
    }
    return out.sort((a, b) => a.createdAtMs - b.createdAtMs);
  }

  #toComment(raw: unknown): TrackerComment | null {
    const c = asObject(raw);
    const id = c ? asString(c.id) : null;
    if (!c || id === null) return null;
    const user = planeUser(c.actor) ?? planeUser(c.actor_detail);
    const actor = user?.id ?? asString(c.actor) ?? asString(c.created_by);
    const html = asString(c.comment_html);
    const authorIds = [actor, user?.displayName, user?.email].filter(
      (x): x is string => typeof x === 'string' && x !== '',
    );
    return {
      id,
      author: user?.displayName ?? actor ?? 'unknown',
      authorIds,
      body: asString(c.comment_stripped) ?? (html === null ? '' : htmlToText(html)),
      createdAtMs: Date.parse(asString(c.created_at) ?? '') || 0,
      byOrch:
        asString(c.external_source) === ORCH_EXTERNAL_SOURCE ||
        (this.#o.botUserId !== undefined && actor === this.#o.botUserId),
    };
  }

  async comment(ref: TrackerItemRef, body: string, options: CommentOptions = {}): Promise<void> {
    await this.#http.request('POST', `${this.#itemPath(ref)}/comments/`, {
      comment_html: commentHtml(body, options.author),
      access: 'INTERNAL',
      external_source: ORCH_EXTERNAL_SOURCE,
      ...(options.externalId === undefined ? {} : { external_id: options.externalId }),
    });
    // 409 = a comment with this external_id exists already: the retried comment is done.
  }

  async setState(ref: TrackerItemRef, state: TrackerState): Promise<void> {
    const stateId = await this.resolveStateId(
      ref.projectId,
      this.#project(ref.projectId).states[state],
    );
    await this.#http.request('PATCH', `${this.#itemPath(ref)}/`, { state: stateId });
  }

  /** A configured state name (case-insensitive) or uuid → the project's state id. */
  async resolveStateId(projectId: string, nameOrId: string): Promise<string> {
    const states = await this.#loadStates(projectId);
    const wanted = nameOrId.trim().toLowerCase();
    const found =
      states.find((s) => s.id.toLowerCase() === wanted) ??
      states.find((s) => s.name.trim().toLowerCase() === wanted);
    if (found) return found.id;
    if (UUID_RE.test(nameOrId)) return nameOrId;
    this.#states.delete(projectId); // a state added in Plane since: look again next time
    throw integrationError(
      'TRACKER_STATE_UNKNOWN',
      `Plane project ${projectId} has no state "${nameOrId}"`,
      {
        retryable: false,
        known: states.map((s) => s.name),
      },
    );
  }

  /** Id, display name and email of a project member (`GET …/projects/{id}/members/`, cached). */
  async userIdentities(projectId: string, userId: string): Promise<string[]> {
    let member = (await this.#loadMembers(projectId)).find((m) => m.id === userId);
    if (!member) {
      this.#members.delete(projectId); // joined since: ask again once
      member = (await this.#loadMembers(projectId)).find((m) => m.id === userId);
    }
    if (!member) return [userId];
    return [member.id, member.displayName, member.email].filter(
      (x): x is string => x !== null && x !== '',
    );
  }

  /** The API token's own user (`GET /users/me/`). */
  async me(): Promise<PlaneUser> {
    const res = await this.#http.request('GET', '/users/me/');
    const user = planeUser(res.body);
    if (!user) {
      throw integrationError('TRACKER_REQUEST_FAILED', 'Plane /users/me/: unreadable reply', {
        retryable: false,
      });
    }
    return user;
  }

  /** Project members (UserLite: id, display_name, email…). 403 when the token's user is not one. */
  async projectMembers(projectId: string): Promise<PlaneUser[]> {
    return this.#loadMembers(projectId);
  }

  /** The project's state names. */
  async stateNames(projectId: string): Promise<string[]> {
    return (await this.#loadStates(projectId)).map((s) => s.name);
  }

  #loadMembers(projectId: string): Promise<PlaneUser[]> {
    let cached = this.#members.get(projectId);
    if (!cached) {
      cached = this.#http
        .request('GET', `${this.#projectPath(projectId)}/members/`)
        .then((res) => resultsOf(res.body).flatMap((raw) => planeUser(raw) ?? []));
      cached.catch(() => this.#members.delete(projectId));
      this.#members.set(projectId, cached);
    }
    return cached;
  }

  #loadStates(projectId: string): Promise<PlaneState[]> {
    let cached = this.#states.get(projectId);
    if (!cached) {
      cached = this.#http.request('GET', `${this.#projectPath(projectId)}/states/`).then((res) =>
        resultsOf(res.body).flatMap((raw) => {
          const id = asString(pick(raw, 'id'));
          const name = asString(pick(raw, 'name'));
          return id !== null && name !== null
            ? [{ id, name, group: asString(pick(raw, 'group')) }]
            : [];
        }),
      );
      // A failed lookup is not cached: the next call asks Plane again.
      cached.catch(() => this.#states.delete(projectId));
      this.#states.set(projectId, cached);
    }
    return cached;
  }
}
