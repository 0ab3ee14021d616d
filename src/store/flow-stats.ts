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

/** What the `post_deploy` block of /queue shows: windows being watched and the verdicts. */
export interface PostDeployStats {
  healthy: number;
  degraded: number;
  /** Windows in progress: the item, the next probe's number and when it is due. */
  monitoring: { workItemId: string; nextCheck: number; failed: number; dueAtMs: number }[];
  recent: { workItemId: string; atMs: number; status: string; action: string; message: string }[];
}

/**
 * Reads the post-deploy monitor's state: verdicts are `post_deploy` events on the task timeline
 * (detail `{"status":…,"action":…}`); a window in progress is its queued probe job.
 */
export async function readPostDeployStats(db: Db, recent = 10): Promise<PostDeployStats> {
  const counts = await db.get<{ healthy: number | string; degraded: number | string }>(
    `-- post_deploy block: verdicts ever recorded, by status
     select
       coalesce(sum(case when detail like '%"status":"HEALTHY"%' then 1 else 0 end), 0) as healthy,
       coalesce(sum(case when detail like '%"status":"DEGRADED"%' then 1 else 0 end), 0) as degraded
     from task_events where type = 'post_deploy'`,
  );
  const live = await db.all<{ work_item_id: string; payload: string; available_at_ms: number }>(
    `-- post_deploy block: the probe jobs of windows in progress
     select t.work_item_id, j.payload, j.available_at_ms
     from jobs j join tasks t on t.id = j.task_id
     where j.kind = 'pipeline.post_deploy' and j.status in ('queued', 'running')
     order by j.id`,
  );
  const rows = await db.all<{
    work_item_id: string;
    at_ms: number | string;
    message: string;
    detail: string | null;
  }>(
    `-- post_deploy block: the latest verdicts, newest first
     select t.work_item_id, e.at_ms, e.message, e.detail
     from task_events e join tasks t on t.id = e.task_id
     where e.type = 'post_deploy'
     order by e.id desc limit $1`,
    [recent],
  );
  return {
    healthy: Number(counts?.healthy ?? 0),
    degraded: Number(counts?.degraded ?? 0),
    monitoring: live.map((r) => {
      const p = JSON.parse(r.payload) as { n?: number; failed?: number };
      return {
        workItemId: r.work_item_id,
        nextCheck: p.n ?? 0,
        failed: p.failed ?? 0,
        dueAtMs: Number(r.available_at_ms),
      };
    }),
    recent: rows.map((r) => {
      const d = (r.detail ? JSON.parse(r.detail) : {}) as { status?: string; action?: string };
      return {
        workItemId: r.work_item_id,
        atMs: Number(r.at_ms),
        status: d.status ?? '',
        action: d.action ?? '',
        message: r.message,
      };
    }),
  };
}

/** What the `merge_verify` block of /queue shows: the merge gate's verdicts and the items it holds. */
export interface MergeVerifyStats {
  passed: number;
  failed: number;
  /** Re-checks the merge gate asked for (busy lease, forge still computing, protection). */
  deferred: number;
  /** Items waiting on the merge gate right now: active, and their latest event is its deferral. */
  held: { workItemId: string; sinceMs: number; reason: string }[];
  recent: { workItemId: string; atMs: number; passed: boolean; reason: string }[];
}

/**
 * Reads the merge gate's history (reference `merge_verify_status`): verdicts from `gate_results`
 * (gate `merge_gate`), deferrals from `deferred` task events whose message names the gate.
 */
export async function readMergeVerifyStats(db: Db, recent = 10): Promise<MergeVerifyStats> {
  const counts = await db.get<{ passed: number | string; failed: number | string }>(
    `-- merge_verify block: merge gate verdicts ever recorded
     select
       coalesce(sum(case when passed = 1 then 1 else 0 end), 0) as passed,
       coalesce(sum(case when passed = 1 then 0 else 1 end), 0) as failed
     from gate_results where gate = 'merge_gate'`,
  );
  const deferred = await db.get<{ n: number | string }>(
    `-- merge_verify block: re-checks the merge gate asked for
     select count(*) as n from task_events where type = 'deferred' and message like 'merge_gate:%'`,
  );
  const held = await db.all<{ work_item_id: string; at_ms: number | string; message: string }>(
    `-- merge_verify block: active items whose latest event is a merge gate deferral
     select t.work_item_id, e.at_ms, e.message
     from tasks t
     join task_events e on e.id = (select max(id) from task_events where task_id = t.id)
     where t.state = 'active' and e.type = 'deferred' and e.message like 'merge_gate:%'
     order by e.id`,
  );
  const rows = await db.all<{
    work_item_id: string;
    evaluated_at_ms: number | string;
    passed: number | boolean;
    reason: string;
  }>(
    `-- merge_verify block: the latest merge gate verdicts, newest first
     select t.work_item_id, g.evaluated_at_ms, g.passed, g.reason
     from gate_results g join tasks t on t.id = g.task_id
     where g.gate = 'merge_gate'
     order by g.id desc limit $1`,
    [recent],
  );
  return {
    passed: Number(counts?.passed ?? 0),
    failed: Number(counts?.failed ?? 0),
    deferred: Number(deferred?.n ?? 0),
    held: held.map((r) => ({
      workItemId: r.work_item_id,
      sinceMs: Number(r.at_ms),
      reason: r.message.replace(/^merge_gate: /, ''),
    })),
    recent: rows.map((r) => ({
      workItemId: r.work_item_id,
      atMs: Number(r.evaluated_at_ms),
      passed: r.passed === true || Number(r.passed) === 1,
      reason: r.reason,
    })),
  };
}

/** Items by project, track and stage: what the `bug_fast_track` block counts from. */
export interface TrackStageCount {
  projectKey: string;
  track: string;
  stage: string;
  state: string;
  items: number;
}

/** Reads item counts by project, track, stage and state, and how many escalations happened. */
export async function readTrackCounts(
  db: Db,
): Promise<{ counts: TrackStageCount[]; escalated: number }> {
  const rows = await db.all<{
    project_key: string;
    track: string;
    stage: string;
    state: string;
    n: number | string;
  }>(
    `-- bug_fast_track block: items by project, track, stage and state
     select project_key, track, stage, state, count(*) as n
     from tasks group by project_key, track, stage, state`,
  );
  const esc = await db.get<{ n: number | string }>(
    `-- bug_fast_track block: escalations from a short track back to the full one
     select count(*) as n from task_events where type = 'escalated'`,
  );
  return {
    counts: rows.map((r) => ({
      projectKey: r.project_key,
      track: r.track,
      stage: r.stage,
      state: r.state,
      items: Number(r.n),
    })),
    escalated: Number(esc?.n ?? 0),
  };
}
