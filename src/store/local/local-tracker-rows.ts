import type { Queryable } from '../db.js';

/** A `local_items` row: a work item of Orch's own tracker (`labels` is a JSON array). */
export interface LocalItemRow {
  id: number;
  project_key: string;
  title: string;
  description: string;
  state_name: string | null;
  labels: string;
  created_at_ms: number;
}

/** A `local_comments` row. */
export interface LocalCommentRow {
  id: number;
  author: string;
  body: string;
  by_orch: number;
  created_at_ms: number;
}

/** Creates a work item in state Backlog. */
export async function insertLocalItem(
  q: Queryable,
  i: { projectKey: string; title: string; description: string; labelsJson: string; nowMs: number },
): Promise<LocalItemRow> {
  const row = await q.get<LocalItemRow>(
    `-- new local work item: project $1, title $2, description $3, labels $4 (JSON), at $5
     insert into local_items (project_key, title, description, state_name, labels, created_at_ms)
     values ($1, $2, $3, 'Backlog', $4, $5) returning *`,
    [i.projectKey, i.title, i.description, i.labelsJson, i.nowMs],
  );
  return row!;
}

/** Work item `id` of project `projectKey`, if it exists. */
export function localItem(
  q: Queryable,
  id: number,
  projectKey: string,
): Promise<LocalItemRow | undefined> {
  return q.get<LocalItemRow>(
    `-- local work item $1 of project $2
     select * from local_items where id = $1 and project_key = $2`,
    [id, projectKey],
  );
}

/** Work items of project `projectKey` created at or after `sinceMs`, newest first. */
export function localItemsSince(
  q: Queryable,
  projectKey: string,
  sinceMs: number,
): Promise<LocalItemRow[]> {
  return q.all<LocalItemRow>(
    `-- local work items of project $1 created at or after $2, newest first
     select * from local_items where project_key = $1 and created_at_ms >= $2 order by id desc`,
    [projectKey, sinceMs],
  );
}

/** Comments on item `itemId` written at or after `sinceMs`, oldest first. */
export function localComments(
  q: Queryable,
  itemId: number,
  sinceMs: number,
): Promise<LocalCommentRow[]> {
  return q.all<LocalCommentRow>(
    `-- comments on local item $1 since $2, oldest first
     select * from local_comments where item_id = $1 and created_at_ms >= $2 order by id`,
    [itemId, sinceMs],
  );
}

/** Adds a comment; `byOrch` flags Orch's own so it is never read as a human's. */
export async function insertLocalComment(
  q: Queryable,
  c: {
    itemId: number;
    author: string;
    body: string;
    byOrch: boolean;
    externalId: string | null;
    nowMs: number;
  },
): Promise<{ id: number; created_at_ms: number }> {
  const row = await q.get<{ id: number; created_at_ms: number }>(
    `-- comment on local item $1 by $2: body $3, by Orch $4 (1/0), external id $5, at $6
     insert into local_comments (item_id, author, body, by_orch, external_id, created_at_ms)
     values ($1, $2, $3, $4, $5, $6) returning id, created_at_ms`,
    [c.itemId, c.author, c.body, c.byOrch ? 1 : 0, c.externalId, c.nowMs],
  );
  return row!;
}

/** Sets the display state of item `id`. */
export async function setLocalItemState(
  q: Queryable,
  id: number,
  stateName: string,
): Promise<void> {
  await q.run(
    `-- the display state $2 of local item $1
     update local_items set state_name = $2 where id = $1`,
    [id, stateName],
  );
}
