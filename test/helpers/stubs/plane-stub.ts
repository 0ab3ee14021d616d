import { randomUUID } from 'node:crypto';
import { StubServer, type RecordedRequest, type StubResponse } from './stub-server.js';

export interface PlaneStubState {
  id: string;
  name: string;
  group: string;
}

export interface PlaneStubItem {
  id: string;
  projectId: string;
  name: string;
  descriptionHtml: string;
  stateId: string;
  labels: string[];
  /** ISO time; `addItem` defaults it to now. */
  createdAt?: string;
  /** The creator's user id; `addItem` defaults it to a human's. */
  createdBy?: string;
}

export interface PlaneStubComment {
  id: string;
  issueId: string;
  commentHtml: string;
  externalSource: string | null;
  externalId: string | null;
  actor: string;
  createdAt: string;
}

export const PLANE_STUB_DEFAULT_STATES: readonly Omit<PlaneStubState, 'id'>[] = [
  { name: 'Backlog', group: 'backlog' },
  { name: 'Todo', group: 'unstarted' },
  { name: 'In Progress', group: 'started' },
  { name: 'In Review', group: 'started' },
  { name: 'Needs Input', group: 'started' },
  { name: 'Blocked', group: 'started' },
  { name: 'Done', group: 'completed' },
];

export interface PlaneStubUser {
  id: string;
  display_name: string;
  email: string;
}

const MEMBERS_RE = /^\/api\/v1\/workspaces\/([^/]+)\/projects\/([^/]+)\/members\/$/;
const ITEM_RE = /^\/api\/v1\/workspaces\/([^/]+)\/projects\/([^/]+)\/work-items\/([^/]+)\/$/;
const COMMENTS_RE =
  /^\/api\/v1\/workspaces\/([^/]+)\/projects\/([^/]+)\/work-items\/([^/]+)\/comments\/$/;
const RELATIONS_RE =
  /^\/api\/v1\/workspaces\/([^/]+)\/projects\/([^/]+)\/work-items\/([^/]+)\/relations\/$/;
const STATES_RE = /^\/api\/v1\/workspaces\/([^/]+)\/projects\/([^/]+)\/states\/$/;
const WORK_ITEMS_RE = /^\/api\/v1\/workspaces\/([^/]+)\/projects\/([^/]+)\/work-items\/$/;
/** A human who files items in tests (never the API user). */
export const PLANE_STUB_HUMAN = '0b5e1c2d-3f40-4a5b-8c6d-7e8f90a1b2c3';

/**
 * Just enough of Plane's REST API (`/api/v1`, `X-API-Key` auth) for the Plane client: states,
 * work items (list — cursor-paged newest first with `expand=labels,state`, as IssueListCreateAPIEndpoint
 * and plane/utils/paginator.py answer — get, state PATCH), relations (grouped by type), comments (list — `expand=actor` replaces `actor` by the user
 * object, as plane/api/serializers/base.py does — and create with external_source/external_id
 * dedup → 409), `users/me/` and project members (403 for a non-member, as
 * ProjectMemberPermission answers). Every request is recorded; `failNext` scripts 429s and outages.
 */
export class PlaneStub extends StubServer {
  readonly states = new Map<string, PlaneStubState[]>();
  readonly items = new Map<string, PlaneStubItem>();
  readonly comments: PlaneStubComment[] = [];
  readonly users = new Map<string, PlaneStubUser>();
  /** projectId → member user ids. */
  readonly members = new Map<string, Set<string>>();
  /** itemId → the ids of the items it is blocked by (relation `blocked_by`). */
  readonly blockedBy = new Map<string, string[]>();

  constructor(
    readonly apiKey = 'plane_api_test',
    readonly userId = randomUUID(),
  ) {
    super((req) => this.#route(req));
    this.users.set(userId, { id: userId, display_name: 'orch-bot', email: 'orch-bot@example.com' });
  }

  /** A project with `states`; the API user is a member unless `apiUserMember` is false. */
  addProject(
    projectId: string,
    states = PLANE_STUB_DEFAULT_STATES,
    options: { apiUserMember?: boolean } = {},
  ): PlaneStubState[] {
    const list = states.map((s) => ({ ...s, id: randomUUID() }));
    this.states.set(projectId, list);
    this.members.set(projectId, new Set(options.apiUserMember === false ? [] : [this.userId]));
    return list;
  }

  /** A human user, member of `projectId`. */
  addUser(projectId: string, user: Omit<PlaneStubUser, 'id'> & { id?: string }): PlaneStubUser {
    const full = { ...user, id: user.id ?? randomUUID() };
    this.users.set(full.id, full);
    this.members.get(projectId)?.add(full.id);
    return full;
  }

  /** A comment a human wrote in Plane. */
  addHumanComment(itemId: string, userId: string, text: string, createdAt: string): void {
    this.comments.push({
      id: randomUUID(),
      issueId: itemId,
      commentHtml: `<p>${text}</p>`,
      externalSource: null,
      externalId: null,
      actor: userId,
      createdAt,
    });
  }

  addItem(item: Omit<PlaneStubItem, 'id'> & { id?: string }): PlaneStubItem {
    const full = {
      createdAt: new Date().toISOString(),
      createdBy: PLANE_STUB_HUMAN,
      ...item,
      id: item.id ?? randomUUID(),
    };
    this.items.set(full.id, full);
    return full;
  }

  stateName(itemId: string): string | null {
    const item = this.items.get(itemId);
    if (!item) return null;
    return this.states.get(item.projectId)?.find((s) => s.id === item.stateId)?.name ?? null;
  }

  #route(req: RecordedRequest): StubResponse {
    if (req.headers['x-api-key'] !== this.apiKey) {
      return { status: 401, body: { detail: 'Invalid API key' } };
    }
    if (req.method === 'GET' && req.path === '/api/v1/users/me/') {
      return { status: 200, body: this.users.get(this.userId) };
    }
    let m = MEMBERS_RE.exec(req.path);
    if (m && req.method === 'GET') {
      const members = this.members.get(m[2]!) ?? new Set<string>();
      if (!members.has(this.userId)) {
        return {
          status: 403,
          body: { detail: 'You do not have permission to perform this action.' },
        };
      }
      return { status: 200, body: [...members].map((id) => this.users.get(id)) };
    }
    m = STATES_RE.exec(req.path);
    if (m && req.method === 'GET') {
      return {
        status: 200,
        body: { results: this.states.get(m[2]!) ?? [], next_page_results: false },
      };
    }
    m = WORK_ITEMS_RE.exec(req.path);
    if (m && req.method === 'GET') return this.#listItems(req, m[2]!);
    m = COMMENTS_RE.exec(req.path);
    if (m) return this.#comments(req, m[3]!);
    m = RELATIONS_RE.exec(req.path);
    if (m && req.method === 'GET') {
      if (!this.items.has(m[3]!)) return { status: 404, body: { detail: 'Not found' } };
      const blockedBy = this.blockedBy.get(m[3]!) ?? [];
      const blocking = [...this.blockedBy]
        .filter(([, ids]) => ids.includes(m![3]!))
        .map(([id]) => id);
      // Relations grouped by type, each a list of work-item ids (IssueRelationListCreateAPIEndpoint).
      return {
        status: 200,
        body: {
          blocking,
          blocked_by: blockedBy,
          duplicate: [],
          relates_to: [],
          start_after: [],
          start_before: [],
          finish_after: [],
          finish_before: [],
        },
      };
    }
    m = ITEM_RE.exec(req.path);
    if (m) return this.#item(req, m[3]!);
    return { status: 404, body: { detail: 'Not found' } };
  }

  /**
   * `GET …/work-items/`: `order_by` created_at / -created_at (the default), `per_page` (≤ 1000),
   * `cursor` `<per_page>:<page>:<is_prev>`; the envelope of plane/utils/paginator.py (OffsetPaginator:
   * `next_cursor` = `<per_page>:<page+1>:0`, `next_page_results` when more rows follow).
   */
  #listItems(req: RecordedRequest, projectId: string): StubResponse {
    if (!this.states.has(projectId)) return { status: 404, body: { error: 'Project not found' } };
    const perPage = Math.min(Number(req.query.get('per_page') ?? 100) || 100, 1000);
    const page = Number((req.query.get('cursor') ?? `${perPage}:0:0`).split(':')[1] ?? 0);
    const desc = (req.query.get('order_by') ?? '-created_at') !== 'created_at';
    const expand = (req.query.get('expand') ?? '').split(',');
    const all = [...this.items.values()]
      .filter((i) => i.projectId === projectId)
      .sort((a, b) => {
        const d = Date.parse(a.createdAt!) - Date.parse(b.createdAt!);
        return desc ? -d : d;
      });
    const offset = page * perPage;
    const results = all.slice(offset, offset + perPage).map((i) => this.#itemJson(i, expand));
    const hasNext = all.length > offset + perPage;
    return {
      status: 200,
      body: {
        grouped_by: null,
        sub_grouped_by: null,
        total_count: all.length,
        next_cursor: `${perPage}:${page + 1}:0`,
        prev_cursor: `${perPage}:${page - 1}:1`,
        next_page_results: hasNext,
        prev_page_results: page > 0,
        count: all.length,
        total_pages: Math.ceil(all.length / perPage),
        total_results: all.length,
        extra_stats: null,
        results,
      },
    };
  }

  #itemJson(item: PlaneStubItem, expand: readonly string[]) {
    const state = this.states.get(item.projectId)?.find((s) => s.id === item.stateId);
    return {
      id: item.id,
      name: item.name,
      description_html: item.descriptionHtml,
      project: item.projectId,
      state: expand.includes('state') && state ? { ...state, color: '#60646C' } : item.stateId,
      labels: item.labels.map((name) =>
        expand.includes('labels') ? { id: randomUUID(), name } : randomUUID(),
      ),
      created_at: item.createdAt,
      updated_at: item.createdAt,
      created_by: item.createdBy,
    };
  }

  #item(req: RecordedRequest, itemId: string): StubResponse {
    const item = this.items.get(itemId);
    if (!item) return { status: 404, body: { detail: 'Not found' } };
    if (req.method === 'PATCH') {
      const state = (req.body as { state?: unknown } | null)?.state;
      if (typeof state === 'string') {
        if (!this.states.get(item.projectId)?.some((s) => s.id === state)) {
          return { status: 400, body: { state: ['Invalid state'] } };
        }
        item.stateId = state;
      }
    } else if (req.method !== 'GET') return { status: 405, body: {} };
    return {
      status: 200,
      body: {
        id: item.id,
        name: item.name,
        description_html: item.descriptionHtml,
        project: item.projectId,
        state: item.stateId,
        labels: item.labels.map((name) => ({ id: randomUUID(), name })),
      },
    };
  }

  #comments(req: RecordedRequest, itemId: string): StubResponse {
    if (!this.items.has(itemId)) return { status: 404, body: { detail: 'Not found' } };
    if (req.method === 'GET') {
      const expand = (req.query.get('expand') ?? '').split(',');
      const results = this.comments
        .filter((c) => c.issueId === itemId)
        .map((c) => ({
          ...commentJson(c),
          ...(expand.includes('actor') && { actor: this.users.get(c.actor) ?? c.actor }),
        }));
      return { status: 200, body: { results, next_cursor: null, next_page_results: false } };
    }
    if (req.method !== 'POST') return { status: 405, body: {} };
    const b = (req.body ?? {}) as Record<string, unknown>;
    const externalSource = typeof b.external_source === 'string' ? b.external_source : null;
    const externalId = typeof b.external_id === 'string' ? b.external_id : null;
    const dup = this.comments.find(
      (c) =>
        externalId !== null && c.externalId === externalId && c.externalSource === externalSource,
    );
    if (dup) {
      return {
        status: 409,
        body: {
          error: 'Comment with the same external id and external source already exists',
          id: dup.id,
        },
      };
    }
    const comment: PlaneStubComment = {
      id: randomUUID(),
      issueId: itemId,
      commentHtml: typeof b.comment_html === 'string' ? b.comment_html : '',
      externalSource,
      externalId,
      actor: this.userId,
      createdAt: new Date().toISOString(),
    };
    this.comments.push(comment);
    return { status: 201, body: commentJson(comment) };
  }
}

function commentJson(c: PlaneStubComment) {
  return {
    id: c.id,
    issue: c.issueId,
    comment_html: c.commentHtml,
    external_source: c.externalSource,
    external_id: c.externalId,
    actor: c.actor,
    created_at: c.createdAt,
  };
}
