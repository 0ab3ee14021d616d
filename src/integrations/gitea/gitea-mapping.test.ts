import { describe, expect, it } from 'vitest';
import { combinedStateOf, gateStatus, mergeOutcome } from './gitea-mapping.js';

describe('mergeOutcome', () => {
  it('maps Gitea merge replies to MergeResult', () => {
    expect(mergeOutcome(200, '', false)).toEqual({ kind: 'merged', mergeSha: '' });
    expect(mergeOutcome(405, '', true)).toEqual({ kind: 'already_merged' });
    expect(mergeOutcome(405, 'Please try again later', false)).toEqual({
      kind: 'conflict',
      reason: 'not mergeable: Please try again later',
    });
    expect(mergeOutcome(409, 'head out of date', false)).toEqual({
      kind: 'head_moved',
      reason: 'head out of date',
    });
    expect(mergeOutcome(409, 'merge add conflicts', false)).toMatchObject({ kind: 'conflict' });
    expect(mergeOutcome(500, 'boom', false)).toBeNull();
  });
});

describe('combinedStateOf', () => {
  it('maps combined states, no statuses to none, and warning/error to failure', () => {
    expect(combinedStateOf('success', 2)).toBe('success');
    expect(combinedStateOf('pending', 1)).toBe('pending');
    expect(combinedStateOf('error', 1)).toBe('failure');
    expect(combinedStateOf('warning', 1)).toBe('failure');
    expect(combinedStateOf('', 0)).toBe('none');
    expect(combinedStateOf(null, 3)).toBe('none');
  });

  it('publishes gates as orch/<gate>', () => {
    expect(gateStatus('review', false, 'verdict REQUEST_CHANGES')).toEqual({
      context: 'orch/review',
      state: 'failure',
      description: 'verdict REQUEST_CHANGES',
    });
  });
});
