import { describe, expect, it } from 'vitest';
import type { TimelineRow } from '../store/metrics/metrics-repo.js';
import { rollbackFrom, rollbacksByStage, stageVisits } from './stage-times.js';

const row = (
  taskId: number,
  atMs: number,
  stage: string,
  type = 'x',
  detail: string | null = null,
) => ({ taskId, atMs, stage, type, detail }) satisfies TimelineRow;

describe('stageVisits', () => {
  it('measures each stage from its first entry to the first entry in another stage', () => {
    const rows = [
      row(1, 0, 'created', 'created'),
      row(1, 10, 'analysis', 'stage_changed'),
      row(1, 15, 'analysis', 'gate_failed'),
      row(1, 40, 'development', 'stage_changed'),
    ];
    expect(stageVisits(rows, 0)).toEqual([
      { stage: 'created', durationMs: 10 },
      { stage: 'analysis', durationMs: 30 },
    ]);
  });

  it('counts a rollback as the end of the stage it left', () => {
    const rows = [
      row(1, 0, 'development'),
      row(1, 100, 'review', 'stage_changed'),
      row(1, 130, 'development', 'rollback', '{"from":"review"}'),
      row(1, 200, 'review', 'stage_changed'),
    ];
    expect(stageVisits(rows, 0).map((v) => [v.stage, v.durationMs])).toEqual([
      ['development', 100],
      ['review', 30],
      ['development', 70],
    ]);
  });

  it('keeps only visits that ended at or after the window start', () => {
    const rows = [row(1, 0, 'a'), row(1, 50, 'b'), row(1, 100, 'c')];
    expect(stageVisits(rows, 60)).toEqual([{ stage: 'b', durationMs: 50 }]);
    expect(stageVisits(rows, 100)).toEqual([{ stage: 'b', durationMs: 50 }]);
  });

  it('starts afresh for every item and leaves the current stage out', () => {
    const rows = [row(1, 0, 'a'), row(1, 5, 'b'), row(2, 100, 'a'), row(2, 120, 'b')];
    expect(stageVisits(rows, 0)).toEqual([
      { stage: 'a', durationMs: 5 },
      { stage: 'a', durationMs: 20 },
    ]);
  });

  it('has no visits for an empty timeline or an item that never moved', () => {
    expect(stageVisits([], 0)).toEqual([]);
    expect(stageVisits([row(1, 0, 'a'), row(1, 9, 'a')], 0)).toEqual([]);
  });
});

describe('rollbacks', () => {
  it('attributes a rollback to the stage it left, or to its own stage without a readable detail', () => {
    expect(rollbackFrom({ stage: 'development', detail: '{"from":"review","gate":"g"}' })).toBe(
      'review',
    );
    expect(rollbackFrom({ stage: 'development', detail: null })).toBe('development');
    expect(rollbackFrom({ stage: 'development', detail: 'not json' })).toBe('development');
    expect(rollbackFrom({ stage: 'development', detail: '{"from":{"stage":"x"}}' })).toBe(
      'development',
    );
  });

  it('counts rollbacks in the window by the stage they left', () => {
    const rows = [
      row(1, 10, 'development', 'rollback', '{"from":"review"}'),
      row(1, 20, 'development', 'rollback', '{"from":"review"}'),
      row(2, 30, 'development', 'rollback', '{"from":"testing"}'),
      row(2, 40, 'testing', 'stage_changed'),
      row(3, 5, 'analysis', 'rollback', '{"from":"architecture"}'),
    ];
    expect(Object.fromEntries(rollbacksByStage(rows, 10))).toEqual({ review: 2, testing: 1 });
  });
});
