import { describe, expect, it } from 'vitest';
import {
  finishedAt,
  finishTimesOf,
  itemCost,
  jobRole,
  jobWorkItem,
  mayWait,
  stageDurations,
  oneLine,
  waitingReason,
} from './task-insights.js';

describe('task insights', () => {
  it('turns a timeline into stage visits, the last one open', () => {
    const events = [
      { stage: 'created', atMs: 0 },
      { stage: 'analysis', atMs: 0 },
      { stage: 'analysis', atMs: 50 },
      { stage: 'architecture', atMs: 100 },
      { stage: 'analysis', atMs: 130 },
    ];
    expect(stageDurations(events)).toEqual([
      { stage: 'created', enteredAtMs: 0, leftAtMs: 0, durationMs: 0 },
      { stage: 'analysis', enteredAtMs: 0, leftAtMs: 100, durationMs: 100 },
      { stage: 'architecture', enteredAtMs: 100, leftAtMs: 130, durationMs: 30 },
      { stage: 'analysis', enteredAtMs: 130, leftAtMs: null, durationMs: null },
    ]);
    expect(stageDurations([])).toEqual([]);
  });

  it('finds when a done or cancelled item finished, and nothing for others', () => {
    const events = [
      { type: 'created', stage: 'created', atMs: 1 },
      { type: 'cancelled', stage: 'analysis', atMs: 5 },
      { type: 'resumed', stage: 'analysis', atMs: 7 },
      { type: 'stage_changed', stage: 'done', atMs: 9 },
      { type: 'post_deploy', stage: 'done', atMs: 12 },
    ];
    const times = finishTimesOf(events);
    expect(times).toEqual({ doneAtMs: 9, cancelledAtMs: 5 });
    expect(finishedAt({ state: 'done', updatedAtMs: 99 }, times)).toBe(9);
    expect(finishedAt({ state: 'cancelled', updatedAtMs: 99 }, times)).toBe(5);
    expect(finishedAt({ state: 'cancelled', updatedAtMs: 99 }, undefined)).toBe(99);
    expect(finishedAt({ state: 'active', updatedAtMs: 99 }, times)).toBeNull();
  });

  it('names the role and work item of a job from its payload or its kind', () => {
    expect(jobRole({ kind: 'developer', payload: { role: 'developer' } })).toBe('developer');
    expect(jobRole({ kind: 'reviewer', payload: null })).toBe('reviewer');
    expect(jobRole({ kind: 'webhook.plane', payload: {} })).toBeNull();
    expect(jobWorkItem({ payload: { workItemId: 'TRL-001' } })).toBe('TRL-001');
    expect(jobWorkItem({ payload: 'x' })).toBeNull();
  });

  it('sums cost by stage in track order, from the job payload or the run kind', () => {
    const jobs = new Map([
      [1, { payload: { stage: 'analysis' } }],
      [2, { payload: { stage: 'development' } }],
    ]);
    const runs = [
      { jobId: 2, kind: 'developer', costUsd: 1 },
      { jobId: 1, kind: 'analyst', costUsd: 0.5 },
      { jobId: 2, kind: 'developer', costUsd: null },
      { jobId: 9, kind: 'reviewer', costUsd: 0.25 },
      { jobId: 8, kind: 'mystery', costUsd: 0.1 },
    ];
    const cost = itemCost(runs, jobs, {
      stages: ['created', 'analysis', 'development', 'review', 'done'],
      budget: { perItemUsd: 3 },
    });
    expect(cost).toEqual({
      totalUsd: 1.85,
      byStage: [
        { stage: 'analysis', usd: 0.5 },
        { stage: 'development', usd: 1 },
        { stage: 'review', usd: 0.25 },
        { stage: 'mystery', usd: 0.1 },
      ],
      budget: { perItemUsd: 3, perRunUsd: null, perDayUsd: null },
    });
  });

  it('asks why only items that are not finished and have no agent running', () => {
    expect(mayWait({ state: 'active' }, 'developer')).toBe(false);
    expect(mayWait({ state: 'active' }, null)).toBe(true);
    expect(mayWait({ state: 'done' }, null)).toBe(false);
    expect(mayWait({ state: 'blocked' }, null)).toBe(true);
    const explanation = (code: 'running' | 'queued') => ({
      workItemId: 'T-1',
      stage: 'analysis',
      state: 'active',
      summary: `${code}.`,
      reasons: [{ code, text: `${code}.` }],
    });
    expect(waitingReason(explanation('queued'))).toBe('queued.');
    expect(waitingReason(explanation('running'))).toBeNull();
    // The analyst's questions file quoted in the reason stays on the item page, not in the list.
    expect(
      oneLine('The analyst of TRL-001 needs input: --- type: questions\n---\n# Questions\n1. Who?'),
    ).toBe('The analyst of TRL-001 needs input (see the item).');
    expect(oneLine('Waits for approval by\nops-lead.')).toBe('Waits for approval by ops-lead.');
    expect(waitingReason(undefined)).toBeNull();
  });
});
