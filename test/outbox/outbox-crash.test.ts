import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { RecordingNotifier } from '../../src/integrations/notify/notifier.js';
import { branchName } from '../../src/pipeline/task.js';
import { crashRuntime } from '../helpers/crash-runtime.js';
import { describeEachDialect } from '../helpers/test-db.js';

/** Runs the crash child until it has committed, then kills it with SIGKILL. */
function commitThenKill(url: string, dataDir: string, taskId: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', 'test/fixtures/outbox-crash-child.ts', url, dataDir, String(taskId)],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('\n')) child.kill('SIGKILL');
    });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (signal !== 'SIGKILL') return reject(new Error(`child exited ${code}: ${err}`));
      resolve(out.trim());
    });
  });
}

describeEachDialect('outbox across kill -9', ({ current }) => {
  it('loses no side effect when Orch is killed between the commit and the delivery', async () => {
    const { url } = current();
    const dataDir = mkdtempSync(join(tmpdir(), 'orch-crash-'));
    const setup = await crashRuntime(url, dataDir);
    const item = await setup.tracker.createItem('CR', { title: 'Crash me' });
    const { task } = await setup.db.tx((q) =>
      setup.tasks.create(
        q,
        {
          projectKey: 'CR',
          prefix: 'CR',
          trackerKind: 'local',
          trackerProjectId: 'CR',
          trackerItemId: item.ref.itemId,
          title: 'Crash me',
          repo: 'crash',
          baseBranch: 'main',
          stage: 'development',
          track: 'full',
          branchFor: (id) => branchName(id, 'Crash me'),
        },
        setup.clock.now(),
      ),
    );
    await setup.stop();

    expect(await commitThenKill(url, dataDir, task.id)).toBe('committed blocked');

    const notifier = new RecordingNotifier();
    const rt = await crashRuntime(url, dataDir, notifier);
    try {
      expect((await rt.tasks.mustGet(task.id)).state).toBe('blocked');
      expect(await rt.tracker.listComments(item.ref)).toEqual([]);
      expect(notifier.events).toEqual([]);
      expect(await rt.outbox.status()).toMatchObject({ pending: 3 });

      await rt.outbox.runOnce();

      const comments = await rt.tracker.listComments(item.ref);
      expect(comments.map((c) => c.body)).toEqual(['⛔ Blocked: the crash test blocked it']);
      expect((await rt.tracker.getItem(item.ref)).stateName).toBe('Blocked');
      expect(notifier.ofType('task_blocked').map((e) => e.message)).toEqual([
        'the crash test blocked it',
      ]);
      expect(await rt.outbox.status()).toMatchObject({ pending: 0, delivered: 3, dead: 0 });
    } finally {
      await rt.stop();
    }
  }, 60_000);
});
