import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { createSampleRepo } from '../../src/demo/sample-repo.js';
import { git } from '../../src/git/git.js';
import { TaskStore } from '../../src/store/tasks/task-store.js';
import type { Task } from '../../src/pipeline/task.js';
import { openDb } from '../../src/store/open-db.js';
import { runCli } from '../helpers/run-cli.js';
import { describeEachDialect } from '../helpers/test-db.js';

/**
 * `kill -9` of `orch serve` while a developer's after-run step (commit, push, PR, the local test
 * gate) is running. A new `orch serve` on the same store must pick the work up: the item reaches
 * done, merged once, with every stage change recorded once.
 */
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** `orch serve` from source in `cwd` (which holds orch.config.yaml), as a real process. */
function serve(cwd: string, env: Record<string, string>): ChildProcess {
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
    { cwd, env: { ...process.env, ORCH_LOG_LEVEL: 'silent', ...env }, stdio: 'ignore' },
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

describeEachDialect('kill -9 during the after-run hook', ({ current }) => {
  it('recovers on restart: the item reaches done and no step doubled', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'orch-kill-'));
    const marks = join(dir, 'marks');
    mkdirSync(marks);
    // The local test gate runs inside the developer's after-run step: the first time it says
    // so (with its pid) and waits, so the test can kill Orch right there.
    const testCommand = [
      'sh',
      '-c',
      `if [ ! -e ${marks}/killed ]; then echo $$ > ${marks}/in-hook; sleep 60; fi; node --test`,
    ];
    const config = join(dir, 'orch.config.yaml'); // JSON is YAML
    writeFileSync(
      config,
      JSON.stringify({
        agents: { defaults: { adapter: 'scripted' } },
        projects: [
          {
            key: 'KD',
            repo: 'kd',
            tracker: { kind: 'local', approvers: ['alice'] },
            testCommand,
          },
        ],
      }),
    );
    const seed = join(dir, 'seed');
    mkdirSync(seed);
    await createSampleRepo(seed);
    mkdirSync(join(dir, '.orch', 'forge'), { recursive: true });
    await git(['clone', '--quiet', '--bare', seed, join(dir, '.orch', 'forge', 'kd.git')], {
      cwd: dir,
    });
    const env = {
      ORCH_DATA_DIR: join(dir, '.orch'),
      ORCH_DB_URL: current().url,
      ORCH_QUEUE_POLL_INTERVAL_MS: '100',
      ORCH_LEASE_SECONDS: '5',
    };
    const cli = (...args: string[]) => runCli([...args, '--config', config], env, dir);
    expect(cli('task', 'create', '--project', 'KD', '--title', 'Kill me').code).toBe(0);

    const db = openDb(current().url);
    const tasks = new TaskStore(db);
    const task = async () => (await tasks.byWorkItem('KD-001'))!;
    let orch = serve(dir, env);
    try {
      await until(
        'analysis approval',
        async () => ((await task()).state === 'awaiting_approval' ? true : null),
        120_000,
      );
      expect(cli('task', 'approve', 'KD-001', '--as', 'alice').code).toBe(0);
      const hookPid = await until(
        'the after-run hook',
        () =>
          Promise.resolve(
            existsSync(join(marks, 'in-hook'))
              ? Number(readFileSync(join(marks, 'in-hook'), 'utf8'))
              : null,
          ),
        120_000,
      );
      orch.kill('SIGKILL');
      await new Promise((r) => orch.once('exit', r));
      process.kill(hookPid, 'SIGKILL'); // the test command Orch left behind
      writeFileSync(join(marks, 'killed'), '');
      expect((await task()).stage).toBe('development');

      orch = serve(dir, env);
      const done: Task = await until(
        'done',
        async () => {
          const t = await task();
          if (t.state === 'awaiting_approval') cli('task', 'approve', 'KD-001', '--as', 'alice');
          return t.state === 'done' || t.state === 'blocked' ? t : null;
        },
        240_000,
      );
      expect(done).toMatchObject({ stage: 'done', state: 'done' });
      const pr = await db.get<{ merged: number }>(
        'select merged from local_pull_requests where repo = $1 and head = $2',
        ['kd', done.branch],
      );
      expect(pr?.merged).toBe(1);
      const changes = (await tasks.events(done.id))
        .filter((e) => e.type === 'stage_changed')
        .map((e) => e.message);
      expect(changes).toEqual([...new Set(changes)]);
      expect(changes).toContain('development → review');
    } finally {
      orch.kill('SIGTERM');
      await db.close();
    }
  }, 480_000);
});
