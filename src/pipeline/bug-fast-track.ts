/**
 * The `bug_fast_track` block of /queue (reference ORCH-019): items on a track that skips the
 * architecture stage (the `bug` track by default, chosen by a label at intake), and how many
 * architecture stages that skipped — an item on such a track has skipped architecture once it has
 * left analysis.
 */
import type { TrackStageCount } from '../store/flow-stats.js';
import type { PipelineDef } from './stages.js';

export interface BugFastTrackBlock {
  /** Tracks without an architecture stage, by project. */
  tracks: Record<string, string[]>;
  items: number;
  active: number;
  architectureSkipped: number;
  escalated: number;
}

/** Pure: folds the per-(project, track, stage, state) counts into the block. */
export function bugFastTrackBlock(
  counts: readonly TrackStageCount[],
  escalated: number,
  pipelines: ReadonlyMap<string, PipelineDef>,
): BugFastTrackBlock {
  const short = new Map<string, Set<string>>();
  for (const [key, p] of pipelines) {
    const names = Object.entries(p.tracks)
      .filter(([, stages]) => !stages.includes('architecture'))
      .map(([name]) => name);
    if (names.length > 0) short.set(key, new Set(names));
  }
  let items = 0;
  let active = 0;
  let skipped = 0;
  for (const c of counts) {
    if (!short.get(c.projectKey)?.has(c.track)) continue;
    items += c.items;
    if (c.state === 'active') active += c.items;
    if (c.stage !== 'created' && c.stage !== 'analysis') skipped += c.items;
  }
  return {
    tracks: Object.fromEntries([...short].map(([k, v]) => [k, [...v]])),
    items,
    active,
    architectureSkipped: skipped,
    escalated,
  };
}
