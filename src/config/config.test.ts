import { describe, expect, it } from 'vitest';
import { isOrchError } from '../errors.js';
import { loadConfig } from './config.js';

describe('loadConfig', () => {
  it('applies the reference defaults with an empty environment', () => {
    const c = loadConfig({});
    expect(c.dbUrl).toBe('sqlite:./.orch/orch.db');
    expect(c.queue).toEqual({
      maxConcurrency: 1,
      pollIntervalMs: 2_000,
      leaseMs: 60_000,
      defaultMaxAttempts: 2,
      retry: { baseMs: 10_000, capMs: 600_000, transientBudget: 5 },
    });
  });

  it('reads ORCH_* variables and lets an explicit override win', () => {
    const c = loadConfig(
      {
        ORCH_DB_URL: 'postgres://x@h/db',
        ORCH_MAX_CONCURRENCY: '4',
        ORCH_BACKOFF_BASE_SECONDS: '2',
      },
      { dbUrl: 'sqlite:/tmp/o.db' },
    );
    expect(c.dbUrl).toBe('sqlite:/tmp/o.db');
    expect(c.queue.maxConcurrency).toBe(4);
    expect(c.queue.retry.baseMs).toBe(2_000);
  });

  it('is frozen', () => {
    const c = loadConfig({});
    expect(Object.isFrozen(c)).toBe(true);
    expect(Object.isFrozen(c.queue.retry)).toBe(true);
  });

  it('rejects a malformed value with CONFIG_INVALID', () => {
    let err: unknown;
    try {
      loadConfig({ ORCH_MAX_CONCURRENCY: 'many' });
    } catch (e) {
      err = e;
    }
    expect(isOrchError(err, 'CONFIG_INVALID')).toBe(true);
  });
});
