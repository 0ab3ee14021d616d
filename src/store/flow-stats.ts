import type { Db } from './db.js';

/** What the `stop` block of /queue shows: STOP cancellations and refusals, and the latest ones. */
export interface StopStats {
  cancelled: number;
  ignored: number;
  recent: { workItemId: string; atMs: number; message: string }[];
}

/**
 * Reads the STOP history from the task timeline (durable and shared by every replica): a STOP
 * that cancelled is a `cancelled` event whose detail says `"via":"stop"`; one that was refused
 * (switched off, repository out of scope, not an approver) is a `stop_ignored` event.
 */
export async function readStopStats(db: Db, recent = 10): Promise<StopStats> {
  const counts = await db.get<{ cancelled: number | string; ignored: number | string }>(
    `-- stop block: STOP cancellations and refusals ever recorded
     select
       coalesce(sum(case when type = 'cancelled' then 1 else 0 end), 0) as cancelled,
       coalesce(sum(case when type = 'stop_ignored' then 1 else 0 end), 0) as ignored
     from task_events
     where type = 'stop_ignored' or (type = 'cancelled' and detail like '%"via":"stop"%')`,
  );
  const rows = await db.all<{ work_item_id: string; at_ms: number | string; message: string }>(
    `-- stop block: the latest STOP cancellations, newest first
     select t.work_item_id, e.at_ms, e.message
     from task_events e join tasks t on t.id = e.task_id
     where e.type = 'cancelled' and e.detail like '%"via":"stop"%'
     order by e.id desc limit $1`,
    [recent],
  );
  return {
    cancelled: Number(counts?.cancelled ?? 0),
    ignored: Number(counts?.ignored ?? 0),
    recent: rows.map((r) => ({
      workItemId: r.work_item_id,
      atMs: Number(r.at_ms),
      message: r.message,
    })),
  };
}

/** What the `auto_labels` block of /queue counts: items a label routed or approved. */
export interface AutoLabelStats {
  /** Items whose track a label chose at intake. */
  routed: number;
  /** Analyses approved by a label instead of a human. */
  autoApproved: number;
}

/** Reads the label auto-mode counts from the task timeline (`created` with a label, `auto_approved`). */
export async function readAutoLabelStats(db: Db): Promise<AutoLabelStats> {
  const row = await db.get<{ routed: number | string; approved: number | string }>(
    `-- auto_labels block: items routed by a label at intake, analyses approved by a label
     select
       coalesce(sum(case when type = 'created' then 1 else 0 end), 0) as routed,
       coalesce(sum(case when type = 'auto_approved' then 1 else 0 end), 0) as approved
     from task_events
     where type = 'auto_approved' or (type = 'created' and detail like '%"label":%')`,
  );
  return { routed: Number(row?.routed ?? 0), autoApproved: Number(row?.approved ?? 0) };
}
