import { describe, expect, it } from 'vitest';
import { parseEnv } from './env.js';
import { integrationSettings } from './integrations.js';

describe('integrationSettings', () => {
  it('enables nothing but a disabled Telegram by default', () => {
    const s = integrationSettings(parseEnv({}));
    expect(s.plane).toBeNull();
    expect(s.gitea).toBeNull();
    expect(s.telegram).toEqual({
      botToken: undefined,
      chatId: undefined,
      apiUrl: 'https://api.telegram.org',
    });
  });

  it('enables Plane and Gitea when URL and token are set', () => {
    const s = integrationSettings(
      parseEnv({
        ORCH_PLANE_URL: 'http://plane.lan',
        ORCH_PLANE_API_TOKEN: 'plane_api_x',
        ORCH_PLANE_WEBHOOK_SECRET: 'plane_wh_x',
        ORCH_GITEA_URL: 'http://gitea.lan:3000',
        ORCH_GITEA_TOKEN: 't',
        ORCH_GITEA_BOT_USERNAME: 'orch-bot',
        ORCH_TELEGRAM_API_URL: 'http://127.0.0.1:9999',
      }),
    );
    expect(s.plane).toMatchObject({ url: 'http://plane.lan', webhookSecret: 'plane_wh_x' });
    expect(s.gitea).toMatchObject({ botUsername: 'orch-bot', webhookSecret: undefined });
    expect(s.webhookSecrets).toEqual({ plane: 'plane_wh_x', gitea: undefined });
    expect(s.telegram.apiUrl).toBe('http://127.0.0.1:9999');
  });

  it('rejects a malformed URL at startup', () => {
    expect(() => parseEnv({ ORCH_GITEA_URL: 'not a url' })).toThrow(/ORCH_GITEA_URL/);
  });
});
