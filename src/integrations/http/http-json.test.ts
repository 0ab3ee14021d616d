import { describe, expect, it } from 'vitest';
import { integrationError, integrationRetry } from './integration-error.js';
import { rateLimitWaitMs } from './http-json.js';

const NOW = Date.UTC(2026, 0, 1);

describe('rateLimitWaitMs', () => {
  it('prefers Retry-After seconds', () => {
    expect(
      rateLimitWaitMs(new Headers({ 'retry-after': '3', 'x-ratelimit-reset': '999' }), NOW),
    ).toBe(3000);
  });

  it('reads X-RateLimit-Reset as epoch seconds (Plane), epoch ms, or seconds from now', () => {
    const epochS = String(NOW / 1000 + 7);
    expect(rateLimitWaitMs(new Headers({ 'x-ratelimit-reset': epochS }), NOW)).toBe(7000);
    expect(rateLimitWaitMs(new Headers({ 'x-ratelimit-reset': String(NOW + 1500) }), NOW)).toBe(
      1500,
    );
    expect(rateLimitWaitMs(new Headers({ 'x-ratelimit-reset': '2' }), NOW)).toBe(2000);
    expect(rateLimitWaitMs(new Headers({ 'x-ratelimit-reset': String(NOW / 1000 - 5) }), NOW)).toBe(
      0,
    );
  });

  it('returns null without usable headers', () => {
    expect(rateLimitWaitMs(new Headers({ 'retry-after': 'soon' }), NOW)).toBeNull();
    expect(rateLimitWaitMs(new Headers(), NOW)).toBeNull();
  });
});

describe('integrationRetry', () => {
  it('reads the retry classification back from an error', () => {
    const err = integrationError('TRACKER_RATE_LIMITED', 'x', { retryable: true, retryAfterMs: 5 });
    expect(integrationRetry(err)).toEqual({ retryable: true, retryAfterMs: 5 });
    expect(integrationRetry(new Error('x'))).toEqual({ retryable: false, retryAfterMs: null });
  });
});
