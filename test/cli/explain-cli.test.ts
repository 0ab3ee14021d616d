import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSampleRepo } from '../../src/demo/sample-repo.js';
import { git } from '../../src/git/git.js';
import { orchInProcess as orch } from '../helpers/run-cli.js';

/** `orch explain <ID>` as a person uses it: text by default, the structure with --json. */
const dir = mkdtempSync(join(tmpdir(), 'orch-explain-cli-'));
const env = { ORCH_DATA_DIR: join(dir, '.orch'), ORCH_DB_URL: `sqlite:${join(dir, 'orch.db')}` };
const run = (...args: string[]) => orch(args, env, dir);

beforeAll(async () => {
  writeFileSync(
    join(dir, 'orch.config.yaml'),
    'projects:\n  - key: XC\n    repo: xc\n    tracker: { kind: local, approvers: [alice] }\n',
  );
  const seed = join(dir, 'seed');
  mkdirSync(seed);
  await createSampleRepo(seed);
  mkdirSync(join(dir, '.orch', 'forge'), { recursive: true });
  await git(['clone', '--quiet', '--bare', seed, join(dir, '.orch', 'forge', 'xc.git')], {
    cwd: dir,
  });
  // The first command in a new directory: --create makes its database.
  for (const title of ['First', 'Second'])
    expect(
      await run('task', 'create', '--project', 'XC', '--title', title, '--create'),
    ).toMatchObject({
      code: 0,
    });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('orch explain', () => {
  it('prints why a queued item waits: its job and how many jobs are ahead of it', async () => {
    const r = await run('explain', 'XC-002');
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe('XC-002 — analysis (active)');
    expect(lines[1]).toMatch(
      /^ {2}• \[queued\] Job \d+ \(analyst\) is queued since \S+ behind 1 job its worker takes first \(kinds: analyst, /,
    );
    expect(r.stdout).toContain('cannot be seen from this command');
  });

  it('prints the structure with --json', async () => {
    const r = await run('explain', 'XC-001', '--json');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({
      workItemId: 'XC-001',
      stage: 'analysis',
      state: 'active',
      reasons: [{ code: 'queued', details: { kind: 'analyst', ahead: 0 } }],
    });
  });

  it('exits 1 with TASK_NOT_FOUND for an unknown item', async () => {
    const r = await run('explain', 'XC-404');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('TASK_NOT_FOUND');
  });
});
