import { randomUUID } from 'node:crypto';
import { hmacSha256Hex } from '../../../src/integrations/webhooks/signature.js';

function pyString(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const ch = s[i]!;
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\b') out += '\\b';
    else if (ch === '\f') out += '\\f';
    // ensure_ascii: every code unit outside printable ASCII as \uXXXX (surrogates stay pairs)
    else if (c < 0x20 || c > 0x7e) out += `\\u${c.toString(16).padStart(4, '0')}`;
    else out += ch;
  }
  return `${out}"`;
}

/**
 * Python's `json.dumps(value)` with default arguments — the exact bytes self-hosted Plane signs
 * and sends: `", "` and `": "` separators, non-ASCII escaped as `\uXXXX`, `/` not escaped.
 * (Floats that Python would print as `1.0` come out as `1`: keep test numbers integral.)
 */
export function pythonJsonDumps(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number') return JSON.stringify(value);
  if (typeof value === 'string') return pyString(value);
  if (Array.isArray(value)) return `[${value.map(pythonJsonDumps).join(', ')}]`;
  const entries = Object.entries(value as Record<string, unknown>).filter(
    ([, v]) => v !== undefined,
  );
  return `{${entries.map(([k, v]) => `${pyString(k)}: ${pythonJsonDumps(v)}`).join(', ')}}`;
}

export interface Delivery {
  headers: Record<string, string>;
  rawBody: Buffer;
}

/** A Plane delivery as the OSS server sends it: Python bytes, `X-Plane-*` headers, signed. */
export function planeDelivery(
  payload: Record<string, unknown>,
  options: { secret?: string; event?: string } = {},
): Delivery {
  const rawBody = Buffer.from(pythonJsonDumps(payload), 'utf8');
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'user-agent': 'Autopilot',
    'x-plane-delivery': randomUUID(),
    'x-plane-event': options.event ?? (typeof payload.event === 'string' ? payload.event : 'issue'),
  };
  if (options.secret !== undefined)
    headers['x-plane-signature'] = hmacSha256Hex(options.secret, rawBody);
  return { headers, rawBody };
}

/** A Gitea delivery: pretty-printed body (or the given bytes), `X-Gitea-*` headers, signed. */
export function giteaDelivery(
  payload: unknown,
  options: { secret?: string; event: string; eventType?: string; deliveryId?: string },
): Delivery {
  const rawBody = Buffer.isBuffer(payload)
    ? payload
    : Buffer.from(JSON.stringify(payload, null, 2), 'utf8');
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'x-gitea-delivery': options.deliveryId ?? randomUUID(),
    'x-gitea-event': options.event,
    'x-gitea-event-type': options.eventType ?? options.event,
  };
  if (options.secret !== undefined) {
    const hex = hmacSha256Hex(options.secret, rawBody);
    headers['x-gitea-signature'] = hex;
    headers['x-hub-signature-256'] = `sha256=${hex}`;
  }
  return { headers, rawBody };
}

/** A minimal Plane v1 `issue`/`created` payload in the OSS server's key order. */
export function planeIssueCreated(input: {
  projectId: string;
  itemId?: string;
  title: string;
  description?: string;
  actorId: string;
  labels?: string[];
}): Record<string, unknown> {
  return {
    event: 'issue',
    action: 'created',
    webhook_id: randomUUID(),
    workspace_id: randomUUID(),
    data: {
      id: input.itemId ?? randomUUID(),
      name: input.title,
      description_html: `<p>${input.description ?? ''}</p>`,
      description_stripped: input.description ?? '',
      project: input.projectId,
      sequence_id: 1,
      labels: (input.labels ?? []).map((name) => ({ id: randomUUID(), name })),
      state: randomUUID(),
    },
    activity: {
      field: null,
      new_value: null,
      old_value: null,
      actor: { id: input.actorId, display_name: 'Human' },
      old_identifier: null,
      new_identifier: null,
    },
  };
}

/** A Plane v1 `issue_comment`/`created` payload. */
export function planeCommentCreated(input: {
  projectId: string;
  itemId: string;
  body: string;
  actorId: string;
  externalSource?: string | null;
}): Record<string, unknown> {
  return {
    event: 'issue_comment',
    action: 'created',
    webhook_id: randomUUID(),
    workspace_id: randomUUID(),
    data: {
      id: randomUUID(),
      comment_html: `<p>${input.body}</p>`,
      comment_stripped: input.body,
      issue: input.itemId,
      project: input.projectId,
      actor: input.actorId,
      external_source: input.externalSource ?? null,
      external_id: null,
    },
    activity: {
      field: null,
      new_value: null,
      old_value: null,
      actor: { id: input.actorId, display_name: 'Human' },
      old_identifier: null,
      new_identifier: null,
    },
  };
}
