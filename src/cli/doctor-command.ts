import { join } from 'node:path';
import { Command } from 'commander';
import { AgentProfiles } from '../agents/agents-config.js';
import { systemClock } from '../clock.js';
import { loadConfig } from '../config/config.js';
import { loadConfigFile } from '../config/config-file.js';
import { integrationSettings } from '../config/integrations.js';
import { parseProjects } from '../config/projects.js';
import { GiteaClient } from '../integrations/gitea/gitea-client.js';
import { GithubClient } from '../integrations/github/github-client.js';
import { PlaneClient } from '../integrations/plane/plane-client.js';
import { TelegramNotifier } from '../integrations/telegram/telegram-notifier.js';
import { createLogger } from '../log.js';
import { openDb, redactDbUrl } from '../store/open-db.js';
import {
  checkAgents,
  checkDatabase,
  checkDisk,
  checkForge,
  checkTelegram,
  checkTracker,
  checkWebhookSecrets,
  checkWorkflowFiles,
  type DoctorCheck,
} from './doctor-checks.js';
import { checkGithubProjects } from './doctor-github.js';
import { printJson } from './output.js';
import {
  checkProjectRepos,
  checkPushTargets,
  type ProjectRepoCheck,
} from '../integrations/forge/forge-repos-check.js';

interface DoctorFlags {
  db?: string;
  config?: string;
  json?: boolean;
}

/**
 * `orch doctor`: checks an installation without changing it (no migration, no state change, no
 * message sent) — database and migrations, every agent CLI, tracker and forge with the configured
 * tokens, required Plane states and membership, webhook secrets, Telegram, disk space. One line
 * per check; exit 0 when none failed, 1 otherwise. Secrets are never printed.
 */
export function doctorCommand(): Command {
  return new Command('doctor')
    .description(
      'check the database, agent CLIs, Plane, Gitea, GitHub, Telegram and disk; exit 1 on a failure',
    )
    .option('--db <url>', 'database URL (default: ORCH_DB_URL or sqlite:./.orch/orch.db)')
    .option('--config <file>', 'orch.config.yaml (default: ORCH_CONFIG or ./orch.config.yaml)')
    .option('--json', 'print JSON')
    .action(async (flags: DoctorFlags) => {
      const checks = await runDoctor(flags);
      const ok = checks.every((c) => c.status !== 'fail');
      if (flags.json) printJson({ ok, checks });
      else {
        const width = Math.max(...checks.map((c) => c.name.length));
        for (const c of checks) {
          process.stdout.write(`${c.status.padEnd(4)}  ${c.name.padEnd(width)}  ${c.detail}\n`);
        }
      }
      process.exitCode = ok ? 0 : 1;
    });
}

export async function runDoctor(flags: DoctorFlags): Promise<DoctorCheck[]> {
  const config = loadConfig(process.env, { dbUrl: flags.db });
  const file = loadConfigFile(flags.config ?? config.env.ORCH_CONFIG);
  const log = createLogger('silent');
  const s = integrationSettings(config.env);
  const projectsConfig = parseProjects((file as Record<string, unknown>).projects);
  const projects = projectsConfig.projects;
  const clock = systemClock;
  const plane = s.plane
    ? new PlaneClient({
        baseUrl: s.plane.url,
        apiToken: s.plane.apiToken,
        clock,
        projects: projectsConfig,
        rateLimit: { maxRetries: 0, maxWaitMs: 0 },
      })
    : null;
  const gitea = s.gitea
    ? new GiteaClient({
        baseUrl: s.gitea.url,
        token: s.gitea.token,
        projects: projectsConfig,
      })
    : null;
  const github = s.github
    ? new GithubClient({
        apiUrl: s.github.apiUrl,
        auth: s.github.auth,
        clock,
        rateLimit: { maxRetries: 0, maxWaitMs: 0 },
      })
    : null;
  const telegram = s.telegram.botToken
    ? new TelegramNotifier({
        token: s.telegram.botToken,
        chatId: s.telegram.chatId,
        apiUrl: s.telegram.apiUrl,
        clock,
        log,
      })
    : null;
  const env = Object.fromEntries(
    Object.entries(process.env).filter((e): e is [string, string] => e[1] !== undefined),
  );
  const checks: DoctorCheck[] = [];
  const db = openDb(config.dbUrl);
  try {
    checks.push(...(await checkDatabase(db, redactDbUrl(config.dbUrl))));
  } finally {
    await db.close().catch(() => undefined);
  }
  const profiles = new AgentProfiles(file.agents, config.env);
  checks.push(...(await checkAgents(profiles, { clock, env })));
  checks.push(...(await checkTracker(plane, projects)));
  checks.push(...(await checkForge(gitea, projects)));
  checks.push(...(await checkGithubProjects(s.github, github, projects)));
  checks.push(...checkProjectRepos(projects, config.dataDir).map(projectRepoLine));
  checks.push(
    ...checkPushTargets(projects).map((c): DoctorCheck => ({
      name: 'push-back target',
      status: c.status === 'ok' ? 'ok' : 'fail',
      detail: c.detail,
    })),
  );
  checks.push(
    ...(await checkWorkflowFiles(projects, {
      dataDir: config.dataDir,
      reposDir: config.env.ORCH_REPOS_DIR ?? join(config.dataDir, 'repos'),
      profiles: profiles.kinds(),
    })),
  );
  checks.push(...checkWebhookSecrets(s, projects));
  checks.push(await checkTelegram(s.telegram, telegram));
  checks.push(await checkDisk(config.dataDir));
  return checks;
}

/** A local-forge project's bare repository as a doctor line (Gitea ones: `forge repo` above). */
function projectRepoLine(c: ProjectRepoCheck): DoctorCheck {
  const name = 'project repo';
  if (c.status === 'ok') return { name, status: 'ok', detail: `${c.key}: ${c.detail}` };
  if (c.status === 'skipped') return { name, status: 'skip', detail: `${c.key}: ${c.detail}` };
  return { name, status: 'fail', detail: c.detail };
}
