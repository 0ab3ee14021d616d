import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { orchInProcess as orch } from '../helpers/run-cli.js';

/** `orch repo coverage`: read and override a repository's coverage baseline from the shell. */
const dir = mkdtempSync(join(tmpdir(), 'orch-repo-cli-'));
const env = { ORCH_DATA_DIR: join(dir, '.orch'), ORCH_DB_URL: `sqlite:${join(dir, 'orch.db')}` };
writeFileSync(
  join(dir, 'orch.config.yaml'),
  'projects:\n  - key: RC\n    repo: rc\n    tracker: { kind: local, approvers: [alice] }\n',
);
const repo = (...args: string[]) => orch(['repo', ...args], env, dir);
beforeAll(async () => {
  expect((await orch(['db', 'migrate'], env, dir)).code).toBe(0);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('orch repo coverage', () => {
  it('reads, sets (up or down) and refuses a percentage outside 0-100', async () => {
    const none = await repo('coverage', 'rc');
    expect([none.code, none.stdout]).toEqual([
      0,
      expect.stringContaining('rc: no coverage baseline yet'),
    ]);

    const set = await repo('coverage', 'rc', '--set', '81.5', '--by', 'alice');
    expect([set.code, set.stdout]).toEqual([
      0,
      expect.stringContaining('rc: coverage baseline 81.5% (set by alice,'),
    ]);

    const down = await repo('coverage', 'rc', '--set', '70', '--json');
    expect(down.code).toBe(0);
    expect(JSON.parse(down.stdout)).toMatchObject({
      repo: 'rc',
      baseline: { pct: 70, set_by: 'operator' },
    });

    for (const bad of ['120', '-1', 'abc', '']) {
      const r = await repo('coverage', 'rc', '--set', bad);
      expect([r.code, r.stderr]).toEqual([2, expect.stringContaining('USAGE')]);
    }
    // A typo names no project's repository: refused, nothing set.
    const typo = await repo('coverage', 'RC', '--set', '90');
    expect([typo.code, typo.stderr]).toEqual([
      1,
      expect.stringContaining('REPO_NOT_FOUND: no project uses repository "RC" (known: rc)'),
    ]);
    const freeze = await repo('freeze', 'Rc');
    expect([freeze.code, freeze.stderr]).toEqual([1, expect.stringContaining('REPO_NOT_FOUND')]);
    const still = await repo('coverage', 'rc', '--json');
    expect(JSON.parse(still.stdout)).toMatchObject({ baseline: { pct: 70 } });
  });
});
