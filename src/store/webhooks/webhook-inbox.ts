import type { Queryable } from '../db.js';
import type { WebhookSource } from '../../integrations/webhooks/signature.js';

export interface InboxRow {
  id: number;
  source: WebhookSource;
  deliveryKey: string;
  event: string;
  receivedAtMs: number;
  outcome: 'accepted' | 'ignored';
  reason: string | null;
  jobId: number | null;
}

interface RawInboxRow {
  id: number | string;
  source: WebhookSource;
  delivery_key: string;
  event: string;
  received_at_ms: number | string;
  outcome: 'accepted' | 'ignored';
  reason: string | null;
  job_id: number | string | null;
}

function fromRow(r: RawInboxRow): InboxRow {
  return {
    id: Number(r.id),
    source: r.source,
    deliveryKey: r.delivery_key,
    event: r.event,
    receivedAtMs: Number(r.received_at_ms),
    outcome: r.outcome,
    reason: r.reason,
    jobId: r.job_id === null ? null : Number(r.job_id),
  };
}

/**
 * Inserts the inbox row of a delivery unless `(source, delivery_key)` or `(source, body_sha256)`
 * is already there: a body replayed under a new delivery id (Gitea "Redeliver", or a captured
 * delivery re-sent with a new `X-Gitea-Delivery`, which the signature does not cover) is a
 * duplicate too. One statement, so two concurrent copies cannot both get `inserted`.
 */
export async function insertInboxRow(
  q: Queryable,
  row: Omit<InboxRow, 'id' | 'jobId'> & { bodySha256: string },
): Promise<{ kind: 'inserted'; id: number } | { kind: 'duplicate' }> {
  const inserted = await q.get<{ id: number | string }>(
    `-- inbox insert: record delivery ($1 source, $2 key, $7 body hash) once; nothing if either is known
     insert into webhook_inbox (source, delivery_key, event, received_at_ms, outcome, reason, body_sha256)
     values ($1, $2, $3, $4, $5, $6, $7)
     on conflict do nothing
     returning id`,
    [
      row.source,
      row.deliveryKey,
      row.event,
      row.receivedAtMs,
      row.outcome,
      row.reason,
      row.bodySha256,
    ],
  );
  return inserted ? { kind: 'inserted', id: Number(inserted.id) } : { kind: 'duplicate' };
}

export async function setInboxJob(q: Queryable, inboxId: number, jobId: number): Promise<void> {
  await q.run(
    `-- inbox job: link inbox row $1 to the job $2 that processes it
     update webhook_inbox set job_id = $2 where id = $1`,
    [inboxId, jobId],
  );
}

/** Newest first; for tests and the operator's view of recent deliveries. */
export async function listInbox(q: Queryable, limit = 100): Promise<InboxRow[]> {
  const rows = await q.all<RawInboxRow>(
    `-- inbox list: the $1 most recent deliveries
     select * from webhook_inbox order by id desc limit $1`,
    [limit],
  );
  return rows.map(fromRow);
}
