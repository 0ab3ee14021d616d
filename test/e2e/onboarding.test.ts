import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { createSampleRepo, SAMPLE_TEST_COMMAND } from '../../src/demo/sample-repo.js';
import { git, gitMaybe } from '../../src/git/git.js';
import type { Task } from '../../src/pipeline/task.js';
import { openDb } from '../../src/store/open-db.js';
import { TaskStore } from '../../src/store/tasks/task-store.js';
import { orchInProcess } from '../helpers/run-cli.js';

/**
 * Issue 18's "done when": from an empty directory and a git repository of the user's own that
 * has a test — `orch init`, `orch project add`, `orch serve`, `orch task create`, approve — the
 * item reaches done with the documented example agent (examples/command-agent.sh), and the
 * user's repository's base branch (checked out, clean) has the merged change. SQLite only: `init`
 * sets up a SQLite store by default.
 */
const AGENT = join(process.cwd(), 'examples', 'command-agent.sh');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The defaults a new user has: no ORCH_* settings (the test's own are cleared). */
const ENV = {
  ORCH_DB_URL: '',
  ORCH_CONFIG: '',
  ORCH_DATA_DIR: '',
  ORCH_QUEUE_POLL_INTERVAL_MS: '100',
};

function serve(cwd: string): ChildProcess {
  return spawn(
    process.execPath,
    [
      '--import',
      import.meta.resolve('tsx'),
      `${process.cwd()}/src/cli/main.ts`,
      'serve',
      '--port',
      '0',
    ],
    { cwd, env: { ...process.env, ORCH_LOG_LEVEL: 'silent', ...ENV }, stdio: 'ignore' },
  );
}

async function until<T>(what: string, fn: () => Promise<T | null>, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== null) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(250);
  }
}

it('takes a new user from orch init to a done item merged into their own repository', async () => {
  const root = mkdtempSync(join(tmpdir(), 'orch-onboarding-'));
  const user = join(root, 'trails');
  const work = join(root, 'orch');
  mkdirSync(user);
  mkdirSync(work);
  await createSampleRepo(user);
  const orch = (...args: string[]) => orchInProcess(args, ENV, work);

  expect((await orch('init')).code).toBe(0);
  // The documented switch to the example command agent (docs/agents.md).
  const configFile = join(work, 'orch.config.yaml');
  const text = readFileSync(configFile, 'utf8');
  writeFileSync(
    configFile,
    text.replace(
      'agents:\n  defaults:\n    adapter: claude-code\n',
      `agents:\n  defaults:\n    adapter: command\n    command: [${JSON.stringify(AGENT)}, "{role}", "{taskFile}"]\n`,
    ),
  );
  const added = await orch(
    'project',
    'add',
    'TR',
    '--repo',
    user,
    '--test-command',
    SAMPLE_TEST_COMMAND.join(' '),
    '--approver',
    'alice',
  );
  expect(added.code, added.stderr).toBe(0);

  const db = openDb(`sqlite:${join(work, '.orch', 'orch.db')}`);
  const tasks = new TaskStore(db);
  const server = serve(work);
  try {
    const created = await orch('task', 'create', '--project', 'TR', '--title', 'Export GPX');
    expect(created.code, created.stderr).toBe(0);
    const task = async () => (await tasks.byWorkItem('TR-001')) ?? null;
    await until(
      'analysis approval',
      async () => ((await task())?.state === 'awaiting_approval' ? true : null),
      120_000,
    );
    expect((await orch('task', 'approve', 'TR-001', '--as', 'alice')).code).toBe(0);
    const done: Task = await until(
      'done',
      async () => {
        const t = await task();
        return t && (t.state === 'done' || t.state === 'blocked') ? t : null;
      },
      240_000,
    );
    expect(done, done.lastError ?? '').toMatchObject({ stage: 'done', state: 'done' });

    // The merge reached the user's repository: branch, and (clean checkout) the working tree.
    const forgeMain = await gitMaybe(['rev-parse', 'refs/heads/main'], {
      cwd: join(work, '.orch', 'forge', 'trails.git'),
    });
    await until(
      'the push back',
      async () =>
        (await gitMaybe(['rev-parse', 'refs/heads/main'], { cwd: user })) === forgeMain
          ? true
          : null,
      60_000,
    );
    expect(existsSync(join(user, 'docs', 'work-items', 'TR-001', '01-brd.md'))).toBe(true);
    expect(await gitMaybe(['status', '--porcelain'], { cwd: user })).toBe('');
    // The push updates the user's branch before its outbox delivery records the event.
    const pushedBack = await until(
      'the pushed_back event',
      async () => {
        const types = (await tasks.events(done.id)).map((e) => e.type);
        return types.includes('pushed_back') ? types : null;
      },
      10_000,
    );
    expect(pushedBack).toContain('pushed_back');

    // A second item while the user has uncommitted changes on main: nothing of theirs is
    // overwritten, the item stays done, and its timeline says what to run.
    writeFileSync(join(user, 'README.md'), '# trails, being edited\n');
    const mine = await gitMaybe(['rev-parse', 'refs/heads/main'], { cwd: user });
    expect((await orch('task', 'create', '--project', 'TR', '--title', 'Units')).code).toBe(0);
    const second = async () => (await tasks.byWorkItem('TR-002')) ?? null;
    const failed = await until(
      'the refused push back',
      async () => {
        const t = await second();
        if (t?.state === 'awaiting_approval')
          await orch('task', 'approve', 'TR-002', '--as', 'alice');
        if (t?.state === 'blocked') throw new Error(`TR-002 blocked: ${t.lastError ?? ''}`);
        const e = t && (await tasks.events(t.id)).find((x) => x.type === 'push_back_failed');
        return e ?? null;
      },
      240_000,
    );
    const forgeRepo = join(work, '.orch', 'forge', 'trails.git');
    expect(failed.message).toContain(`git -C ${user} pull --no-rebase ${forgeRepo} main`);
    expect(await second()).toMatchObject({ state: 'done' });
    expect(await gitMaybe(['rev-parse', 'refs/heads/main'], { cwd: user })).toBe(mine);
    expect(readFileSync(join(user, 'README.md'), 'utf8')).toBe('# trails, being edited\n');

    // The user drops the edit, runs the hint's pull (works on current git), and commits a file
    // of their own: the forge follows (fast-forward), the next item's branch has the file, and
    // its push back succeeds with both in the user's repository.
    const ug = (...args: string[]) =>
      git(['-c', 'user.name=u', '-c', 'user.email=u@u', ...args], { cwd: user });
    await ug('checkout', '--', 'README.md');
    await ug('pull', '--quiet', '--no-rebase', forgeRepo, 'main');
    writeFileSync(join(user, 'NOTES.md'), '# notes of my own\n');
    await ug('add', 'NOTES.md');
    await ug('commit', '--quiet', '-m', 'my notes');
    const notes = await ug('rev-parse', 'HEAD');
    await until(
      'the forge to follow the user',
      async () =>
        (await gitMaybe(['merge-base', '--is-ancestor', notes, 'main'], { cwd: forgeRepo })) !==
        null
          ? true
          : null,
      60_000,
    );
    expect((await orch('task', 'create', '--project', 'TR', '--title', 'Notes')).code).toBe(0);
    const third = async () => (await tasks.byWorkItem('TR-003')) ?? null;
    const pushed = await until(
      'the third push back',
      async () => {
        const t = await third();
        if (t?.state === 'awaiting_approval')
          await orch('task', 'approve', 'TR-003', '--as', 'alice');
        if (t?.state === 'blocked') throw new Error(`TR-003 blocked: ${t.lastError ?? ''}`);
        const ev = t ? await tasks.events(t.id) : [];
        const bad = ev.find((x) => x.type === 'push_back_failed');
        if (bad) throw new Error(bad.message);
        return ev.find((x) => x.type === 'pushed_back') ?? null;
      },
      240_000,
    );
    expect(pushed.type).toBe('pushed_back');
    const branch = (await third())?.branch ?? '';
    expect(await gitMaybe(['merge-base', '--is-ancestor', notes, branch], { cwd: forgeRepo })).toBe(
      '',
    );
    expect(await gitMaybe(['rev-parse', 'refs/heads/main'], { cwd: user })).toBe(
      await gitMaybe(['rev-parse', 'refs/heads/main'], { cwd: forgeRepo }),
    );
    expect(readFileSync(join(user, 'NOTES.md'), 'utf8')).toBe('# notes of my own\n');
    expect(existsSync(join(user, 'docs', 'work-items', 'TR-003', '01-brd.md'))).toBe(true);
  } finally {
    if (server.exitCode === null) {
      server.kill('SIGTERM');
      await new Promise((r) => server.once('exit', r));
    }
    await db.close();
    rmSync(root, { recursive: true, force: true });
  }
}, 480_000);
