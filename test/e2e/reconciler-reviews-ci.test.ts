import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { parseConfigFile } from '../../src/config/config-file.js';
import { createSampleRepo } from '../../src/demo/sample-repo.js';
import { serverForRuntime } from '../../src/http/runtime-server.js';
import { silentLogger } from '../../src/log.js';
import { intake } from '../../src/pipeline/intake.js';
import type { Task } from '../../src/pipeline/task.js';
import { createRuntime, type Runtime } from '../../src/runtime.js';
import { GiteaStub } from '../helpers/stubs/gitea-stub.js';
import { giteaDelivery } from '../helpers/stubs/webhook-deliveries.js';
import { describeEachDialect } from '../helpers/test-db.js';
import { drive, fileItem, matrixRuntime, remoteHead } from './failure-matrix-harness.js';

/**
 * Reconciler completeness (issue 17), forge side, with real git and real scripted agents: a lost
 * PR review is found by polling the forge and applied as its webhook would have been (a request
 * for changes sends the item back to development, an approval re-evaluates the stage), once per
 * review; and a Gitea commit-status webhook re-evaluates an item whose stage waits on
 * `check_ci_green` (green advances it at once, red is reported and rolls nothing back).
 *
 * Both use a worker-less `ci` stage after review, gated on `check_ci_green`: the item sits there,
 * active with no job, until CI (or a person) moves it.
 */
const CI_STAGE = { name: 'ci', worker: null, gate: 'check_ci_green' };
const CI_TRACK = ['created', 'analysis', 'development', 'review', 'ci', 'done'];

async function eventsOf(rt: Runtime, id: number) {
  return rt.tasks.events(id);
}

async function processed(rt: Runtime, taskId: number) {
  return rt.db.all<{ comment_id: string; outcome: string }>(
    'select comment_id, outcome from processed_comments where task_id = $1 order by comment_id',
    [taskId],
  );
}

describeEachDialect('reconciler: lost PR reviews', ({ current }) => {
  it('applies a lost request for changes once, and a lost approval once the stage is green', async () => {
    const { rt } = await matrixRuntime(
      current().url,
      [{ key: 'RV', scenario: {}, stages: [CI_STAGE], tracks: { full: CI_TRACK } }],
      // The quiet-task re-evaluation leaves `ci` alone for an hour: only a review moves it here.
      { env: { ORCH_RECONCILE_GRACE_OVERRIDES_JSON: '{"ci":3600}' } },
    );
    try {
      const filed = await fileItem(rt, 'RV');
      await rt.start({ daemons: false });
      const inCi = (t: Task) => (t.stage === 'ci' && t.state === 'active') || t.state === 'blocked';
      let task = (await drive(rt, [filed.id], inCi, 150_000)).get(filed.id)!;
      expect([task.stage, task.state, task.prNumber]).toEqual(['ci', 'active', 1]);
      await rt.recovery.reconciler.runOnce();
      expect((await rt.tasks.get(task.id))!.stage).toBe('ci'); // no review yet, nothing moves

      // A reviewer requests changes; the webhook is lost. The reconciler's tick finds the review.
      const rejection = await rt.forge.addReview('rv', 1, {
        verdict: 'rejected',
        author: 'bob',
        body: 'Rename the flag before this ships.',
      });
      await rt.recovery.reconciler.runOnce();
      task = (await rt.tasks.get(task.id))!;
      expect([task.stage, task.devRetries]).toEqual(['development', 1]);
      const rollback = (await eventsOf(rt, task.id)).filter((e) => e.type === 'rollback');
      expect(rollback.map((e) => e.message)).toEqual([
        expect.stringContaining('Changes requested by bob'),
      ]);
      const developer = (await rt.db.get<{ payload: string }>(
        "select payload from jobs where task_id = $1 and kind = 'developer' order by id desc limit 1",
        [task.id],
      ))!;
      expect(developer.payload).toContain('Rename the flag before this ships.');
      expect(await processed(rt, task.id)).toEqual([
        { comment_id: `pr-review:${rejection.id}`, outcome: 'rejected: rolled_back' },
      ]);
      // Applied once: another tick changes nothing.
      await rt.recovery.reconciler.runOnce();
      expect((await rt.tasks.get(task.id))!.devRetries).toBe(1);

      // The developer and the reviewer run again; the item is back in ci. CI turns green, but
      // within the stage's grace the quiet-task path leaves it, and the old rejection belongs to
      // the earlier visit.
      task = (await drive(rt, [task.id], inCi, 150_000)).get(task.id)!;
      expect([task.stage, task.state]).toEqual(['ci', 'active']);
      const head = remoteHead(rt, 'rv', task.branch)!;
      await rt.forge.setStatus('rv', head, {
        context: 'ci/test',
        state: 'success',
        description: 'all green',
      });
      await rt.recovery.reconciler.runOnce();
      expect((await rt.tasks.get(task.id))!.stage).toBe('ci');

      // The approval's webhook is lost too: the poll applies it, and the green stage advances.
      const approval = await rt.forge.addReview('rv', 1, { verdict: 'approved', author: 'bob' });
      await rt.recovery.reconciler.runOnce();
      task = (await rt.tasks.get(task.id))!;
      expect([task.stage, task.state]).toEqual(['done', 'done']);
      expect(await processed(rt, task.id)).toContainEqual({
        comment_id: `pr-review:${approval.id}`,
        outcome: 'approved: advanced',
      });
      expect(rt.recovery.reconciler.status()).toMatchObject({
        reviews_enabled: true,
        reviews_applied_total: 2,
      });
    } finally {
      await rt.stop();
    }
  }, 400_000);
});

const SECRET = 'gitea-secret';

async function giteaRuntime(dbUrl: string, root: string, gitea: GiteaStub): Promise<Runtime> {
  const seed = join(root, 'seed');
  mkdirSync(seed, { recursive: true });
  await createSampleRepo(seed);
  const bare = join(root, 'git', 'acme', 'trails.git');
  mkdirSync(join(root, 'git', 'acme'), { recursive: true });
  execFileSync('git', ['init', '--quiet', '--bare', '--initial-branch', 'main', bare]);
  execFileSync('git', ['push', '--quiet', bare, 'HEAD:refs/heads/main'], { cwd: seed });
  gitea.addRepo('acme/trails');
  gitea.gitRoot = join(root, 'git');
  return createRuntime({
    config: loadConfig(
      {
        ORCH_DATA_DIR: join(root, 'data'),
        ORCH_QUEUE_POLL_INTERVAL_MS: '100',
        ORCH_GITEA_URL: gitea.url,
        ORCH_GITEA_TOKEN: gitea.token,
        ORCH_GITEA_GIT_URL: join(root, 'git'),
        ORCH_GITEA_WEBHOOK_SECRET: SECRET,
        ORCH_GITEA_BOT_USERNAME: 'orch-bot',
      },
      { dbUrl },
    ),
    configFile: parseConfigFile({
      agents: { defaults: { adapter: 'scripted', timeoutS: 20, idleTimeoutS: 12 } },
      projects: [
        {
          key: 'CI',
          repo: 'trails',
          tracker: { kind: 'local', approvers: ['alice'] },
          forge: { kind: 'gitea', owner: 'acme', repo: 'trails' },
          testCommand: ['node', '--test'],
          pipeline: { stages: [CI_STAGE], tracks: { full: CI_TRACK } },
        },
      ],
    }),
    log: silentLogger,
  });
}

/** A Gitea `status` delivery (CommitStatusPayload) from the CI's user. */
function statusDelivery(sha: string, state: string) {
  return giteaDelivery(
    {
      id: 1,
      sha,
      context: 'ci/test',
      state,
      description: state === 'success' ? 'all green' : '2 tests failed',
      target_url: 'http://ci.example/runs/1',
      repository: { id: 1, name: 'trails', full_name: 'acme/trails', owner: { login: 'acme' } },
      sender: { id: 9, login: 'ci-runner' },
      created_at: '2026-01-01T00:00:00Z',
      updated_at: '2026-01-01T00:00:00Z',
    },
    { secret: SECRET, event: 'status' },
  );
}

describeEachDialect('commit-status webhooks', ({ current }) => {
  it('re-evaluates an item waiting on check_ci_green: red is reported, green advances it', async () => {
    const root = mkdtempSync(join(tmpdir(), 'orch-ci-'));
    const gitea = await new GiteaStub().start();
    let rt: Runtime | undefined;
    try {
      rt = await giteaRuntime(current().url, root, gitea);
      const app = serverForRuntime(rt);
      const item = await rt.tracker.createItem('CI', { title: 'Miles display' });
      const { task: filed } = await intake(
        rt.core,
        rt.workspace,
        rt.projects.get('CI'),
        { trackerItemId: item.ref.itemId, title: 'Miles display', description: 'Show miles' },
        silentLogger,
      );
      await rt.start({ daemons: false });
      const ready = (t: Task) =>
        (t.stage === 'ci' && t.state === 'active') || t.state === 'blocked';
      const approve = async (t: Task) => {
        if (t.state === 'awaiting_approval')
          await rt!.pipeline.onComment(t.id, { body: ':approved:', authorIds: ['alice'] });
      };
      let task = filed;
      for (const deadline = Date.now() + 150_000; !ready(task);) {
        if (Date.now() > deadline) throw new Error(`timed out: ${task.stage}/${task.state}`);
        await approve(task);
        await new Promise((r) => setTimeout(r, 200));
        task = (await rt.tasks.get(task.id))!;
      }
      expect([task.stage, task.state]).toEqual(['ci', 'active']);
      const head = execFileSync('git', ['rev-parse', `refs/heads/${task.branch}`], {
        cwd: join(root, 'git', 'acme', 'trails.git'),
        encoding: 'utf8',
      }).trim();
      const statuses = gitea.repos.get('acme/trails')!.statuses;
      const report = (state: string) =>
        statuses.set(head, [
          ...(statuses.get(head) ?? []),
          { state, context: 'ci/test', description: state },
        ]);
      const deliver = async (sha: string, state: string) => {
        const d = statusDelivery(sha, state);
        const res = await app.inject({
          method: 'POST',
          url: '/webhook/gitea',
          headers: d.headers,
          payload: d.rawBody,
        });
        expect(res.statusCode).toBe(202);
        const jobId = res.json<{ jobId: number }>().jobId;
        for (const deadline = Date.now() + 30_000; Date.now() < deadline;) {
          const job = await rt!.queue.get(jobId);
          if (job?.status === 'done' || job?.status === 'failed') return job.result;
          await new Promise((r) => setTimeout(r, 100));
        }
        throw new Error(`status delivery ${jobId} was not handled`);
      };

      // Red CI: reported once on the timeline, nothing rolled back, the item keeps waiting.
      report('failure');
      expect(await deliver(head, 'failure')).toMatchObject({
        kind: 'pipeline',
        result: { kind: 'gate_failed' },
      });
      task = (await rt.tasks.get(task.id))!;
      expect([task.stage, task.state, task.devRetries]).toEqual(['ci', 'active', 0]);
      const red = (await rt.tasks.events(task.id)).filter((e) => e.type === 'gate_red');
      expect(red.map((e) => e.message)).toEqual(['check_ci_green: combined status: failure']);
      // A pending report, and a status for a commit that is not the head, move nothing.
      expect(await deliver(head, 'pending')).toMatchObject({ kind: 'ignored' });
      expect(await deliver('f'.repeat(40), 'success')).toMatchObject({ kind: 'ignored' });

      // Green CI advances the item at once, without a reconciler tick.
      report('success');
      expect(await deliver(head, 'success')).toMatchObject({
        kind: 'pipeline',
        result: { kind: 'advanced', from: 'ci', to: 'done' },
      });
      expect(await rt.tasks.get(task.id)).toMatchObject({ stage: 'done', state: 'done' });
    } finally {
      await rt?.stop();
      await gitea.close();
    }
  }, 300_000);
});
