import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { AgentProfiles } from '../agents/agents-config.js';
import type { Config } from '../config/config.js';
import type { ConfigFile } from '../config/config-file.js';
import { integrationSettings } from '../config/integrations.js';
import { parseProjects } from '../config/projects.js';
import { maskDeep, secretMasker, secretValues } from '../config/secret-masker.js';

/** What `orch serve` says about itself once it serves (one log record). */
export interface StartupSummary {
  version: string;
  /** `sqlite <absolute path>` or `postgres <host:port>/<database>`: never a user or password. */
  store: string;
  dataDir: string;
  /** The config file read, or `none` (every default). */
  config: string;
  worker: boolean;
  /** Project key → repository, tracker kind, forge kind. */
  projects: Record<string, { repo: string; tracker: string; forge: string }>;
  /** Agent role → adapter (and model, when one is set). */
  agents: Record<string, string>;
  /** Which integrations are on and which secrets are set: booleans, never values. */
  integrations: {
    plane: boolean;
    gitea: boolean;
    github: boolean;
    telegram: boolean;
    webhookSecrets: { plane: boolean; gitea: boolean; github: boolean };
  };
  auth: { adminToken: boolean; viewerToken: boolean; publicRead: boolean };
}

/** Orch's version from its package.json (`src/cli/` and `dist/cli/` are both two levels down). */
export function orchVersion(): string {
  try {
    const text = readFileSync(new URL('../../package.json', import.meta.url), 'utf8');
    const { version } = JSON.parse(text) as { version?: unknown };
    return typeof version === 'string' ? version : 'unknown';
  } catch {
    return 'unknown';
  }
}

/** Pure: where the store is, without credentials or query parameters. */
export function describeStore(dbUrl: string): string {
  if (dbUrl.startsWith('sqlite:')) {
    const path = dbUrl.slice('sqlite:'.length).replace(/^\/\/(?=\/)/, '');
    return `sqlite ${path === ':memory:' ? path : resolve(path)}`;
  }
  try {
    const url = new URL(dbUrl);
    return `postgres ${url.host}${url.pathname}`;
  } catch {
    return 'postgres (unparsable URL)';
  }
}

/**
 * Pure (but for resolving relative paths): the start-up summary of a serving Orch. Every string
 * in it passes through the process's secret masker as well, so a password a URL parser
 * misplaced still never reaches the log.
 */
export function startupSummary(o: {
  config: Config;
  configFile: ConfigFile;
  /** Absolute path of the config file read; undefined = none. */
  configPath: string | undefined;
  version: string;
  worker: boolean;
}): StartupSummary {
  const env = o.config.env;
  const integrations = integrationSettings(env);
  const projects = parseProjects((o.configFile as Record<string, unknown>).projects).projects;
  const profiles = new AgentProfiles(o.configFile.agents, env);
  const summary: StartupSummary = {
    version: o.version,
    store: describeStore(o.config.dbUrl),
    dataDir: o.config.dataDir,
    config: o.configPath ?? 'none',
    worker: o.worker,
    projects: Object.fromEntries(
      projects.map((p) => [p.key, { repo: p.repo, tracker: p.tracker.kind, forge: p.forge.kind }]),
    ),
    agents: Object.fromEntries(
      profiles.kinds().map((role) => {
        const p = profiles.get(role);
        return [role, p.model ? `${p.adapter} (${p.model})` : p.adapter];
      }),
    ),
    integrations: {
      plane: integrations.plane !== null,
      gitea: integrations.gitea !== null,
      github: integrations.github !== null,
      telegram: Boolean(integrations.telegram.botToken && integrations.telegram.chatId),
      webhookSecrets: {
        plane: Boolean(integrations.webhookSecrets.plane),
        gitea: Boolean(integrations.webhookSecrets.gitea),
        github: Boolean(integrations.webhookSecrets.github),
      },
    },
    auth: {
      adminToken: Boolean(env.ORCH_ADMIN_TOKEN),
      viewerToken: Boolean(env.ORCH_VIEWER_TOKEN),
      publicRead: env.ORCH_PUBLIC_READ,
    },
  };
  return maskDeep(summary, secretMasker(secretValues({ ...env, ORCH_DB_URL: o.config.dbUrl })));
}
