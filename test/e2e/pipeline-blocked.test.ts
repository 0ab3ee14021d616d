import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { parseConfigFile } from '../../src/config/config-file.js';
import { createSampleRepo, SAMPLE_TEST_COMMAND } from '../../src/demo/sample-repo.js';
import { RecordingNotifier } from '../../src/integrations/notify/notifier.js';
import { silentLogger } from '../../src/log.js';
import { intake } from '../../src/pipeline/intake.js';
import { DEFAULT_PIPELINE } from '../../src/pipeline/stages.js';
import { createRuntime } from '../../src/runtime.js';
import { describeEachDialect } from '../helpers/test-db.js';

describeEachDialect('pipeline with real agent processes', ({ current }) => {
  it('ends Blocked with an alert when tests keep failing past the developer retry cap', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'orch-e2e-'));
    const notifier = new RecordingNotifier();
    const rt = await createRuntime({
      config: loadConfig(
        { ORCH_DATA_DIR: dataDir, ORCH_QUEUE_POLL_INTERVAL_MS: '100' },
        { dbUrl: current().url },
      ),
      configFile: parseConfigFile({ agents: { defaults: { adapter: 'scripted' } } }),
      log: silentLogger,
      notifier,
      projects: ({ forge, tracker }) => [
        {
          key: 'BUG',
          prefix: 'BUG',
          repo: 'trails',
          baseBranch: 'main',
          tracker,
          trackerProjectId: 'BUG',
          forge,
          pipeline: DEFAULT_PIPELINE,
          testCommand: SAMPLE_TEST_COMMAND,
          testTimeoutMs: 60_000,
          approvers: ['alice'],
          maxDeveloperRetries: 1,
          scenario: { tester: 'fail_always' },
        },
      ],
    });
    try {
      mkdirSync(join(dataDir, 'seed'));
      await createSampleRepo(join(dataDir, 'seed'));
      mkdirSync(join(dataDir, 'forge'));
      await rt.forge.importRepo('trails', join(dataDir, 'seed'));
      const item = await rt.tracker.createItem('BUG', { title: 'Crash on empty trail' });
      const project = rt.projects.get('BUG');
      const { task } = await intake(
        rt.core,
        rt.workspace,
        project,
        {
          trackerItemId: item.ref.itemId,
          title: 'Crash on empty trail',
          description: 'boom',
          track: 'bug',
        },
        silentLogger,
      );
      await rt.start();
      let t = task;
      for (let i = 0; i < 600 && t.state !== 'blocked' && t.state !== 'done'; i++) {
        await new Promise((r) => setTimeout(r, 100));
        t = (await rt.tasks.get(task.id))!;
        if (t.state === 'awaiting_approval')
          await rt.pipeline.onComment(t.id, { body: ':approved:', authorIds: ['alice'] });
      }
      expect(t).toMatchObject({ state: 'blocked', stage: 'testing', devRetries: 1 });
      expect(t.lastError).toContain('developer retries exhausted');
      // The alert follows the commit that blocked the task: give it a moment to be delivered.
      for (let i = 0; i < 50 && notifier.ofType('task_blocked').length === 0; i++) {
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(notifier.ofType('task_blocked')).toHaveLength(1);
      const kinds = (await rt.admin.list({ taskId: task.id, limit: 50 }))
        .reverse()
        .map((j) => j.kind);
      // Bug track: no architect. One rollback from testing, then blocked.
      expect(kinds).toEqual([
        'analyst',
        'developer',
        'reviewer',
        'tester',
        'developer',
        'reviewer',
        'tester',
      ]);
      const runs = await rt.db.all<{ outcome: string }>('select outcome from agent_runs');
      expect(runs.every((r) => r.outcome === 'success')).toBe(true);
      const comments = await rt.tracker.listComments(item.ref);
      expect(comments.at(-1)?.body).toContain('Blocked');
    } finally {
      await rt.stop();
    }
  }, 180_000);
});
