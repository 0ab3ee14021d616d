import { resolve } from 'node:path';
import type { RetryPolicy } from '../queue/failure-policy.js';
import { parseEnv, type OrchEnv } from './env.js';

/** The frozen runtime configuration every component receives (built once in `loadConfig`). */
export interface Config {
  readonly env: Readonly<OrchEnv>;
  readonly dbUrl: string;
  readonly dataDir: string;
  readonly queue: Readonly<{
    maxConcurrency: number;
    pollIntervalMs: number;
    leaseMs: number;
    defaultMaxAttempts: number;
    retry: Readonly<RetryPolicy>;
  }>;
}

export interface ConfigOverrides {
  dbUrl?: string | undefined;
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

export function loadConfig(
  env: Record<string, string | undefined> = process.env,
  overrides: ConfigOverrides = {},
): Config {
  const e = parseEnv(env);
  return deepFreeze({
    env: e,
    dbUrl: overrides.dbUrl ?? e.ORCH_DB_URL,
    dataDir: resolve(e.ORCH_DATA_DIR),
    queue: {
      maxConcurrency: e.ORCH_MAX_CONCURRENCY,
      pollIntervalMs: e.ORCH_QUEUE_POLL_INTERVAL_MS,
      leaseMs: e.ORCH_LEASE_SECONDS * 1000,
      defaultMaxAttempts: e.ORCH_MAX_ATTEMPTS,
      retry: {
        baseMs: e.ORCH_BACKOFF_BASE_SECONDS * 1000,
        capMs: e.ORCH_BACKOFF_MAX_SECONDS * 1000,
        transientBudget: e.ORCH_TRANSIENT_MAX_ATTEMPTS,
      },
    },
  });
}
