import { readFileSync } from 'node:fs';
import { OrchError } from '../errors.js';
import type { GithubAuth } from '../integrations/github/github-client.js';
import type { OrchEnv } from './env.js';

/** Plane, Gitea and Telegram settings from the environment; null = integration not configured. */
export interface IntegrationSettings {
  plane: {
    url: string;
    apiToken: string;
    webhookSecret: string | undefined;
    botUserId: string | undefined;
  } | null;
  gitea: {
    url: string;
    gitUrl: string | undefined;
    token: string;
    webhookSecret: string | undefined;
    botUsername: string | undefined;
  } | null;
  /**
   * Set when ORCH_GITHUB_TOKEN, or ORCH_GITHUB_APP_ID with the App's private key, is (a token
   * wins when both are).
   */
  github: {
    apiUrl: string;
    auth: GithubAuth;
    webhookSecret: string | undefined;
    botLogin: string | undefined;
  } | null;
  /** Always present: the notifier is disabled (drops messages) when the token or chat is unset. */
  telegram: { botToken: string | undefined; chatId: string | undefined; apiUrl: string };
  /** Webhook secrets by source, for WebhookIntake (a source without one rejects deliveries). */
  webhookSecrets: {
    plane: string | undefined;
    gitea: string | undefined;
    github: string | undefined;
  };
}

/**
 * The GitHub credentials the environment gives: a token, else an App (id, private key from
 * ORCH_GITHUB_APP_PRIVATE_KEY or the file ORCH_GITHUB_APP_PRIVATE_KEY_FILE, optional
 * installation id), else null. An unreadable key file or a non-numeric installation id is a
 * startup error (`CONFIG_INVALID`).
 */
export function githubAuthOf(
  env: Readonly<OrchEnv>,
  readFile: (path: string) => string = (path) => readFileSync(path, 'utf8'),
): GithubAuth | null {
  if (env.ORCH_GITHUB_TOKEN) return { kind: 'token', token: env.ORCH_GITHUB_TOKEN };
  if (!env.ORCH_GITHUB_APP_ID) return null;
  let pem = env.ORCH_GITHUB_APP_PRIVATE_KEY;
  const file = env.ORCH_GITHUB_APP_PRIVATE_KEY_FILE;
  if (!pem && file) {
    try {
      pem = readFile(file);
    } catch (err) {
      throw new OrchError(
        'CONFIG_INVALID',
        `ORCH_GITHUB_APP_PRIVATE_KEY_FILE: cannot read ${file}`,
        { cause: err },
      );
    }
  }
  if (!pem) return null;
  const installation = env.ORCH_GITHUB_APP_INSTALLATION_ID;
  if (installation !== undefined && !/^\d+$/.test(installation))
    throw new OrchError('CONFIG_INVALID', 'ORCH_GITHUB_APP_INSTALLATION_ID must be a number');
  return {
    kind: 'app',
    appId: env.ORCH_GITHUB_APP_ID,
    // One-line env files carry the PEM's newlines as `\n`.
    privateKeyPem: pem.replace(/\\n/g, '\n'),
    ...(installation !== undefined && { installationId: Number(installation) }),
  };
}

/**
 * Which integrations the `ORCH_PLANE_*`, `ORCH_GITEA_*`, `ORCH_GITHUB_*`, `ORCH_TELEGRAM_*` keys
 * enable. Pure but for reading ORCH_GITHUB_APP_PRIVATE_KEY_FILE (`readFile`).
 */
export function integrationSettings(
  env: Readonly<OrchEnv>,
  readFile?: (path: string) => string,
): IntegrationSettings {
  const githubAuth = githubAuthOf(env, readFile);
  const github = githubAuth
    ? {
        apiUrl: env.ORCH_GITHUB_API_URL,
        auth: githubAuth,
        webhookSecret: env.ORCH_GITHUB_WEBHOOK_SECRET,
        botLogin: env.ORCH_GITHUB_BOT_LOGIN,
      }
    : null;
  const plane =
    env.ORCH_PLANE_URL && env.ORCH_PLANE_API_TOKEN
      ? {
          url: env.ORCH_PLANE_URL,
          apiToken: env.ORCH_PLANE_API_TOKEN,
          webhookSecret: env.ORCH_PLANE_WEBHOOK_SECRET,
          botUserId: env.ORCH_PLANE_BOT_USER_ID,
        }
      : null;
  const gitea =
    env.ORCH_GITEA_URL && env.ORCH_GITEA_TOKEN
      ? {
          url: env.ORCH_GITEA_URL,
          gitUrl: env.ORCH_GITEA_GIT_URL,
          token: env.ORCH_GITEA_TOKEN,
          webhookSecret: env.ORCH_GITEA_WEBHOOK_SECRET,
          botUsername: env.ORCH_GITEA_BOT_USERNAME,
        }
      : null;
  return {
    plane,
    gitea,
    github,
    telegram: {
      botToken: env.ORCH_TELEGRAM_BOT_TOKEN,
      chatId: env.ORCH_TELEGRAM_CHAT_ID,
      apiUrl: env.ORCH_TELEGRAM_API_URL,
    },
    webhookSecrets: {
      plane: env.ORCH_PLANE_WEBHOOK_SECRET,
      gitea: env.ORCH_GITEA_WEBHOOK_SECRET,
      github: env.ORCH_GITHUB_WEBHOOK_SECRET,
    },
  };
}
