import {
  asArray,
  asNumber,
  asObject,
  asString,
  htmlToText,
  pick,
  type JsonObject,
} from '../webhooks/loose-json.js';

/**
 * Who caused a Plane event: a user id (uuid) and, when the payload has them, display name and
 * email (v1 `activity.actor` carries both; v2 comment samples only `actor_id`).
 */
export interface PlaneActor {
  id: string | null;
  name: string | null;
  email: string | null;
}

/**
 * A Plane webhook delivery reduced to what the pipeline acts on. v1 (open-source server:
 * `event` + `action`) and v2 (dot-notation `event`, `version: "v2"`) map to the same members.
 * `projectId` is null when the payload does not carry it (v2 comment samples): the pipeline then
 * finds the task by `itemId`.
 */
export type PlaneEvent =
  | {
      type: 'work_item.created';
      projectId: string | null;
      itemId: string;
      sequenceId: number | null;
      title: string;
      description: string;
      labels: string[];
      stateId: string | null;
      stateName: string | null;
      actor: PlaneActor;
    }
  | {
      type: 'work_item.updated';
      projectId: string | null;
      itemId: string;
      title: string | null;
      stateId: string | null;
      stateName: string | null;
      labels: string[];
      /** v1: the one field this delivery reports (`activity.field`); v2: `previous_attributes` keys. */
      changedFields: string[];
      actor: PlaneActor;
    }
  | { type: 'work_item.deleted'; projectId: string | null; itemId: string; actor: PlaneActor }
  | {
      type: 'comment.created';
      projectId: string | null;
      itemId: string;
      commentId: string;
      body: string;
      /** Plane `external_source` of the comment: `orch` marks Orch's own comments. */
      externalSource: string | null;
      actor: PlaneActor;
    }
  | { type: 'unknown'; event: string; action: string | null; projectId: string | null };

export type PlaneEventType = PlaneEvent['type'];

export interface PlaneEnvelope {
  version: 'v1' | 'v2';
  /** v2 only: stable across retries (the dedup key). */
  eventId: string | null;
  /** v2 body `delivery_id`; new on every attempt. */
  deliveryId: string | null;
  event: PlaneEvent;
}

/** `WebhookScope.ScopeChoices.WORK_ITEM_COMMENT_CREATED` (a doc sample bug) → `workitem.comment.created`. */
export function canonicalPlaneEventName(raw: string): string {
  const name = raw.replace(/^WebhookScope\.ScopeChoices\./, '');
  if (!/^[A-Z_]+$/.test(name)) return name.toLowerCase();
  return name
    .toLowerCase()
    .replace(/^work_item_/, 'workitem.')
    .replace(/_/g, '.');
}

function labelsOf(data: JsonObject): string[] {
  const raw = asArray(data.labels).length > 0 ? asArray(data.labels) : asArray(data.label_ids);
  return raw
    .map((l) => asString(pick(l, 'name')) ?? asString(l))
    .filter((l): l is string => l !== null);
}

function projectOf(data: JsonObject): string | null {
  return (
    asString(data.project_id) ??
    asString(data.project) ??
    asString(pick(data, 'project_detail', 'id')) ??
    asString(pick(data, 'comment', 'project_id'))
  );
}

function descriptionOf(data: JsonObject): string {
  const stripped = asString(data.description_stripped);
  if (stripped !== null) return stripped;
  const html = asString(data.description_html);
  return html === null ? (asString(data.description) ?? '') : htmlToText(html);
}

function userOf(raw: unknown): PlaneActor | null {
  const o = asObject(raw);
  const id = o ? asString(o.id) : null;
  if (!o || id === null) return null;
  return { id, name: asString(o.display_name), email: asString(o.email) };
}

function actorOf(body: JsonObject, data: JsonObject): PlaneActor {
  const user =
    userOf(pick(body, 'activity', 'actor')) ??
    userOf(data.actor_detail) ??
    userOf(data.actor) ??
    userOf(pick(data, 'comment', 'actor_detail'));
  if (user) return user;
  const id =
    asString(pick(data, 'comment', 'actor_id')) ??
    asString(data.actor) ??
    asString(data.actor_id) ??
    asString(data.updated_by_id) ??
    asString(data.updated_by) ??
    asString(data.created_by_id) ??
    asString(data.created_by);
  return { id, name: null, email: null };
}

/** `state` is an object in real issue webhooks (expanded), an id in older ones and in v2 samples. */
function stateOf(data: JsonObject): { stateId: string | null; stateName: string | null } {
  const expanded = asObject(data.state) ?? asObject(data.state_detail);
  return {
    stateId: asString(expanded?.id) ?? asString(data.state_id) ?? asString(data.state),
    stateName: asString(expanded?.name),
  };
}

function workItemEvent(kind: string, body: JsonObject, data: JsonObject): PlaneEvent | null {
  const itemId = asString(data.id);
  if (itemId === null) return null;
  const projectId = projectOf(data);
  const actor = actorOf(body, data);
  const { stateId, stateName } = stateOf(data);
  if (kind === 'created') {
    return {
      type: 'work_item.created',
      projectId,
      itemId,
      sequenceId: asNumber(data.sequence_id),
      title: asString(data.name) ?? '',
      description: descriptionOf(data),
      labels: labelsOf(data),
      stateId,
      stateName,
      actor,
    };
  }
  if (kind === 'updated') {
    const field = asString(pick(body, 'activity', 'field'));
    const previous = Object.keys(asObject(body.previous_attributes) ?? {});
    return {
      type: 'work_item.updated',
      projectId,
      itemId,
      title: asString(data.name),
      stateId,
      stateName,
      labels: labelsOf(data),
      changedFields: field !== null ? [field] : previous,
      actor,
    };
  }
  if (kind === 'deleted') return { type: 'work_item.deleted', projectId, itemId, actor };
  return null;
}

function commentEvent(body: JsonObject, data: JsonObject): PlaneEvent | null {
  const nested = asObject(data.comment);
  // v2 nests the comment under data.comment and puts the work item in data; v1 data IS the comment.
  const comment = nested ?? data;
  const itemId = nested
    ? (asString(nested.issue_id) ?? asString(data.id))
    : (asString(data.issue_id) ?? asString(data.issue));
  const commentId = asString(comment.id);
  if (itemId === null || commentId === null) return null;
  const html = asString(comment.comment_html);
  return {
    type: 'comment.created',
    projectId: projectOf(comment) ?? projectOf(data),
    itemId,
    commentId,
    body: asString(comment.comment_stripped) ?? (html === null ? '' : htmlToText(html)),
    externalSource: asString(comment.external_source),
    actor: actorOf(body, data),
  };
}

const ACTIONS: Record<string, string> = {
  created: 'created',
  create: 'created',
  updated: 'updated',
  update: 'updated',
  deleted: 'deleted',
  delete: 'deleted',
};

/** Maps any parsed Plane body to a PlaneEvent; never throws (unknown shapes → `unknown`). */
export function normalizePlaneEvent(
  body: unknown,
  headerEvent: string | null = null,
): PlaneEnvelope {
  const o = asObject(body) ?? {};
  const data = asObject(o.data) ?? {};
  const v2 = o.version === 'v2';
  const rawEvent = asString(o.event) ?? headerEvent ?? '';
  const action = asString(o.action);
  let event: PlaneEvent | null = null;
  if (v2) {
    const name = canonicalPlaneEventName(rawEvent);
    const m = /^workitem\.(created|updated|deleted)$/.exec(name);
    if (m) event = workItemEvent(m[1]!, o, data);
    else if (name === 'workitem.comment.created') event = commentEvent(o, data);
  } else {
    const kind = ACTIONS[action ?? ''] ?? '';
    if (rawEvent === 'issue') event = workItemEvent(kind, o, data);
    else if (rawEvent === 'issue_comment' && kind === 'created') event = commentEvent(o, data);
  }
  return {
    version: v2 ? 'v2' : 'v1',
    eventId: v2 ? asString(o.event_id) : null,
    deliveryId: asString(o.delivery_id),
    event: event ?? { type: 'unknown', event: rawEvent, action, projectId: projectOf(data) },
  };
}
