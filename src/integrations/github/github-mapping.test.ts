import { describe, expect, it } from 'vitest';
import { blockedByOf, commentMarker } from './github-labels.js';
import {
  classifyMergeRefusal,
  combinedOf,
  mergeMethodOf,
  pullRequestOf,
} from './github-mapping.js';
import { lowQuota, rateLimitHit } from './github-rate-limit.js';

describe('classifyMergeRefusal', () => {
  const open = (mergeable: boolean | null, mergeable_state: string) => ({
    state: 'open',
    merged: false,
    mergeable,
    mergeable_state,
  });
  const msg = 'Pull Request is not mergeable';

  it.each([
    [open(null, 'unknown'), msg, 'not_mergeable'],
    [open(false, 'dirty'), msg, 'conflict'],
    [open(true, 'blocked'), msg, 'blocked'],
    [open(true, 'behind'), msg, 'not_ready'],
    [open(true, 'draft'), msg, 'not_ready'],
    [
      open(true, 'clean'),
      'Merge commits are not allowed on this repository.',
      'method_not_allowed',
    ],
    [
      open(true, 'clean'),
      'At least 1 approving review is required by reviewers with write access.',
      'blocked',
    ],
    [
      open(true, 'clean'),
      'Base branch was modified. Review and try the merge again.',
      'not_mergeable',
    ],
    [open(true, 'clean'), 'Something else', 'forbidden'],
    [{ ...open(true, 'clean'), merged: true, state: 'closed' }, msg, 'already_merged'],
    [{ ...open(true, 'clean'), state: 'closed' }, msg, 'forbidden'],
  ])('%j + %s → %s', (pr, message, kind) => {
    expect(classifyMergeRefusal(pr, message).kind).toBe(kind);
  });
});

describe('pure GitHub mapping', () => {
  it('merge method: configured if allowed, else merge > squash > rebase', () => {
    const all = { allow_merge_commit: true, allow_squash_merge: true, allow_rebase_merge: true };
    expect(mergeMethodOf(all)).toBe('merge');
    expect(mergeMethodOf(all, 'rebase')).toBe('rebase');
    expect(mergeMethodOf({ ...all, allow_merge_commit: false })).toBe('squash');
    expect(mergeMethodOf({ ...all, allow_rebase_merge: false }, 'rebase')).toBe('merge');
    expect(mergeMethodOf(all, undefined, 'merge')).toBe('squash');
    expect(
      mergeMethodOf({
        allow_merge_commit: false,
        allow_squash_merge: false,
        allow_rebase_merge: false,
      }),
    ).toBeNull();
  });

  it('combined: statuses and check runs, none when neither', () => {
    const st = (state: string, n = 1) => ({ state, total_count: n });
    const run = (status: string, conclusion: string | null) => ({ status, conclusion });
    expect(combinedOf(st('pending', 0), [])).toBe('none');
    expect(combinedOf(st('success'), [run('completed', 'neutral')])).toBe('success');
    expect(combinedOf(st('success'), [run('in_progress', null)])).toBe('pending');
    expect(combinedOf(st('pending', 0), [run('completed', 'timed_out')])).toBe('failure');
    expect(combinedOf(st('failure'), [run('completed', 'success')])).toBe('failure');
    expect(combinedOf(null, [run('completed', 'success')])).toBe('success');
  });

  it('a listed PR without `merged` is merged when it has merged_at', () => {
    expect(
      pullRequestOf({ number: 3, state: 'closed', merged_at: '2026-01-01T00:00:00Z' })?.merged,
    ).toBe(true);
  });

  it('rate limits: primary, secondary, plain 403', () => {
    const h = (o: Record<string, string>) => new Headers(o);
    const now = 1_000_000_000_000;
    expect(
      rateLimitHit(
        403,
        h({ 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(now / 1000 + 10) }),
        '',
        now,
      ),
    ).toEqual({ waitMs: 11_000, secondary: false });
    expect(rateLimitHit(429, h({ 'retry-after': '30' }), '', now)).toEqual({
      waitMs: 30_000,
      secondary: true,
    });
    expect(
      rateLimitHit(403, h({}), 'You have exceeded a secondary rate limit', now)?.secondary,
    ).toBe(true);
    expect(
      rateLimitHit(403, h({ 'x-ratelimit-remaining': '12' }), 'Resource not accessible', now),
    ).toBeNull();
    expect(rateLimitHit(200, h({ 'x-ratelimit-remaining': '0' }), '', now)).toBeNull();
    expect(
      lowQuota(h({ 'x-ratelimit-remaining': '249', 'x-ratelimit-limit': '5000' })),
    ).not.toBeNull();
    expect(lowQuota(h({ 'x-ratelimit-remaining': '250', 'x-ratelimit-limit': '5000' }))).toBeNull();
  });

  it('labels helpers: blocked-by lines and safe markers', () => {
    expect(blockedByOf('Blocked by #3 and #5\nnot #6\n- blocked by: #3, (#8)')).toEqual([
      '3',
      '5',
      '8',
    ]);
    expect(commentMarker('a--b>c')).toBe('<!-- orch:a-bc -->');
  });
});
