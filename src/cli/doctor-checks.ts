import { existsSync } from 'node:fs';
import { statfs } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { AgentProfiles } from '../agents/agents-config.js';
import { adapterFor } from '../agents/adapters/adapter-for.js';
import {
  Preflight,
  preflightTarget,
  resolveBinary,
  type PreflightTarget,
} from '../agents/preflight.js';
import { usesGithub, type ProjectConfig } from '../config/projects.js';
import type { IntegrationSettings } from '../config/integrations.js';
import type { Clock } from '../clock.js';
import type { GiteaClient } from '../integrations/gitea/gitea-client.js';
import type { PlaneClient } from '../integrations/plane/plane-client.js';
import { checkPlaneSetup } from '../integrations/plane/plane-setup-check.js';
import type { TelegramNotifier } from '../integrations/telegram/telegram-notifier.js';
import type { Db } from '../store/db.js';
import { currentVersion, latestVersion, ping } from '../store/migrate.js';
import { runChildProcess } from '../process/child-process.js';
import { WorktreeManager } from '../agents/worktrees.js';
import { localForgeRepoPath } from '../integrations/forge/forge-repos-check.js';
import { parseWorkflowFile } from '../pipeline/workflow-file.js';
import { readWorkflowAt } from '../pipeline/workflow-registry.js';

/** Runs a probe through the one child-process helper; throws with its stderr on failure. */
async function run(
  file: string,
  args: readonly string[],
  o: { timeout: number; env: Readonly<Record<string, string>> },
): Promise<{ stdout: string }> {
  const r = await runChildProcess({
    argv: [file, ...args],
    cwd: process.cwd(),
    env: o.env,
    output: { kind: 'capture', maxBytes: 1 << 20 },
    timeoutMs: o.timeout,
  });
  if (r.exitCode === 0 && r.killReason === null) return { stdout: r.stdout };
  const why =
    r.spawnError?.message ??
    (r.killReason ? `timed out after ${o.timeout} ms` : `exit ${String(r.exitCode)}`);
  throw new Error(`${why}${r.stderr.trim() ? `: ${r.stderr.trim()}` : ''}`);
}

/** One line of `orch doctor`. `fail` makes the command exit 1; `warn` and `skip` do not. */
export interface DoctorCheck {
  name: string;
  status: 'ok' | 'fail' | 'warn' | 'skip';
  detail: string;
}

const message = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/** Database reachable, and its schema exactly the version this code ships. */
export async function checkDatabase(db: Db, label: string): Promise<DoctorCheck[]> {
  try {
    await ping(db);
  } catch (err) {
    return [{ name: 'database', status: 'fail', detail: `${label}: ${message(err)}` }];
  }
  const latest = latestVersion(db);
  const current = await currentVersion(db).catch(() => 0);
  const reach: DoctorCheck = { name: 'database', status: 'ok', detail: `${label} reachable` };
  if (current === latest) {
    return [reach, { name: 'migrations', status: 'ok', detail: `schema version ${current}` }];
  }
  const detail =
    current > latest
      ? `schema version ${current} is newer than this Orch (${latest}): upgrade Orch`
      : `schema version ${current}, ${latest - current} migration(s) pending: run \`orch db migrate\``;
  return [reach, { name: 'migrations', status: 'fail', detail }];
}

/**
 * Every distinct agent CLI the roles use: found, its `--version`, and whether it accepts the argv
 * Orch will run it with (the preflight probe: the run's flags plus `--help`, src/agents/preflight.ts).
 */
export async function checkAgents(
  profiles: AgentProfiles,
  o: { clock: Clock; env: Readonly<Record<string, string>> },
): Promise<DoctorCheck[]> {
  const byCli = new Map<
    string,
    { roles: string[]; target: PreflightTarget; version: string[] | null }
  >();
  for (const role of profiles.kinds()) {
    const profile = profiles.get(role);
    const target = preflightTarget(profile);
    const version = adapterFor(profile.adapter).versionArgv({ command: profile.command });
    const key = JSON.stringify([target, version]);
    const entry = byCli.get(key) ?? { roles: [], target, version };
    entry.roles.push(role);
    byCli.set(key, entry);
  }
  const preflight = new Preflight({ clock: o.clock, ttlMs: 0, env: { ...o.env } });
  const out: DoctorCheck[] = [];
  for (const cli of byCli.values()) out.push(await checkAgentCli(preflight, cli, o.env));
  return out;
}

async function checkAgentCli(
  preflight: Preflight,
  cli: { roles: string[]; target: PreflightTarget; version: string[] | null },
  env: Readonly<Record<string, string>>,
): Promise<DoctorCheck> {
  const name = `agent ${cli.target.binary || '(none)'}`;
  const forRoles = `for ${cli.roles.join(', ')}`;
  if (!cli.target.binary || resolveBinary(cli.target.binary, env.PATH) === null) {
    return { name, status: 'fail', detail: `not found on PATH (${forRoles})` };
  }
  let version = 'no version probe';
  if (cli.version) {
    try {
      const res = await run(cli.version[0]!, cli.version.slice(1), {
        timeout: 15_000,
        env: { ...env, ...cli.target.env },
      });
      version = String(res.stdout).trim().split('\n')[0] ?? '';
    } catch (err) {
      return {
        name,
        status: 'fail',
        detail: `"${cli.version.join(' ')}" failed: ${message(err).slice(0, 200)} (${forRoles})`,
      };
    }
  }
  const accepted = await preflight.check(cli.target);
  if (!accepted.ok)
    return { name, status: 'fail', detail: `${version}; ${accepted.reason} (${forRoles})` };
  const argv = cli.target.probeArgv ? 'argv accepted' : 'no argv probe for this adapter';
  return { name, status: 'ok', detail: `${version}; ${argv} (${forRoles})` };
}

/** Plane reachable with the token, the API user a member, the required states present. */
export async function checkTracker(
  plane: PlaneClient | null,
  projects: readonly ProjectConfig[],
): Promise<DoctorCheck[]> {
  const planeProjects = projects.filter((p) => p.tracker.kind === 'plane');
  if (planeProjects.length === 0) {
    return [
      { name: 'tracker', status: 'ok', detail: 'local tracker (no Plane project configured)' },
    ];
  }
  if (!plane) {
    const keys = planeProjects.map((p) => p.key).join(', ');
    return [
      {
        name: 'tracker',
        status: 'fail',
        detail: `projects ${keys} use Plane but ORCH_PLANE_URL / ORCH_PLANE_API_TOKEN are not set`,
      },
    ];
  }
  try {
    const me = await plane.me();
    const out: DoctorCheck[] = [
      {
        name: 'tracker',
        status: 'ok',
        detail: `Plane reachable as ${me.displayName ?? me.email ?? me.id}`,
      },
    ];
    for (const f of await checkPlaneSetup(plane, planeProjects)) {
      const status = f.outcome === 'ok' ? 'ok' : 'fail';
      out.push({ name: `tracker ${f.check}`, status, detail: `${f.project}: ${f.detail}` });
    }
    return out;
  } catch (err) {
    return [{ name: 'tracker', status: 'fail', detail: `Plane: ${message(err)}` }];
  }
}

/** Gitea reachable with the token, and every configured repository visible to it. */
export async function checkForge(
  gitea: GiteaClient | null,
  projects: readonly ProjectConfig[],
): Promise<DoctorCheck[]> {
  const giteaProjects = projects.filter((p) => p.forge.kind === 'gitea');
  if (giteaProjects.length === 0) {
    return [
      { name: 'forge', status: 'ok', detail: 'local forge (no Gitea repository configured)' },
    ];
  }
  if (!gitea) {
    const keys = giteaProjects.map((p) => p.key).join(', ');
    return [
      {
        name: 'forge',
        status: 'fail',
        detail: `projects ${keys} use Gitea but ORCH_GITEA_URL / ORCH_GITEA_TOKEN are not set`,
      },
    ];
  }
  try {
    const login = await gitea.currentUser();
    const out: DoctorCheck[] = [
      { name: 'forge', status: 'ok', detail: `Gitea reachable as ${login}` },
    ];
    for (const p of giteaProjects) {
      const full = gitea.fullName(p.repo);
      try {
        out.push({
          name: 'forge repo',
          status: 'ok',
          detail: `${full} (default branch ${await gitea.defaultBranch(p.repo)})`,
        });
      } catch (err) {
        out.push({ name: 'forge repo', status: 'fail', detail: `${full}: ${message(err)}` });
      }
    }
    return out;
  } catch (err) {
    return [{ name: 'forge', status: 'fail', detail: `Gitea: ${message(err)}` }];
  }
}

/**
 * `orch serve`'s start-up look at the Gitea repositories (`checkForge`'s failures as sentences).
 * Warned about, not refused: a Gitea that is down for a minute must not keep Orch from starting;
 * a local forge's missing repository is a configuration error and is refused
 * (forge-repos-check.ts).
 */
export async function giteaStartupProblems(
  gitea: GiteaClient | null,
  projects: readonly ProjectConfig[],
): Promise<string[]> {
  if (!projects.some((p) => p.forge.kind === 'gitea')) return [];
  const checks = await checkForge(gitea, projects);
  return checks.filter((c) => c.status === 'fail').map((c) => c.detail);
}

/** GitHub webhook secrets shorter than this are refused by `orch doctor` (guessable). */
export const MIN_GITHUB_WEBHOOK_SECRET_LENGTH = 16;

/**
 * A configured source without its webhook secret rejects every delivery; a GitHub secret shorter
 * than 16 characters fails too.
 */
export function checkWebhookSecrets(
  s: IntegrationSettings,
  projects: readonly ProjectConfig[],
): DoctorCheck[] {
  const uses = {
    plane: s.plane !== null || projects.some((p) => p.tracker.kind === 'plane'),
    gitea: s.gitea !== null || projects.some((p) => p.forge.kind === 'gitea'),
    github: s.github !== null || projects.some(usesGithub),
  };
  return (['plane', 'gitea', 'github'] as const).map((source): DoctorCheck => {
    const name = `webhook secret ${source}`;
    const env = `ORCH_${source.toUpperCase()}_WEBHOOK_SECRET`;
    if (!uses[source]) return { name, status: 'skip', detail: `${source} not configured` };
    const secret = s.webhookSecrets[source];
    if (!secret)
      return {
        name,
        status: 'fail',
        detail: `${env} is not set: every ${source} delivery is rejected`,
      };
    if (source === 'github' && secret.length < MIN_GITHUB_WEBHOOK_SECRET_LENGTH)
      return {
        name,
        status: 'fail',
        detail: `${env} has ${secret.length} characters: use at least ${MIN_GITHUB_WEBHOOK_SECRET_LENGTH}`,
      };
    return { name, status: 'ok', detail: `${env} is set` };
  });
}

/** Telegram `getMe` with the configured token. */
export async function checkTelegram(
  s: IntegrationSettings['telegram'],
  notifier: TelegramNotifier | null,
): Promise<DoctorCheck> {
  const name = 'telegram';
  if (!s.botToken || !notifier)
    return { name, status: 'skip', detail: 'no bot token: notifications go to the log' };
  const me = await notifier.getMe();
  if (!me.ok) return { name, status: 'fail', detail: me.reason };
  if (!s.chatId)
    return {
      name,
      status: 'warn',
      detail: `bot @${me.username} reachable, but ORCH_TELEGRAM_CHAT_ID is not set`,
    };
  return { name, status: 'ok', detail: `bot @${me.username} reachable; chat ${s.chatId}` };
}

/** Below these, agents' worktrees and logs may not fit. */
export const DISK_FAIL_BYTES = 200 * 1024 ** 2;
export const DISK_WARN_BYTES = 2 * 1024 ** 3;

/** Free space on the file system of the data directory (or its nearest existing parent). */
export async function checkDisk(dataDir: string): Promise<DoctorCheck> {
  for (let dir = dataDir; ; dir = dirname(dir)) {
    try {
      const s = await statfs(dir);
      const free = s.bavail * s.bsize;
      const gb = (free / 1024 ** 3).toFixed(1);
      const status = free < DISK_FAIL_BYTES ? 'fail' : free < DISK_WARN_BYTES ? 'warn' : 'ok';
      return { name: 'disk', status, detail: `${gb} GiB free for ${dataDir}` };
    } catch (err) {
      if (dirname(dir) === dir) return { name: 'disk', status: 'fail', detail: message(err) };
    }
  }
}

/**
 * Each project's `.orch/workflow.md` on its base branch (issue 18), read without changing
 * anything: a local-forge project from its bare repository, a Gitea or GitHub one (`owner/name`:
 * the clone is named after `name`, as its clone URL) from Orch's clone as of
 * its last fetch (skipped before the first). none / ok at <sha> / invalid: the parse error.
 */
export async function checkWorkflowFiles(
  projects: readonly ProjectConfig[],
  dirs: { dataDir: string; reposDir: string; profiles?: readonly string[] },
): Promise<DoctorCheck[]> {
  const out: DoctorCheck[] = [];
  for (const p of projects) out.push(await checkWorkflowFile(p, dirs));
  return out;
}

async function checkWorkflowFile(
  p: ProjectConfig,
  dirs: { dataDir: string; reposDir: string; profiles?: readonly string[] },
): Promise<DoctorCheck> {
  const name = 'workflow file';
  const f = p.forge;
  const cwd =
    f.kind === 'local'
      ? localForgeRepoPath(dirs.dataDir, p.repo)
      : join(dirs.reposDir, WorktreeManager.repoName(f.repo));
  if (!existsSync(join(cwd, f.kind === 'local' ? 'HEAD' : '.git')))
    return { name, status: 'skip', detail: `${p.key}: no repository at ${cwd} yet` };
  try {
    const read = await readWorkflowAt(
      cwd,
      f.kind === 'local' ? f.baseBranch : `origin/${f.baseBranch}`,
    );
    if (read.text === null)
      return { name, status: 'ok', detail: `${p.key}: none (built-in prompts)` };
    const parsed = parseWorkflowFile(read.text, dirs.profiles ? { profiles: dirs.profiles } : {});
    const at = read.sha.slice(0, 12);
    return parsed.ok
      ? { name, status: 'ok', detail: `${p.key}: ok at ${at}` }
      : { name, status: 'fail', detail: `${p.key}: invalid at ${at}: ${parsed.error}` };
  } catch (err) {
    return { name, status: 'fail', detail: `${p.key}: cannot read: ${message(err)}` };
  }
}
