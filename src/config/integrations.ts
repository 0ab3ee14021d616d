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
  /** Always present: the notifier is disabled (drops messages) when the token or chat is unset. */
  telegram: { botToken: string | undefined; chatId: string | undefined; apiUrl: string };
  /** Webhook secrets by source, for WebhookIntake (a source without one rejects deliveries). */
  webhookSecrets: { plane: string | undefined; gitea: string | undefined };
}

/** Pure: which integrations the `ORCH_PLANE_*`, `ORCH_GITEA_*`, `ORCH_TELEGRAM_*` keys enable. */
export function integrationSettings(env: Readonly<OrchEnv>): IntegrationSettings {
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
    telegram: {
      botToken: env.ORCH_TELEGRAM_BOT_TOKEN,
      chatId: env.ORCH_TELEGRAM_CHAT_ID,
      apiUrl: env.ORCH_TELEGRAM_API_URL,
    },
    webhookSecrets: {
      plane: env.ORCH_PLANE_WEBHOOK_SECRET,
      gitea: env.ORCH_GITEA_WEBHOOK_SECRET,
    },
  };
}
