import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { orchInProcess as orch } from '../helpers/run-cli.js';

interface Report {
  checks: { name: string }[];
}

describe('ORCH_CONFIG', () => {
  const dir = mkdtempSync(join(tmpdir(), 'orch-config-env-'));
  const env = { ORCH_DB_URL: `sqlite:${join(dir, 'orch.db')}`, ORCH_DATA_DIR: dir };
  /** A config file whose agent is a fake CLI named after it, so doctor's checks show which loaded. */
  const configNaming = (name: string): string => {
    const cli = join(dir, name);
    writeFileSync(cli, '#!/bin/sh\necho "codex-cli 0.171.0"\n');
    chmodSync(cli, 0o755);
    const file = join(dir, `${name}.yaml`);
    writeFileSync(
      file,
      `agents:\n  defaults: { adapter: codex, command: [${JSON.stringify(cli)}] }\n`,
    );
    return file;
  };
  const agentChecks = async (args: string[], extra: Record<string, string>) => {
    const r = await orch(['doctor', '--json', ...args], { ...env, ...extra });
    const report = JSON.parse(r.stdout) as Report;
    return report.checks.map((c) => c.name).filter((n) => n.startsWith('agent '));
  };

  beforeAll(async () => {
    expect((await orch(['db', 'migrate'], env)).code).toBe(0);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('orch doctor loads the file ORCH_CONFIG names when --config is not given', async () => {
    const fromEnv = configNaming('env-cli');
    expect(await agentChecks([], { ORCH_CONFIG: fromEnv })).toEqual([
      `agent ${join(dir, 'env-cli')}`,
    ]);
  });

  it('--config wins over ORCH_CONFIG', async () => {
    const fromEnv = configNaming('env-cli');
    const fromFlag = configNaming('flag-cli');
    expect(await agentChecks(['--config', fromFlag], { ORCH_CONFIG: fromEnv })).toEqual([
      `agent ${join(dir, 'flag-cli')}`,
    ]);
  });

  it('a missing file named by ORCH_CONFIG is CONFIG_NOT_FOUND, exit 1', async () => {
    const r = await orch(['doctor'], { ...env, ORCH_CONFIG: join(dir, 'absent.yaml') });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('CONFIG_NOT_FOUND');
  });
});
