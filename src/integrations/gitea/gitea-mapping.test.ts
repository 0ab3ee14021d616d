import { describe, expect, it } from 'vitest';
import {
  allowedMergeStyle,
  classifyMergeRefusal,
  combinedStateOf,
  mergeOutcome,
  pullReviewOf,
} from './gitea-mapping.js';

describe('mergeOutcome', () => {
  it('maps Gitea merge replies other than 405 to MergeResult', () => {
    expect(mergeOutcome(200, '')).toEqual({ kind: 'merged', mergeSha: '' });
    expect(mergeOutcome(409, 'head out of date')).toEqual({
      kind: 'head_moved',
      reason: 'head out of date',
    });
    expect(mergeOutcome(409, '')).toMatchObject({ kind: 'conflict' });
    expect(mergeOutcome(500, 'boom')).toBeNull();
  });
});

describe('classifyMergeRefusal', () => {
  it('reads each 405 message of Gitea merge handler', () => {
    expect(classifyMergeRefusal('')).toEqual({ kind: 'no_reason' });
    expect(classifyMergeRefusal('Please try again later')).toEqual({ kind: 'try_later' });
    expect(classifyMergeRefusal('Not all required status checks successful')).toEqual({
      kind: 'not_ready',
      reason: 'Not all required status checks successful',
    });
    expect(
      classifyMergeRefusal('not allowed to merge [reason: Does not have enough approvals]'),
    ).toEqual({ kind: 'not_ready', reason: 'Does not have enough approvals' });
    expect(classifyMergeRefusal('Work in progress PRs cannot be merged')).toMatchObject({
      kind: 'not_ready',
    });
    expect(
      classifyMergeRefusal('merge is not allowed an allowed merge style for this repository'),
    ).toMatchObject({ kind: 'style_not_allowed' });
    expect(classifyMergeRefusal('User not allowed to merge PR')).toEqual({
      kind: 'forbidden',
      reason: 'User not allowed to merge PR',
    });
  });
});

describe('allowedMergeStyle', () => {
  it('prefers the default style when allowed, never the refused one, null when none is', () => {
    const repo = {
      allow_merge_commits: false,
      allow_rebase: true,
      allow_squash_merge: true,
      default_merge_style: 'squash',
    };
    expect(allowedMergeStyle(repo, 'merge')).toBe('squash');
    expect(allowedMergeStyle({ ...repo, default_merge_style: 'merge' }, 'merge')).toBe('rebase');
    expect(allowedMergeStyle({ allow_merge_commits: true }, 'merge')).toBeNull();
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
});

describe('pullReviewOf', () => {
  const review = (o: Record<string, unknown>) => ({
    id: 7,
    body: 'Rename the flag',
    state: 'REQUEST_CHANGES',
    dismissed: false,
    user: { id: 3, login: 'Ann' },
    submitted_at: '2026-01-02T03:04:05Z',
    ...o,
  });

  it("maps submitted verdicts, the reviewer and the time; Orch's own reviews are marked", () => {
    expect(pullReviewOf(review({}))).toEqual({
      id: '7',
      verdict: 'rejected',
      body: 'Rename the flag',
      author: 'Ann',
      submittedAtMs: Date.UTC(2026, 0, 2, 3, 4, 5),
      byOrch: false,
    });
    expect(pullReviewOf(review({ state: 'APPROVED' }))?.verdict).toBe('approved');
    expect(pullReviewOf(review({ state: 'COMMENT' }))?.verdict).toBe('comment');
    expect(pullReviewOf(review({}), 'ann')?.byOrch).toBe(true);
  });

  it('drops drafts, review requests, dismissed reviews and junk', () => {
    expect(pullReviewOf(review({ state: 'PENDING' }))).toBeNull();
    expect(pullReviewOf(review({ state: 'REQUEST_REVIEW' }))).toBeNull();
    expect(pullReviewOf(review({ dismissed: true }))).toBeNull();
    expect(pullReviewOf(review({ id: 'x' }))).toBeNull();
    expect(pullReviewOf('nope')).toBeNull();
  });
});
