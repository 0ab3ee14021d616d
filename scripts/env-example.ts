// Writes .env.example from the env schema (src/config/env.ts): every variable Orch reads, with its
// default and a one-line comment, grouped. Run `npm run env:example` after adding a variable;
// test/config/env-example.test.ts fails until the file lists it with the schema's default.
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { z } from 'zod';
import { envSchema } from '../src/config/env.js';

export const ENV_EXAMPLE_FILE = fileURLToPath(new URL('../.env.example', import.meta.url));
const CONFIG_DOC = fileURLToPath(new URL('../docs/config.md', import.meta.url));
const ENV_SOURCE = fileURLToPath(new URL('../src/config/env.ts', import.meta.url));

interface Group {
  readonly title: string;
  /** Shown under the title. */
  readonly note?: string;
  /** Variables outside the schema (value shown empty): read elsewhere, or not by Orch at all. */
  readonly outsideSchema?: boolean;
  /** name → one-line description. */
  readonly vars: Readonly<Record<string, string>>;
}

const GROUPS: readonly Group[] = [
  {
    title: 'Core',
    vars: {
      ORCH_DB_URL:
        'The store: sqlite:<path> (one host) or postgres://user:<password>@host:5432/db.',
      ORCH_DATA_DIR:
        'Run logs, the local forge, self-deploy records; clones and worktrees by default.',
      ORCH_CONFIG:
        'orch.config.yaml to load (agents, projects); --config wins. Unset: ./orch.config.yaml if present.',
      ORCH_REPOS_DIR: 'Clones of project repositories. Unset: <data dir>/repos.',
      ORCH_WORKTREES_DIR: 'One git worktree per task branch. Unset: <data dir>/worktrees.',
      ORCH_LOG_LEVEL:
        'pino level: fatal, error, warn, info, debug, trace or silent (logs go to stderr).',
      ORCH_LOG_FORMAT:
        'pretty (for people), json (JSON lines) or auto (pretty when stderr is a TTY).',
      ORCH_HOST: 'Address `orch serve` binds (0.0.0.0 in a container).',
      ORCH_PORT: 'HTTP port of `orch serve` (0 picks a free one).',
    },
  },
  {
    title: 'Access',
    note: 'docs/operations.md "Access and the auth model". Secrets: keep this file private.',
    vars: {
      ORCH_ADMIN_TOKEN:
        'Secret. Bearer token for every read and write; unset disables admin routes.',
      ORCH_VIEWER_TOKEN:
        'Secret. Read-only token (at least 16 characters) for the API and dashboard.',
      ORCH_PUBLIC_READ: 'true: anonymous reads get the public subset instead of 401.',
      ORCH_ALLOWED_HOSTS:
        'CSV of names the Host/Origin headers may carry; * = any. Empty: bind address + loopback.',
    },
  },
  {
    title: 'Queue',
    vars: {
      ORCH_MAX_CONCURRENCY: 'Agent jobs one `orch serve` runs at once.',
      ORCH_WEBHOOK_CONCURRENCY: 'Webhook deliveries handled at once (1: in delivery order).',
      ORCH_RECHECK_CONCURRENCY:
        'Pipeline rechecks (security gate, merge re-test) run at once, in their own pool.',
      ORCH_QUEUE_POLL_INTERVAL_MS: 'Fallback poll when no wake-up hint arrives.',
      ORCH_LEASE_SECONDS: 'Job lease length; holders heartbeat every third of it.',
      ORCH_MAX_ATTEMPTS: 'Attempts for a job that fails permanently.',
      ORCH_TRANSIENT_MAX_ATTEMPTS:
        'Separate budget for transient failures (429, overload, network).',
      ORCH_BACKOFF_BASE_SECONDS: 'Transient backoff: min(2^n * base, max).',
      ORCH_BACKOFF_MAX_SECONDS: 'Cap of the transient backoff.',
      ORCH_BREAKER_THRESHOLD: "Consecutive transient failures that open an agent kind's breaker.",
      ORCH_BREAKER_PAUSE_SECONDS: 'How long an open breaker blocks its kind before one probe job.',
    },
  },
  {
    title: 'Agents',
    note: 'Per-profile settings live in orch.config.yaml (docs/config.md "Agents").',
    vars: {
      ORCH_AGENT_TIMEOUT_SECONDS: 'Default wall-clock limit of an agent run.',
      ORCH_AGENT_TIMEOUT_OVERRIDES_JSON: 'Per-role wall timeouts, e.g. {"reviewer":3600}.',
      ORCH_AGENT_IDLE_TIMEOUT_SECONDS:
        'Kill a run that prints nothing for this long before its result.',
      ORCH_AGENT_EXIT_GRACE_SECONDS:
        'Kill a CLI this long after its final result if it has not exited.',
      ORCH_AGENT_KILL_GRACE_SECONDS: 'SIGTERM -> SIGKILL grace.',
      ORCH_PREFLIGHT_CACHE_TTL:
        'Seconds a preflight result (binary present, flags accepted) is reused.',
      ORCH_PREFLIGHT_GRACE_SECONDS:
        'How long a kind may fail preflight before its items go to Blocked.',
    },
  },
  {
    title: 'Integrations',
    note: 'Unset URL or token = integration off (docs/integrations.md).',
    vars: {
      ORCH_PLANE_URL: 'Plane base URL, e.g. https://plane.example.',
      ORCH_PLANE_API_TOKEN: 'Secret. Plane API key (X-API-Key).',
      ORCH_PLANE_WEBHOOK_SECRET: 'Secret. Plane webhook secret; unset rejects every delivery.',
      ORCH_PLANE_BOT_USER_ID: "Plane user id of the token's user; events it causes are ignored.",
      ORCH_GITEA_URL: 'Gitea base URL, e.g. https://gitea.example.',
      ORCH_GITEA_TOKEN: 'Secret. Gitea access token.',
      ORCH_GITEA_GIT_URL:
        'Clone/push base URL when it differs from ORCH_GITEA_URL, e.g. ssh://git@gitea:2222.',
      ORCH_GITEA_WEBHOOK_SECRET: 'Secret. Gitea webhook secret; unset rejects every delivery.',
      ORCH_GITEA_BOT_USERNAME: "Gitea login of the token's user; events it causes are ignored.",
      ORCH_GITHUB_TOKEN:
        'Secret. GitHub token (fine-grained or classic `repo`); or use the App settings below.',
      ORCH_GITHUB_APP_ID: 'GitHub App id (with its private key, instead of a token).',
      ORCH_GITHUB_APP_PRIVATE_KEY: 'Secret. GitHub App private key (PEM; \\n escapes accepted).',
      ORCH_GITHUB_APP_PRIVATE_KEY_FILE: 'File holding the GitHub App private key (PEM).',
      ORCH_GITHUB_APP_INSTALLATION_ID:
        "GitHub App installation id; unset = found per repository's owner.",
      ORCH_GITHUB_API_URL: 'GitHub REST API; GitHub Enterprise Server: https://<host>/api/v3.',
      ORCH_GITHUB_GIT_URL:
        'Clone/push base URL instead of https://<host>/<owner>/<name>.git, e.g. ssh://git@github.com.',
      ORCH_GITHUB_WEBHOOK_SECRET:
        'Secret. GitHub webhook secret (16+ chars); unset rejects every delivery.',
      ORCH_GITHUB_BOT_LOGIN:
        "Orch's GitHub login, or the App's slug; events it causes are ignored.",
      ORCH_TELEGRAM_BOT_TOKEN: 'Secret. Telegram bot token; notifications need it and the chat id.',
      ORCH_TELEGRAM_CHAT_ID: 'Chat that receives notifications (negative for groups).',
      ORCH_TELEGRAM_API_URL: 'Bot API base URL.',
    },
  },
  {
    title: 'Security gate',
    note: 'Scanners: gitleaks, osv-scanner, pip-audit when on the PATH (docs/config.md "Security gate").',
    vars: {
      ORCH_SECURITY_GATE_ENABLED: 'Kill-switch; false = the gate passes without scanning.',
      ORCH_SECURITY_GATE_REPOS: 'CSV of repositories the gate runs for; empty = every repository.',
      ORCH_SECURITY_DEP_BLOCK_SEVERITY:
        'Advisories at or above this block: LOW, MEDIUM, HIGH or CRITICAL.',
      ORCH_SECURITY_SCAN_TIMEOUT_S: 'Timeout per scanner call.',
      ORCH_SECURITY_DEP_AUDIT_FAIL_CLOSED:
        'true: a degraded audit (feed down, tool missing) fails the gate.',
      ORCH_SECURITY_SECRETS_BLOCK: 'A found secret blocks; false only reports it.',
      ORCH_SECURITY_DEP_BASELINE:
        'Advisories also on the target branch are warnings, not blockers.',
      ORCH_SECURITY_SECRET_SCANNER:
        'auto (gitleaks if on the PATH, else built-in), gitleaks (required) or builtin.',
      ORCH_SECURITY_AUDIT_COMMANDS_JSON:
        'Audit argv per auditor, null disables one, e.g. {"osv-scanner":null}.',
    },
  },
  {
    title: 'Flow control',
    note: 'docs/config.md "Flow control"; docs/pipeline.md.',
    vars: {
      ORCH_AUTO_LABELS_ENABLED: 'Tracker labels choose the track and may auto-approve analysis.',
      ORCH_AUTO_LABELS_REPOS:
        'CSV of repositories label auto-mode applies to; empty = every repository.',
      ORCH_SERIAL_GATE_ENABLED: 'Serial gate per repository and repository freezes.',
      ORCH_TASK_DEPS_ENABLED: 'An item waits after analysis until its dependencies are done.',
      ORCH_COVERAGE_ENABLED: 'Coverage gate for projects that name a report.',
      ORCH_STAGING_PROVENANCE_ENABLED:
        'Staging must run the head about to be merged (deploy.staging.provenance).',
      ORCH_POST_DEPLOY_ENABLED: 'Post-deploy monitor window for projects with postDeploy.',
      ORCH_STOP_ENABLED: "An approver's STOP comment on the tracker cancels the item.",
      ORCH_STOP_REPOS: 'CSV of repositories STOP applies to; empty = every repository.',
      ORCH_USAGE_COMMENTS_ENABLED:
        'Tracker comment after each agent run: tokens, cost, time, running total.',
      ORCH_WORKFLOW_REFRESH_MS:
        "Gap between re-reads of each project's .orch/workflow.md on its base branch.",
    },
  },
  {
    title: 'Recovery',
    note: 'docs/config.md "Recovery"; docs/reliability.md.',
    vars: {
      ORCH_REAPER_ENABLED: 'Job reaper kill-switch (start-up recovery still runs).',
      ORCH_REAPER_INTERVAL_S: 'Gap between reaper ticks.',
      ORCH_REAPER_DEAD_TICKS:
        'Consecutive ticks an agent pid must be seen dead (below 1 counts as 1).',
      ORCH_REAPER_MAX_RUNNING_S: 'Backstop: a job running longer than this is reaped.',
      ORCH_REAPER_FINALIZE_GRACE_S: 'How long a finalizer may run after the agent exited.',
      ORCH_LEASE_RECLAIM_ENABLED: 'Reclaim stale merge leases at start-up and every reaper tick.',
      ORCH_MERGE_LOCK_TIMEOUT_S: 'Merge-lease TTL.',
      ORCH_MERGE_DEFER_DELAY_S: 'Merge lease busy: re-check after this long.',
      ORCH_MERGE_DEFER_MAX_ATTEMPTS: 'Re-checks per stage visit before the item is Blocked.',
      ORCH_SELF_DEPLOY_POLL_S: 'A running self-deploy hook is looked at again after this long.',
      ORCH_RECONCILE_ENABLED: 'Reconciler kill-switch.',
      ORCH_RECONCILE_INTERVAL_S: 'Gap between reconciler ticks.',
      ORCH_RECONCILE_GRACE_S: 'A task must be quiet this long before its gate is re-evaluated.',
      ORCH_RECONCILE_GRACE_OVERRIDES_JSON: 'Per-stage grace in seconds, e.g. {"deploy":900}.',
      ORCH_RECONCILE_INTAKE_ENABLED:
        'Take in tracker items of watched projects whose "created" webhook was lost.',
      ORCH_RECONCILE_INTAKE_LOOKBACK_S: 'Intake looks at items created at most this long ago.',
      ORCH_RECONCILE_REVIEWS_ENABLED: 'Poll the forge for PR reviews whose webhook was lost.',
      ORCH_CI_STATUS_EVENTS_ENABLED:
        'Forge commit-status events re-evaluate an item waiting on check_ci_green.',
      ORCH_ORPHAN_RUN_WINDOW_MINUTES:
        'At start-up, unfinished runs older than this with no process are closed.',
    },
  },
  {
    title: 'Outbox',
    vars: {
      ORCH_OUTBOX_ENABLED: 'Delivery kill-switch; false = side effects wait in the outbox.',
      ORCH_OUTBOX_MAX_ATTEMPTS: 'Failed deliveries of one side effect before it is marked dead.',
    },
  },
  {
    title: 'Housekeeping',
    note: 'docs/operations.md "Housekeeping".',
    vars: {
      ORCH_LOG_KEEP_DAYS: 'At start-up, delete run logs older than this; 0 = no age limit.',
      ORCH_LOG_KEEP_MAX: 'At start-up, keep only the newest this many run logs; 0 = no limit.',
      ORCH_JOB_HISTORY_AFTER_S:
        'Finished jobs move from jobs to job_history after this long; 0 = never.',
      ORCH_WORKTREE_GC_ENABLED: 'Remove the worktrees of done/cancelled items after the retention.',
      ORCH_WORKTREE_RETENTION_S:
        'How long a finished item stays unchanged before its worktree goes.',
      ORCH_WORKTREE_GC_INTERVAL_S:
        'Gap between worktree collection passes (one also runs at start-up).',
      ORCH_DISK_MONITOR_ENABLED: 'Disk watchdog kill-switch.',
      ORCH_DISK_MONITOR_PATHS:
        'CSV of paths to watch; empty = the data, repos and worktrees directories.',
      ORCH_DISK_ALERT_PERCENT: 'Alert once when a watched file system is this full.',
      ORCH_DISK_MONITOR_INTERVAL_S: 'Gap between disk readings.',
      ORCH_FS_OWNERSHIP_CHECK:
        "At start-up, report files under Orch's directories its user does not own.",
      ORCH_LESSONS_ENABLED: 'Lessons journal; false = reads empty, writes ignored.',
      ORCH_LESSONS_DEDUP_WINDOW_S:
        'At most one automatic lesson per item, type and stage in this window.',
      ORCH_LESSONS_QUERY_LIMIT: 'Lessons GET /lessons returns when the request names no limit.',
    },
  },
  {
    title: 'Scripted demo agent',
    note: 'Read by `orch sim-agent` (src/config/child-env.ts), not part of the schema.',
    outsideSchema: true,
    vars: {
      ORCH_SIM_LEDGER: 'File the scripted agent appends one JSON line per run to.',
      ORCH_SIM_SCENARIO: 'Default scenarios, e.g. reviewer=request_changes_once,tester=fail_once.',
    },
  },
  {
    title: 'Agent CLIs',
    note: 'Not read by Orch: passed to agents as they are (docs/config.md "Agent environment").',
    outsideSchema: true,
    vars: {
      ANTHROPIC_API_KEY: 'Secret. Claude Code API key.',
      OPENAI_API_KEY: 'Secret. Codex API key.',
    },
  },
  {
    title: 'compose.yaml',
    note: 'Not read by Orch: used by `docker compose` only.',
    outsideSchema: true,
    vars: {
      POSTGRES_PASSWORD:
        'Secret. Password of the bundled PostgreSQL (required; URL-safe: openssl rand -hex 24).',
      AGENT_CLIS: 'npm packages installed in the image, e.g. @anthropic-ai/claude-code@<version>.',
    },
  },
];

/** The schema's default of a variable as it would be written in the environment ('' = unset). */
export function schemaDefault(name: string): string {
  const shape: Readonly<Record<string, z.ZodType>> = envSchema.shape;
  const field = shape[name];
  if (!field) throw new Error(`${name} is not in the env schema`);
  const parsed = field.safeParse(undefined);
  const value: unknown = parsed.success ? parsed.data : undefined;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return value === undefined ? '' : JSON.stringify(value);
}

/** Pure: `variable → meaning` from the tables of docs/config.md (first clause, plain text). */
export function docDescriptions(markdown: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of markdown.split('\n')) {
    if (!line.startsWith('| `ORCH_')) continue;
    const cells = line.slice(1, -1).split(' | ');
    const meaning = plain(cells.slice(2).join(' | '));
    for (const m of (cells[0] ?? '').matchAll(/`(ORCH_[A-Z0-9_]+)`/g)) {
      if (m[1] && !out.has(m[1])) out.set(m[1], meaning);
    }
  }
  return out;
}

/** Pure: `variable → its TSDoc comment` in src/config/env.ts (first clause, plain text). */
export function sourceDescriptions(source: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of source.matchAll(/\/\*\*((?:[^*]|\*(?!\/))*)\*\/\s*(ORCH_[A-Z0-9_]+):/g)) {
    const text = (m[1] ?? '').replace(/^\s*\*\s?/gm, '').replace(/\s+/g, ' ');
    if (m[2]) out.set(m[2], plain(text));
  }
  return out;
}

function plain(md: string): string {
  const text = md
    .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/[`*]/g, '')
    .trim();
  const clause = text.split(/; |\. /)[0] ?? text;
  return clause.length > 150 ? `${clause.slice(0, 147)}...` : clause;
}

function wrap(text: string, width = 98): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/)) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  return lines.map((l) => `# ${l}`);
}

const HEADER = [
  'Every environment variable Orch reads, with its default. Generated from the schema in',
  'src/config/env.ts by `npm run env:example` (scripts/env-example.ts): do not edit by hand.',
  'Copy it to .env (compose.yaml and deploy/orch.service read that file) and uncomment what you',
  'change: a commented line shows the default, an empty value means unset. Keep .env private.',
  'Reference: docs/config.md.',
];

export interface Rendered {
  readonly text: string;
  /** Schema variables without a description here (taken from docs/config.md or left bare). */
  readonly undescribed: readonly string[];
  /** Variables named here that the schema no longer has (left out of the file). */
  readonly unknown: readonly string[];
}

/**
 * Pure apart from reading the schema: the text of .env.example. A schema variable this script
 * does not list goes to "Other", described by its TSDoc in env.ts or its row in docs/config.md.
 */
export function renderEnvExample(sources: { envSource: string; configDoc: string }): Rendered {
  const schemaNames = Object.keys(envSchema.shape);
  const placed = new Set<string>();
  const unknown: string[] = [];
  const blocks: string[][] = [];
  for (const group of GROUPS) {
    const entries: [string, string, string][] = [];
    for (const [name, about] of Object.entries(group.vars)) {
      if (!group.outsideSchema && !schemaNames.includes(name)) {
        unknown.push(name);
        continue;
      }
      placed.add(name);
      entries.push([name, about, group.outsideSchema ? '' : schemaDefault(name)]);
    }
    blocks.push(renderGroup(group.title, group.note, entries));
  }
  const fromSource = sourceDescriptions(sources.envSource);
  const fromDocs = docDescriptions(sources.configDoc);
  const undescribed = schemaNames.filter((n) => !placed.has(n));
  if (undescribed.length > 0) {
    const entries = undescribed.map((n): [string, string, string] => [
      n,
      fromSource.get(n) ?? fromDocs.get(n) ?? 'Not described yet: see src/config/env.ts.',
      schemaDefault(n),
    ]);
    blocks.push(renderGroup('Other', 'Not yet grouped in scripts/env-example.ts.', entries));
  }
  const text = [...wrap(HEADER.join(' ')), '', ...blocks.flat()].join('\n');
  return { text: text.replace(/\n+$/, '\n'), undescribed, unknown };
}

function renderGroup(
  title: string,
  note: string | undefined,
  entries: readonly (readonly [string, string, string])[],
): string[] {
  const rule = `# ${'-'.repeat(96)}`;
  const lines = [rule, `# ${title}`, ...(note ? wrap(note) : []), rule, ''];
  for (const [name, about, value] of entries) lines.push(...wrap(about), `# ${name}=${value}`, '');
  return lines;
}

function main(): void {
  const r = renderEnvExample({
    envSource: readFileSync(ENV_SOURCE, 'utf8'),
    configDoc: readFileSync(CONFIG_DOC, 'utf8'),
  });
  writeFileSync(ENV_EXAMPLE_FILE, r.text);
  for (const n of r.undescribed) {
    process.stderr.write(`env:example: ${n} has no description in scripts/env-example.ts\n`);
  }
  for (const n of r.unknown) {
    process.stderr.write(`env:example: ${n} is in scripts/env-example.ts but not in the schema\n`);
  }
  const count = Object.keys(envSchema.shape).length;
  process.stdout.write(`wrote .env.example: ${count} schema variables\n`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) main();
