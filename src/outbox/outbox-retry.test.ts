import { describe, expect, it } from 'vitest';
import { OrchError } from '../errors.js';
import { integrationError } from '../integrations/http/integration-error.js';
import { outboxFailure, type OutboxRetryPolicy } from './outbox-retry.js';

const policy: OutboxRetryPolicy = { maxAttempts: 4, baseMs: 1000, capMs: 10_000 };

describe('outboxFailure', () => {
  it('backs off exponentially from the base for a retryable integration error', () => {
    const err = integrationError('TRACKER_UNAVAILABLE', 'down', { retryable: true, status: 503 });
    expect(outboxFailure(err, 0, policy)).toEqual({ kind: 'retry', delayMs: 1000 });
    expect(outboxFailure(err, 1, policy)).toEqual({ kind: 'retry', delayMs: 2000 });
    expect(outboxFailure(err, 2, policy)).toEqual({ kind: 'retry', delayMs: 4000 });
  });

  it('waits at least the Retry-After the server asked for, capped', () => {
    const limited = integrationError('RATE', 'slow down', { retryable: true, retryAfterMs: 7000 });
    expect(outboxFailure(limited, 0, policy)).toEqual({ kind: 'retry', delayMs: 7000 });
    const huge = integrationError('RATE', 'slow down', { retryable: true, retryAfterMs: 99_000 });
    expect(outboxFailure(huge, 0, policy)).toEqual({ kind: 'retry', delayMs: 10_000 });
  });

  it('retries an unclassified error like a transient one', () => {
    expect(outboxFailure(new Error('SQLITE_BUSY'), 0, policy)).toEqual({
      kind: 'retry',
      delayMs: 1000,
    });
    expect(outboxFailure(new OrchError('X', 'no details'), 1, policy).kind).toBe('retry');
  });

  it('is dead at once when the integration says a retry cannot succeed', () => {
    const err = integrationError('TRACKER_REJECTED', 'gone', { retryable: false, status: 404 });
    expect(outboxFailure(err, 0, policy)).toEqual({ kind: 'dead', why: 'permanent' });
  });

  it('is dead after maxAttempts failures', () => {
    const err = new Error('down');
    expect(outboxFailure(err, 2, policy).kind).toBe('retry');
    expect(outboxFailure(err, 3, policy)).toEqual({ kind: 'dead', why: 'attempts_exhausted' });
  });
});
