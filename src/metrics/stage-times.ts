import type { TimelineRow } from '../store/metrics/metrics-repo.js';

/** One finished stay of an item in a stage. */
export interface StageVisit {
  stage: string;
  durationMs: number;
}

/**
 * Pure: the stage visits that ended at or after `sinceMs`, from item timelines (rows grouped by
 * item, each item's rows in timeline order). Every entry records the item's stage after it, so a
 * visit starts at the first entry in a stage and ends at the first entry in another one — a
 * `stage_changed`, `rollback`, `resumed` or `rejected` entry alike. The current stage of an item
 * is no finished visit (its age is in `tasks.stage_entered_at_ms`).
 */
export function stageVisits(rows: readonly TimelineRow[], sinceMs: number): StageVisit[] {
  const visits: StageVisit[] = [];
  let taskId: number | null = null;
  let stage = '';
  let enteredAtMs = 0;
  for (const row of rows) {
    if (row.taskId !== taskId) {
      taskId = row.taskId;
      stage = row.stage;
      enteredAtMs = row.atMs;
      continue;
    }
    if (row.stage === stage) continue;
    if (row.atMs >= sinceMs)
      visits.push({ stage, durationMs: Math.max(0, row.atMs - enteredAtMs) });
    stage = row.stage;
    enteredAtMs = row.atMs;
  }
  return visits;
}

/**
 * Pure: the stage a rollback left — `detail.from` (the event's own stage is where the item went
 * back to), or the event's stage when the detail does not say.
 */
export function rollbackFrom(row: Pick<TimelineRow, 'stage' | 'detail'>): string {
  if (row.detail === null) return row.stage;
  try {
    const from = (JSON.parse(row.detail) as { from?: unknown }).from;
    return typeof from === 'string' && from !== '' ? from : row.stage;
  } catch {
    return row.stage;
  }
}

/** Pure: rollbacks at or after `sinceMs` by the stage they left. */
export function rollbacksByStage(
  rows: readonly TimelineRow[],
  sinceMs: number,
): Map<string, number> {
  const counts = new Map<string, number>();
  for (const row of rows) {
    if (row.type !== 'rollback' || row.atMs < sinceMs) continue;
    const from = rollbackFrom(row);
    counts.set(from, (counts.get(from) ?? 0) + 1);
  }
  return counts;
}
