import { describe, expect, it } from 'vitest';
import { parseEnv } from './env.js';
import { githubAuthOf, integrationSettings } from './integrations.js';

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
    expect(s.webhookSecrets).toEqual({ plane: 'plane_wh_x', gitea: undefined, github: undefined });
    expect(s.telegram.apiUrl).toBe('http://127.0.0.1:9999');
  });

  it('enables GitHub with a token, on api.github.com unless told otherwise', () => {
    const s = integrationSettings(
      parseEnv({
        ORCH_GITHUB_TOKEN: 'ghp_x',
        ORCH_GITHUB_WEBHOOK_SECRET: 'gh-secret-0123456789',
        ORCH_GITHUB_BOT_LOGIN: 'orch-bot',
      }),
    );
    expect(s.github).toEqual({
      apiUrl: 'https://api.github.com',
      auth: { kind: 'token', token: 'ghp_x' },
      webhookSecret: 'gh-secret-0123456789',
      botLogin: 'orch-bot',
    });
    expect(s.webhookSecrets.github).toBe('gh-secret-0123456789');
    expect(integrationSettings(parseEnv({})).github).toBeNull();
  });

  it('builds GitHub App credentials from the key or its file, with escaped newlines', () => {
    const inline = githubAuthOf(
      parseEnv({
        ORCH_GITHUB_APP_ID: '42',
        ORCH_GITHUB_APP_PRIVATE_KEY: '-----BEGIN KEY-----\\nabc\\n-----END KEY-----',
        ORCH_GITHUB_APP_INSTALLATION_ID: '7',
      }),
    );
    expect(inline).toEqual({
      kind: 'app',
      appId: '42',
      privateKeyPem: '-----BEGIN KEY-----\nabc\n-----END KEY-----',
      installationId: 7,
    });
    const fromFile = githubAuthOf(
      parseEnv({ ORCH_GITHUB_APP_ID: '42', ORCH_GITHUB_APP_PRIVATE_KEY_FILE: '/k.pem' }),
      (path) => `pem from ${path}`,
    );
    expect(fromFile).toEqual({ kind: 'app', appId: '42', privateKeyPem: 'pem from /k.pem' });
    expect(githubAuthOf(parseEnv({ ORCH_GITHUB_APP_ID: '42' }))).toBeNull();
  });

  it('rejects an unreadable key file and a non-numeric installation id', () => {
    const missing = () =>
      githubAuthOf(
        parseEnv({ ORCH_GITHUB_APP_ID: '42', ORCH_GITHUB_APP_PRIVATE_KEY_FILE: '/nope.pem' }),
        () => {
          throw new Error('ENOENT');
        },
      );
    expect(missing).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
    const badId = () =>
      githubAuthOf(
        parseEnv({
          ORCH_GITHUB_APP_ID: '42',
          ORCH_GITHUB_APP_PRIVATE_KEY: 'k',
          ORCH_GITHUB_APP_INSTALLATION_ID: 'abc',
        }),
      );
    expect(badId).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
  });

  it('rejects a malformed URL at startup', () => {
    expect(() => parseEnv({ ORCH_GITEA_URL: 'not a url' })).toThrow(/ORCH_GITEA_URL/);
  });
});
