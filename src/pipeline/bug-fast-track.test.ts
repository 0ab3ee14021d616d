import { describe, expect, it } from 'vitest';
import { bugFastTrackBlock } from './bug-fast-track.js';
import { DEFAULT_PIPELINE, type PipelineDef } from './stages.js';

const allFull: PipelineDef = {
  ...DEFAULT_PIPELINE,
  tracks: { full: DEFAULT_PIPELINE.tracks.full! },
};

describe('bugFastTrackBlock', () => {
  it('counts items on tracks without architecture and the stages they skipped', () => {
    const block = bugFastTrackBlock(
      [
        { projectKey: 'A', track: 'bug', stage: 'analysis', state: 'active', items: 2 },
        { projectKey: 'A', track: 'bug', stage: 'development', state: 'active', items: 1 },
        { projectKey: 'A', track: 'bug', stage: 'done', state: 'done', items: 3 },
        { projectKey: 'A', track: 'full', stage: 'development', state: 'active', items: 5 },
        // B has no short track: its `bug` items (if any) are not fast-tracked.
        { projectKey: 'B', track: 'bug', stage: 'review', state: 'active', items: 4 },
      ],
      1,
      new Map([
        ['A', DEFAULT_PIPELINE],
        ['B', allFull],
      ]),
    );
    expect(block).toEqual({
      tracks: { A: ['bug'] },
      items: 6,
      active: 3,
      architectureSkipped: 4,
      escalated: 1,
    });
  });
});
