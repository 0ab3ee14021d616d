import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../config/config.js';
import { parseConfigFile } from '../config/config-file.js';
import { TRACKER_STATES } from '../integrations/tracker/tracker.js';
import { createLogger } from '../log.js';
import { describeStore, orchVersion, startupSummary } from './startup-summary.js';

const PG_PASSWORD = 'pg-Pa55word-xyz';
const TELEGRAM_TOKEN = '123456789:AAFakeTelegramBotTokenValue';
const SECRETS = [
  PG_PASSWORD,
  TELEGRAM_TOKEN,
  'plane-api-token-value',
  'plane-hook-secret-value',
  'admin-token-value-0123',
];

const env = {
  ORCH_DB_URL: `postgres://orch:${PG_PASSWORD}@db.internal:5432/orch_prod?sslmode=require`,
  ORCH_DATA_DIR: '/var/lib/orch',
  ORCH_TELEGRAM_BOT_TOKEN: TELEGRAM_TOKEN,
  ORCH_TELEGRAM_CHAT_ID: '-100200300',
  ORCH_PLANE_URL: 'https://plane.example.com',
  ORCH_PLANE_API_TOKEN: 'plane-api-token-value',
  ORCH_PLANE_WEBHOOK_SECRET: 'plane-hook-secret-value',
  ORCH_ADMIN_TOKEN: 'admin-token-value-0123',
};

const configFile = parseConfigFile({
  agents: {
    defaults: { adapter: 'claude-code' },
    roles: { developer: { adapter: 'codex', model: 'o3' } },
  },
  projects: [
    {
      key: 'ET',
      repo: 'trails',
      tracker: {
        kind: 'plane',
        workspace: 'ws',
        projectId: 'p-1',
        states: Object.fromEntries(TRACKER_STATES.map((st) => [st, `State ${st}`])),
      },
    },
    { key: 'DOC', repo: 'docs-site' },
  ],
});

const summarize = () =>
  startupSummary({
    config: loadConfig(env),
    configFile,
    configPath: '/etc/orch/orch.config.yaml',
    version: '9.9.9',
    worker: true,
  });

describe('startupSummary', () => {
  it('says version, store, data directory, config file, projects, agents and integrations', () => {
    expect(summarize()).toEqual({
      version: '9.9.9',
      store: 'postgres db.internal:5432/orch_prod',
      dataDir: '/var/lib/orch',
      config: '/etc/orch/orch.config.yaml',
      worker: true,
      projects: {
        ET: { repo: 'trails', tracker: 'plane', forge: 'local' },
        DOC: { repo: 'docs-site', tracker: 'local', forge: 'local' },
      },
      agents: expect.objectContaining({
        analyst: 'claude-code',
        developer: 'codex (o3)',
        reviewer: 'claude-code',
      }) as unknown,
      integrations: {
        plane: true,
        gitea: false,
        github: false,
        telegram: true,
        webhookSecrets: { plane: true, gitea: false, github: false },
      },
      auth: { adminToken: true, viewerToken: false, publicRead: false },
    });
  });

  it('never carries a secret, in JSON or in pretty log lines', () => {
    for (const format of ['json', 'pretty'] as const) {
      const chunks: string[] = [];
      const destination = new Writable({
        write(chunk: Buffer, _enc, done) {
          chunks.push(chunk.toString('utf8'));
          done();
        },
      });
      createLogger('info', { format, destination }).info(summarize(), 'orch serving');
      const text = chunks.join('');
      expect(text).toContain('db.internal:5432/orch_prod');
      for (const secret of SECRETS) expect(text).not.toContain(secret);
      expect(text).not.toContain('Pa55word');
    }
  });
});

describe('describeStore', () => {
  it('names a SQLite file by its absolute path and PostgreSQL by host and database only', () => {
    expect(describeStore('sqlite:/data/orch.db')).toBe('sqlite /data/orch.db');
    expect(describeStore('sqlite::memory:')).toBe('sqlite :memory:');
    expect(describeStore('postgresql://u:p%40ss@pg/orch')).toBe('postgres pg/orch');
    expect(describeStore('postgres://pg.local/orch')).toBe('postgres pg.local/orch');
  });
});

describe('orchVersion', () => {
  it('reads the version from package.json', () => {
    expect(orchVersion()).toMatch(/^\d+\.\d+\.\d+/);
  });
});
