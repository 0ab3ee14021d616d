import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { orchInProcess as orch } from '../helpers/run-cli.js';
import { GiteaStub } from '../helpers/stubs/gitea-stub.js';
import { PlaneStub } from '../helpers/stubs/plane-stub.js';
import { TelegramStub } from '../helpers/stubs/telegram-stub.js';

const PROJECT = '59e3be42-87ec-4950-99a3-ae639cf2b089';

interface Report {
  ok: boolean;
  checks: { name: string; status: string; detail: string }[];
}

/** `orch doctor` in this process (the loopback stubs live here too). */
async function doctor(args: string[], env: Record<string, string>) {
  const r = await orch(['doctor', ...args], env);
  return { code: r.code, stdout: r.stdout };
}

describe('orch doctor', () => {
  const dir = mkdtempSync(join(tmpdir(), 'orch-doctor-'));
  const db = `sqlite:${join(dir, 'orch.db')}`;
  const cli = join(dir, 'fake-codex');
  let plane: PlaneStub;
  let gitea: GiteaStub;
  let telegram: TelegramStub;
  let env: Record<string, string>;

  beforeAll(async () => {
    writeFileSync(cli, '#!/bin/sh\necho "codex-cli 0.171.0"\n');
    chmodSync(cli, 0o755);
    plane = await new PlaneStub().start();
    gitea = await new GiteaStub().start();
    telegram = await new TelegramStub().start();
    gitea.addRepo('acme/trails');
    writeFileSync(
      join(dir, 'orch.config.yaml'),
      [
        'agents:',
        '  defaults: { adapter: codex, command: [' + JSON.stringify(cli) + '] }',
        'projects:',
        '  - key: ET',
        '    repo: trails',
        '    tracker:',
        '      kind: plane',
        '      workspace: acme',
        `      projectId: ${PROJECT}`,
        '      states: { in_progress: In Progress, in_review: In Review, needs_input: Needs Input, blocked: Blocked, done: Done }',
        '      approvers: [ann@example.com]',
        '    forge: { kind: gitea, owner: acme, repo: trails }',
        '',
      ].join('\n'),
    );
    env = {
      ORCH_DB_URL: db,
      ORCH_DATA_DIR: dir,
      ORCH_PLANE_URL: plane.url,
      ORCH_PLANE_API_TOKEN: plane.apiKey,
      ORCH_PLANE_WEBHOOK_SECRET: 'plane_wh_x',
      ORCH_GITEA_URL: gitea.url,
      ORCH_GITEA_TOKEN: gitea.token,
      ORCH_GITEA_WEBHOOK_SECRET: 'g',
      ORCH_TELEGRAM_BOT_TOKEN: telegram.token,
      ORCH_TELEGRAM_API_URL: telegram.url,
      ORCH_TELEGRAM_CHAT_ID: '-10042',
    };
  });

  afterAll(async () => {
    await Promise.all([plane.close(), gitea.close(), telegram.close()]);
    rmSync(dir, { recursive: true, force: true });
  });

  const config = () => ['--config', join(dir, 'orch.config.yaml')];

  it('exits 1 and names each problem: schema not migrated, states, membership, secret, token', async () => {
    plane.addProject(PROJECT, [{ name: 'Todo', group: 'unstarted' }], { apiUserMember: false });
    // --create: a new, empty database, so the migrations check fails.
    const r = await doctor([...config(), '--create'], {
      ...env,
      ORCH_GITEA_WEBHOOK_SECRET: '',
      ORCH_GITEA_TOKEN: 'wrong',
    });
    expect(r.code).toBe(1);
    const lines = r.stdout.split('\n');
    const line = (name: string) => lines.find((l) => l.includes(` ${name} `)) ?? '';
    expect(line('migrations')).toMatch(/^fail .*migration\(s\) pending: run `orch db migrate`/);
    expect(line('tracker membership')).toMatch(/^fail .*is not a member of the project/);
    expect(line('tracker states')).toMatch(/^fail .*missing state\(s\) "In Progress", "In Review"/);
    expect(line('forge')).toMatch(/^fail .*FORGE_AUTH_FAILED|^fail .*401/);
    expect(line('webhook secret gitea')).toMatch(/^fail .*ORCH_GITEA_WEBHOOK_SECRET is not set/);
    expect(r.stdout).not.toContain('wrong');
    expect(r.stdout).not.toContain(plane.apiKey);
  });

  it('exits 0 with one ok line per check when everything is in place (--json)', async () => {
    plane.addProject(PROJECT);
    expect((await orch(['db', 'migrate', '--db', db])).code).toBe(0);
    const r = await doctor([...config(), '--json'], env);
    const report = JSON.parse(r.stdout) as Report;
    const failed = report.checks.filter((c) => c.status === 'fail');
    expect(failed).toEqual([]);
    expect(r.code).toBe(0);
    expect(report.ok).toBe(true);
    const names = report.checks.map((c) => c.name);
    for (const n of [
      'database',
      'migrations',
      `agent ${cli}`,
      'tracker',
      'tracker membership',
      'tracker states',
      'forge',
      'forge repo',
      'webhook secret plane',
      'webhook secret gitea',
      'telegram',
      'disk',
    ]) {
      expect(names).toContain(n);
    }
    const agent = report.checks.find((c) => c.name === `agent ${cli}`)!;
    expect(agent.detail).toContain('codex-cli 0.171.0');
    expect(report.checks.find((c) => c.name === 'telegram')!.detail).toContain('@orch_test_bot');
    expect(JSON.stringify(report)).not.toContain(telegram.token);
  });
});
