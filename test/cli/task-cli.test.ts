import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSampleRepo } from '../../src/demo/sample-repo.js';
import { git } from '../../src/git/git.js';
import { orchInProcess as orch } from '../helpers/run-cli.js';

/**
 * `orch task …` as a person uses it: refused or no-op actions exit 1 with a code (never a silent
 * 0), and resume brings a parked item back with the person's note.
 */
const dir = mkdtempSync(join(tmpdir(), 'orch-task-cli-'));
const env = { ORCH_DATA_DIR: join(dir, '.orch'), ORCH_DB_URL: `sqlite:${join(dir, 'orch.db')}` };
const task = (...args: string[]) => orch(['task', ...args], env, dir);

beforeAll(async () => {
  writeFileSync(
    join(dir, 'orch.config.yaml'),
    'projects:\n  - key: TC\n    repo: tc\n    tracker: { kind: local, approvers: [alice] }\n',
  );
  const seed = join(dir, 'seed');
  mkdirSync(seed);
  await createSampleRepo(seed);
  mkdirSync(join(dir, '.orch', 'forge'), { recursive: true });
  await git(['clone', '--quiet', '--bare', seed, join(dir, '.orch', 'forge', 'tc.git')], {
    cwd: dir,
  });
  // The first command in a new directory: --create makes its database.
  expect((await task('create', '--project', 'TC', '--title', 'Try the CLI', '--create')).code).toBe(
    0,
  );
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('orch task actions', () => {
  it('refuses an approval from someone who is not an approver, naming who it acted as', async () => {
    const r = await task('approve', 'TC-001', '--as', 'mallory');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('NOT_AN_APPROVER');
    expect(r.stderr).toContain('"mallory" is not an approver of project TC (approvers: alice)');
  });

  it('exits 1 with a code when there is nothing to approve, answer or resume', async () => {
    const approve = await task('approve', 'TC-001', '--as', 'alice');
    expect([approve.code, approve.stderr]).toEqual([
      1,
      expect.stringContaining('NOTHING_TO_APPROVE'),
    ]);
    const answer = await task('answer', 'TC-001', 'use miles', '--as', 'alice');
    expect([answer.code, answer.stderr]).toEqual([
      1,
      expect.stringContaining('NOT_WAITING_FOR_INPUT'),
    ]);
    const resume = await task('resume', 'TC-001');
    expect([resume.code, resume.stderr]).toEqual([1, expect.stringContaining('NOTHING_TO_RESUME')]);
  });

  it('says in --help which identity it acts as by default', async () => {
    const r = await task('approve', '--help');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('default: $USER');
  });

  it('cancels once, then resumes the cancelled item with the note in its agent prompt', async () => {
    expect((await task('cancel', 'TC-001', 'wrong repo')).code).toBe(0);
    const again = await task('cancel', 'TC-001');
    expect([again.code, again.stderr]).toEqual([1, expect.stringContaining('NOTHING_TO_CANCEL')]);
    const shown = JSON.parse((await task('show', 'TC-001', '--json')).stdout) as {
      way_out: string;
    };
    expect(shown.way_out).toContain('orch task resume TC-001');

    const r = await task('resume', 'TC-001', '--note', 'right repo now', '--as', 'alice', '--json');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ result: { kind: 'rerun', role: 'analyst' } });
    const after = JSON.parse((await task('show', 'TC-001', '--json')).stdout) as {
      task: { state: string; devRetries: number };
      events: { type: string; message: string }[];
    };
    expect(after.task).toMatchObject({ state: 'active', devRetries: 0 });
    expect(after.events.at(-2)).toMatchObject({
      type: 'resumed',
      message: 'resumed by alice at analysis: right repo now',
    });
    const jobs = JSON.parse(
      (await orch(['jobs', 'list', '--json', '--kind', 'analyst'], env, dir)).stdout,
    ) as { status: string; payload: { prompt: string } }[];
    expect(jobs[0]!.status).toBe('queued');
    expect(jobs[0]!.payload.prompt).toContain('Note from alice: right repo now');
  });
});
