import { describe, expect, it } from 'vitest';
import { decideFailure } from './failure-policy.js';

const policy = { baseMs: 10_000, capMs: 600_000, transientBudget: 5 };
const NOW = 1_000_000;

describe('decideFailure', () => {
  it('requeues a permanent failure at once while attempts remain', () => {
    expect(
      decideFailure(
        { attempts: 1, maxAttempts: 2, transientAttempts: 0 },
        { kind: 'permanent' },
        policy,
        NOW,
      ),
    ).toEqual({
      next: 'queued',
      availableAtMs: NOW,
      attempts: 1,
      transientAttempts: 0,
    });
  });

  it('fails a permanent failure on the last attempt', () => {
    expect(
      decideFailure(
        { attempts: 2, maxAttempts: 2, transientAttempts: 3 },
        { kind: 'permanent' },
        policy,
        NOW,
      ),
    ).toEqual({
      next: 'failed',
      attempts: 2,
      transientAttempts: 3,
    });
  });

  it('fails a final failure for good while attempts remain', () => {
    expect(
      decideFailure(
        { attempts: 1, maxAttempts: 3, transientAttempts: 0 },
        { kind: 'permanent', final: true },
        policy,
        NOW,
      ),
    ).toEqual({ next: 'failed', attempts: 1, transientAttempts: 0 });
  });

  it('gives the attempt back on a transient failure and backs off on the transient budget', () => {
    expect(
      decideFailure(
        { attempts: 2, maxAttempts: 2, transientAttempts: 0 },
        { kind: 'transient' },
        policy,
        NOW,
      ),
    ).toEqual({
      next: 'queued',
      availableAtMs: NOW + 20_000,
      attempts: 1,
      transientAttempts: 1,
    });
  });

  it('takes Retry-After as the floor of the backoff', () => {
    const d = decideFailure(
      { attempts: 1, maxAttempts: 2, transientAttempts: 0 },
      { kind: 'transient', retryAfterMs: 30_000 },
      policy,
      NOW,
    );
    expect(d).toMatchObject({ next: 'queued', availableAtMs: NOW + 30_000 });
  });

  it('fails once the transient budget is spent', () => {
    expect(
      decideFailure(
        { attempts: 1, maxAttempts: 2, transientAttempts: 5 },
        { kind: 'transient' },
        policy,
        NOW,
      ),
    ).toEqual({
      next: 'failed',
      attempts: 1,
      transientAttempts: 6,
    });
  });
});
