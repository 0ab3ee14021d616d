import { z } from 'zod';
import { OrchError } from '../errors.js';

const int = (def: number, min = 0) => z.coerce.number().int().min(min).default(def);
const bool = (def: boolean) =>
  z
    .enum(['true', 'false', '1', '0', 'yes', 'no', 'on', 'off'])
    .default(def ? 'true' : 'false')
    .transform((v) => ['true', '1', 'yes', 'on'].includes(v));

/**
 * Every `ORCH_*` environment variable Orch reads, with its default (reference defaults from
 * spec §6). `process.env` is read only here. Documented in docs/config.md.
 */
export const envSchema = z.object({
  ORCH_DB_URL: z.string().min(1).default('sqlite:./.orch/orch.db'),
  ORCH_DATA_DIR: z.string().min(1).default('./.orch'),
  ORCH_CONFIG: z.string().optional(),
  ORCH_LOG_LEVEL: z
    .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
    .default('info'),
  ORCH_HOST: z.string().default('127.0.0.1'),
  ORCH_PORT: int(8500, 0),
  ORCH_ADMIN_TOKEN: z.string().optional(),
  ORCH_MAX_CONCURRENCY: int(1, 1),
  ORCH_QUEUE_POLL_INTERVAL_MS: int(2000, 10),
  ORCH_LEASE_SECONDS: int(60, 1),
  ORCH_MAX_ATTEMPTS: int(2, 1),
  ORCH_BACKOFF_BASE_SECONDS: int(10, 0),
  ORCH_BACKOFF_MAX_SECONDS: int(600, 0),
  ORCH_TRANSIENT_MAX_ATTEMPTS: int(5, 0),
  ORCH_BREAKER_THRESHOLD: int(3, 1),
  ORCH_BREAKER_PAUSE_SECONDS: int(300, 0),
  ORCH_PREFLIGHT_CACHE_TTL: int(45, 0),
  ORCH_AGENT_TIMEOUT_SECONDS: int(1800, 1),
  ORCH_AGENT_IDLE_TIMEOUT_SECONDS: int(600, 1),
  ORCH_AGENT_KILL_GRACE_SECONDS: int(20, 0),
  ORCH_AGENT_EXIT_GRACE_SECONDS: int(30, 0),
  ORCH_AGENT_TIMEOUT_OVERRIDES_JSON: z.string().default(''),
  ORCH_REPOS_DIR: z.string().optional(),
  ORCH_WORKTREES_DIR: z.string().optional(),
  ORCH_REAPER_ENABLED: bool(true),
  ORCH_RECONCILE_ENABLED: bool(true),
  ORCH_LEASE_RECLAIM_ENABLED: bool(true),
});

export type OrchEnv = z.infer<typeof envSchema>;

/** Parses the environment once; unknown keys are ignored, bad values are a startup error. */
export function parseEnv(env: Record<string, string | undefined>): Readonly<OrchEnv> {
  const picked = Object.fromEntries(
    Object.entries(env).filter(([k, v]) => k.startsWith('ORCH_') && v !== undefined && v !== ''),
  );
  const parsed = envSchema.safeParse(picked);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new OrchError('CONFIG_INVALID', `invalid environment: ${issues}`);
  }
  return Object.freeze(parsed.data);
}
