import { z } from 'zod';
import { OrchError } from '../errors.js';
import { LOG_FORMATS } from '../log.js';
import { closestName } from './closest-name.js';

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
  /** Log lines: `pretty` (for people), `json` (JSON lines) or `auto` (pretty on a TTY). */
  ORCH_LOG_FORMAT: z.enum(LOG_FORMATS).default('auto'),
  ORCH_HOST: z.string().default('127.0.0.1'),
  ORCH_PORT: int(8500, 0),
  ORCH_ADMIN_TOKEN: z.string().optional(),
  /** Read-only token for the dashboard and read API (docs/http-api.md "Authentication"). */
  ORCH_VIEWER_TOKEN: z.string().min(16).optional(),
  /** Anonymous reads of the public subset (no tenant data, log text or gate evidence). */
  ORCH_PUBLIC_READ: bool(false),
  /** CSV of host names the Host/Origin headers may name; `*` = any. Default: bind + loopback. */
  ORCH_ALLOWED_HOSTS: z.string().default(''),
  ORCH_MAX_CONCURRENCY: int(1, 1),
  /** Webhook deliveries handled at once (1: in delivery order). */
  ORCH_WEBHOOK_CONCURRENCY: int(1, 1),
  /** Pipeline rechecks (security gate, merge re-test…) run at once, off the webhook path. */
  ORCH_RECHECK_CONCURRENCY: int(2, 1),
  ORCH_QUEUE_POLL_INTERVAL_MS: int(2000, 10),
  ORCH_LEASE_SECONDS: int(60, 1),
  ORCH_MAX_ATTEMPTS: int(2, 1),
  ORCH_BACKOFF_BASE_SECONDS: int(10, 0),
  ORCH_BACKOFF_MAX_SECONDS: int(600, 0),
  ORCH_TRANSIENT_MAX_ATTEMPTS: int(5, 0),
  ORCH_BREAKER_THRESHOLD: int(3, 1),
  ORCH_BREAKER_PAUSE_SECONDS: int(300, 0),
  ORCH_PREFLIGHT_CACHE_TTL: int(45, 0),
  ORCH_PREFLIGHT_GRACE_SECONDS: int(120, 0),
  ORCH_AGENT_TIMEOUT_SECONDS: int(1800, 1),
  ORCH_AGENT_IDLE_TIMEOUT_SECONDS: int(600, 1),
  ORCH_AGENT_KILL_GRACE_SECONDS: int(20, 0),
  ORCH_AGENT_EXIT_GRACE_SECONDS: int(30, 0),
  ORCH_AGENT_TIMEOUT_OVERRIDES_JSON: z.string().default(''),
  ORCH_REPOS_DIR: z.string().optional(),
  ORCH_WORKTREES_DIR: z.string().optional(),
  // Recovery (docs/config.md "## Recovery"; src/recovery/).
  ORCH_REAPER_ENABLED: bool(true),
  ORCH_REAPER_INTERVAL_S: int(60, 1),
  /** Tier-1 consecutive dead-pid ticks; values below 1 count as 1. */
  ORCH_REAPER_DEAD_TICKS: int(2, 0),
  ORCH_REAPER_MAX_RUNNING_S: int(3600, 1),
  ORCH_REAPER_FINALIZE_GRACE_S: int(300, 0),
  ORCH_LEASE_RECLAIM_ENABLED: bool(true),
  /** Merge-lease TTL. */
  ORCH_MERGE_LOCK_TIMEOUT_S: int(300, 1),
  /** Merge lease busy: re-check after this long, at most ORCH_MERGE_DEFER_MAX_ATTEMPTS times. */
  ORCH_MERGE_DEFER_DELAY_S: int(30, 1),
  ORCH_MERGE_DEFER_MAX_ATTEMPTS: int(10, 1),
  /** Self-deploy (ORCH-036): a running host hook is looked at again after this long. */
  ORCH_SELF_DEPLOY_POLL_S: int(5, 1),
  ORCH_RECONCILE_ENABLED: bool(true),
  /** Outbox delivery kill-switch: false → side effects wait in the outbox, nothing is sent. */
  ORCH_OUTBOX_ENABLED: bool(true),
  /** Failed deliveries of one side effect before it is marked dead. */
  ORCH_OUTBOX_MAX_ATTEMPTS: int(10, 1),
  /** The lessons journal (GET/POST /lessons); false → reads empty, writes ignored. */
  /** A tracker comment after every agent run of an item: tokens, cost, time, the item's total. */
  ORCH_USAGE_COMMENTS_ENABLED: bool(true),
  ORCH_LESSONS_ENABLED: bool(true),
  /** Automatic lessons of one type for one item and stage: at most one per this window. */
  ORCH_LESSONS_DEDUP_WINDOW_S: int(3600, 0),
  /** `GET /lessons` without `limit` returns this many (at most 500 with `limit`). */
  ORCH_LESSONS_QUERY_LIMIT: int(50, 1),
  /** Label auto-mode: tracker labels choose the track and may auto-approve analysis. */
  ORCH_AUTO_LABELS_ENABLED: bool(true),
  /** CSV of repositories label auto-mode applies to; empty = every repository. */
  ORCH_AUTO_LABELS_REPOS: z.string().default(''),
  /**
   * Serial gate per repository and repository freezes (ORCH-088); false = items pass analysis
   * whatever their project's `serial` and any freeze say, and waiting items start.
   */
  ORCH_SERIAL_GATE_ENABLED: bool(true),
  /** Task dependencies (ORCH-026): an item waits after analysis until its dependencies are done. */
  ORCH_TASK_DEPS_ENABLED: bool(true),
  /** Coverage gate (ORCH-027) for projects that name a report; false = coverage is not checked. */
  ORCH_COVERAGE_ENABLED: bool(true),
  /**
   * Staging provenance (ORCH-058) for projects with `deploy.staging.provenance`: before the merge,
   * staging must run the head about to be merged; false = not checked.
   */
  ORCH_STAGING_PROVENANCE_ENABLED: bool(true),
  /** Post-deploy monitor (ORCH-021) for projects with `postDeploy`; false = no window is started. */
  ORCH_POST_DEPLOY_ENABLED: bool(true),
  /** STOP from the tracker (an approver's `STOP` comment cancels the item); false = ignored. */
  ORCH_STOP_ENABLED: bool(true),
  /** CSV of repositories STOP applies to; empty = every repository. */
  ORCH_STOP_REPOS: z.string().default(''),
  ORCH_RECONCILE_INTERVAL_S: int(60, 1),
  ORCH_RECONCILE_GRACE_S: int(300, 0),
  /** JSON object stage → grace seconds, e.g. {"deploy":900}. */
  ORCH_RECONCILE_GRACE_OVERRIDES_JSON: z.string().default(''),
  /** Reconciler: take in tracker items of watched projects whose "created" webhook was lost. */
  ORCH_RECONCILE_INTAKE_ENABLED: bool(true),
  /** …only items created at most this long ago (and at least ORCH_RECONCILE_GRACE_S ago). */
  ORCH_RECONCILE_INTAKE_LOOKBACK_S: int(86400, 1),
  /** Reconciler: poll the forge for PR reviews of items from review on (lost review webhooks). */
  ORCH_RECONCILE_REVIEWS_ENABLED: bool(true),
  /** Gitea `status` webhooks re-evaluate an item waiting on check_ci_green; false = ignored. */
  ORCH_CI_STATUS_EVENTS_ENABLED: bool(true),
  ORCH_ORPHAN_RUN_WINDOW_MINUTES: int(35, 1),
  ORCH_LOG_KEEP_DAYS: int(14, 0),
  ORCH_LOG_KEEP_MAX: int(1000, 0),
  /** Disk watchdog (ORCH-063): alert when a watched file system is this full. */
  ORCH_DISK_MONITOR_ENABLED: bool(true),
  /** CSV of paths to watch; empty = the data, repos and worktrees directories. */
  ORCH_DISK_MONITOR_PATHS: z.string().default(''),
  ORCH_DISK_ALERT_PERCENT: int(90, 1),
  ORCH_DISK_MONITOR_INTERVAL_S: int(300, 1),
  /** Ownership check at start-up (ORCH-057): report files Orch's user does not own. */
  ORCH_FS_OWNERSHIP_CHECK: bool(true),
  /** Worktree garbage collection: remove the worktrees of done/cancelled items after a retention. */
  ORCH_WORKTREE_GC_ENABLED: bool(true),
  ORCH_WORKTREE_RETENTION_S: int(86_400, 0),
  ORCH_WORKTREE_GC_INTERVAL_S: int(3600, 1),
  /** Finished jobs older than this move from jobs to job_history (still listed); 0 = never. */
  ORCH_JOB_HISTORY_AFTER_S: int(600, 0),
  /** How often each project's `.orch/workflow.md` is re-read from its base branch (issue 18). */
  ORCH_WORKFLOW_REFRESH_MS: int(5000, 100),
  // Integrations (docs/config.md "## Integrations"). Unset URL/token = integration disabled.
  ORCH_PLANE_URL: z.url().optional(),
  ORCH_PLANE_API_TOKEN: z.string().optional(),
  ORCH_PLANE_WEBHOOK_SECRET: z.string().optional(),
  ORCH_PLANE_BOT_USER_ID: z.string().optional(),
  ORCH_GITEA_URL: z.url().optional(),
  ORCH_GITEA_TOKEN: z.string().optional(),
  /** Git base URL for clone/push when it differs from ORCH_GITEA_URL (e.g. ssh://git@gitea:2222). */
  ORCH_GITEA_GIT_URL: z.string().optional(),
  ORCH_GITEA_WEBHOOK_SECRET: z.string().optional(),
  ORCH_GITEA_BOT_USERNAME: z.string().optional(),
  // GitHub (docs/integrations.md "GitHub"): a token, or a GitHub App's id + private key.
  ORCH_GITHUB_TOKEN: z.string().optional(),
  ORCH_GITHUB_APP_ID: z.string().optional(),
  /** The App's private key (PEM; `\n` escapes are accepted for one-line env files). */
  ORCH_GITHUB_APP_PRIVATE_KEY: z.string().optional(),
  /** A file holding the App's private key, read at start-up (instead of the variable above). */
  ORCH_GITHUB_APP_PRIVATE_KEY_FILE: z.string().optional(),
  /** The App installation; absent = looked up from each repository. */
  ORCH_GITHUB_APP_INSTALLATION_ID: z.string().optional(),
  /** REST API base: `https://<host>/api/v3` for GitHub Enterprise Server. */
  ORCH_GITHUB_API_URL: z.url().default('https://api.github.com'),
  ORCH_GITHUB_WEBHOOK_SECRET: z.string().optional(),
  /** Git base URL for clone/push instead of https://<host>/<owner>/<name>.git (e.g. ssh://…). */
  ORCH_GITHUB_GIT_URL: z.string().optional(),
  /** Orch's own GitHub login (or the App's slug): its events are never acted upon. */
  ORCH_GITHUB_BOT_LOGIN: z.string().optional(),
  ORCH_TELEGRAM_BOT_TOKEN: z.string().optional(),
  ORCH_TELEGRAM_CHAT_ID: z.string().optional(),
  ORCH_TELEGRAM_API_URL: z.url().default('https://api.telegram.org'),
  // Security gate (docs/config.md "## Security gate"; src/gates/security/config.ts).
  ORCH_SECURITY_GATE_ENABLED: bool(true),
  /** CSV of repos the gate runs for; empty = every repo (the reference meant self-hosting only). */
  ORCH_SECURITY_GATE_REPOS: z.string().default(''),
  ORCH_SECURITY_DEP_BLOCK_SEVERITY: z
    .string()
    .transform((s) => s.trim().toUpperCase())
    .pipe(z.enum(['LOW', 'MEDIUM', 'MODERATE', 'HIGH', 'CRITICAL']))
    .default('HIGH'),
  ORCH_SECURITY_SCAN_TIMEOUT_S: int(300, 1),
  ORCH_SECURITY_DEP_AUDIT_FAIL_CLOSED: bool(false),
  ORCH_SECURITY_SECRETS_BLOCK: bool(true),
  ORCH_SECURITY_DEP_BASELINE: bool(true),
  ORCH_SECURITY_SECRET_SCANNER: z.enum(['auto', 'gitleaks', 'builtin']).default('auto'),
  /** JSON object auditor → argv (or null to disable), e.g. {"npm":["npm","audit","--json"]}. */
  ORCH_SECURITY_AUDIT_COMMANDS_JSON: z.string().default(''),
});

export type OrchEnv = z.infer<typeof envSchema>;

/**
 * `ORCH_*` names that are not settings: what Orch sets for the processes it starts (agents, remote
 * jobs, the self-deploy hook, the scripted agent's knobs) and the test suite's and benchmarks'
 * own. An orch run inside an agent sees them; they are never reported as unknown.
 */
const NOT_SETTINGS = [
  /^ORCH_(JOB_ID|JOB_KIND|JOB_PAYLOAD|RUN_ID|ATTEMPT|ROLE|TASK_FILE|WORKTREE|ARTIFACTS_DIR)$/,
  /^ORCH_(WORK_ITEM|DEPLOY_SHA|SELF_DEPLOY_ID)$/,
  /^ORCH_(SIM|TEST|BENCH)_/,
];

/**
 * The `ORCH_*` variables set in `env` that Orch does not read (a typo such as `ORCH_DB_ULR`), each
 * with the nearest setting's name. Pure; the CLI warns about them at start-up (an error would stop
 * an orch run inside an agent, whose environment has Orch's per-run variables).
 */
export function unknownEnvVars(
  env: Record<string, string | undefined>,
): { name: string; closest: string }[] {
  const known = Object.keys(envSchema.shape);
  return Object.keys(env)
    .filter((k) => k.startsWith('ORCH_') && !(k in envSchema.shape))
    .filter((k) => !NOT_SETTINGS.some((re) => re.test(k)))
    .sort()
    .map((name) => ({ name, closest: closestName(name, known) ?? 'ORCH_DB_URL' }));
}

/**
 * Parses the environment once; unknown keys are ignored (`unknownEnvVars` names them), bad values
 * are a startup error.
 */
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
