import { randomUUID } from 'node:crypto';
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
import { createRuntime, type Runtime } from '../../src/runtime.js';
import { GiteaStub } from '../helpers/stubs/gitea-stub.js';
import { PlaneStub } from '../helpers/stubs/plane-stub.js';
import { TelegramStub } from '../helpers/stubs/telegram-stub.js';
import {
  planeCommentCreated,
  planeDelivery,
  planeIssueCreated,
} from '../helpers/stubs/webhook-deliveries.js';
import { describeEachDialect } from '../helpers/test-db.js';

const PLANE_PROJECT = randomUUID();
const SECRET = 'plane-webhook-secret';
const APPROVER = 'c0ffee00-0000-4000-8000-000000000042';

async function waitFor<T>(
  probe: () => Promise<T | undefined>,
  what: string,
  timeoutMs = 150_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function seedGit(root: string): Promise<void> {
  const seed = join(root, 'seed');
  mkdirSync(seed, { recursive: true });
  await createSampleRepo(seed);
  const bare = join(root, 'git', 'acme', 'trails.git');
  mkdirSync(join(root, 'git', 'acme'), { recursive: true });
  execFileSync('git', ['init', '--quiet', '--bare', '--initial-branch', 'main', bare]);
  execFileSync('git', ['push', '--quiet', bare, 'HEAD:refs/heads/main'], { cwd: seed });
}

describeEachDialect('pipeline driven by Plane and Gitea webhooks', ({ current }) => {
  it('files a Plane item by webhook, approves it by Plane comment, and merges through Gitea', async () => {
    const root = mkdtempSync(join(tmpdir(), 'orch-wh-'));
    const plane = await new PlaneStub().start();
    const gitea = await new GiteaStub().start();
    const telegram = await new TelegramStub().start();
    let rt: Runtime | undefined;
    try {
      plane.addProject(PLANE_PROJECT);
      gitea.addRepo('acme/trails');
      gitea.gitRoot = join(root, 'git');
      await seedGit(root);
      const env = {
        ORCH_DATA_DIR: join(root, 'data'),
        ORCH_QUEUE_POLL_INTERVAL_MS: '100',
        ORCH_PLANE_URL: plane.url,
        ORCH_PLANE_API_TOKEN: plane.apiKey,
        ORCH_PLANE_WEBHOOK_SECRET: SECRET,
        ORCH_PLANE_BOT_USER_ID: plane.userId,
        ORCH_GITEA_URL: gitea.url,
        ORCH_GITEA_TOKEN: gitea.token,
        ORCH_GITEA_GIT_URL: join(root, 'git'),
        ORCH_GITEA_WEBHOOK_SECRET: 'gitea-secret',
        ORCH_TELEGRAM_BOT_TOKEN: telegram.token,
        ORCH_TELEGRAM_CHAT_ID: '4242',
        ORCH_TELEGRAM_API_URL: telegram.url,
      };
      const states = {
        in_progress: 'In Progress',
        in_review: 'In Review',
        needs_input: 'Needs Input',
        blocked: 'Blocked',
        done: 'Done',
      };
      rt = await createRuntime({
        config: loadConfig(env, { dbUrl: current().url }),
        configFile: parseConfigFile({
          agents: { defaults: { adapter: 'scripted' } },
          projects: [
            {
              key: 'ET',
              repo: 'trails',
              tracker: {
                kind: 'plane',
                workspace: 'acme',
                projectId: PLANE_PROJECT,
                states,
                approvers: [APPROVER],
              },
              forge: { kind: 'gitea', owner: 'acme', repo: 'trails' },
              testCommand: ['node', '--test'],
              testTimeoutS: 60,
            },
          ],
        }),
        log: silentLogger,
      });
      const app = serverForRuntime(rt);
      await rt.start();

      const itemId = randomUUID();
      plane.addItem({
        id: itemId,
        projectId: PLANE_PROJECT,
        name: 'Miles display',
        descriptionHtml: '',
        stateId: plane.states.get(PLANE_PROJECT)![0]!.id,
        labels: [],
      });
      const created = planeDelivery(
        planeIssueCreated({
          projectId: PLANE_PROJECT,
          itemId,
          title: 'Miles display',
          description: 'Show miles',
          actorId: 'human',
        }),
        { secret: SECRET },
      );
      const post = (d: { headers: Record<string, string>; rawBody: Buffer }) =>
        app.inject({
          method: 'POST',
          url: '/webhook/plane',
          headers: d.headers,
          payload: d.rawBody,
        });

      // A forged delivery writes nothing; the real one is accepted once, its redelivery is a duplicate.
      const forged = await post({
        headers: { ...created.headers, 'x-plane-signature': '0'.repeat(64) },
        rawBody: created.rawBody,
      });
      expect(forged.statusCode).toBe(401);
      expect(
        Number((await rt.db.get<{ n: number }>('select count(*) as n from webhook_inbox'))!.n),
      ).toBe(0);
      expect((await post(created)).statusCode).toBe(202);
      expect((await post(created)).statusCode).toBe(200);

      const task = await waitFor(async () => {
        const t = await rt!.tasks.byTrackerItem('plane', PLANE_PROJECT, itemId);
        return t?.state === 'awaiting_approval' ? t : undefined;
      }, 'analysis approval request');
      // Tracker updates follow the commit: wait for the stub to see them.
      await waitFor(
        () => Promise.resolve(plane.stateName(itemId) === 'In Review' ? true : undefined),
        'Plane state In Review',
        10_000,
      );

      // A comment from someone who is not an approver does nothing; the approver's advances.
      await post(
        planeDelivery(
          planeCommentCreated({
            projectId: PLANE_PROJECT,
            itemId,
            body: ':approved:',
            actorId: 'stranger',
          }),
          { secret: SECRET },
        ),
      );
      const approval = planeCommentCreated({
        projectId: PLANE_PROJECT,
        itemId,
        body: 'Ship it :approved:',
        actorId: APPROVER,
      });
      await post(planeDelivery(approval, { secret: SECRET }));
      // The same comment in another envelope (a second webhook firing for it) is accepted as a
      // delivery but applied once: the handler finds it already claimed.
      const again = await post(
        planeDelivery({ ...approval, webhook_id: randomUUID() }, { secret: SECRET }),
      );
      expect(again.statusCode).toBe(202);
      const againJob = again.json<{ jobId: number }>().jobId;
      const handled = await waitFor(async () => {
        const j = await rt!.queue.get(againJob);
        return j?.status === 'done' ? j : undefined;
      }, 'the second delivery to be handled');
      expect(handled.result).toMatchObject({ kind: 'ignored' });

      const done = await waitFor(async () => {
        const t = await rt!.tasks.get(task.id);
        return t?.state === 'done' || t?.state === 'blocked' ? t : undefined;
      }, 'the item to finish');
      expect(done).toMatchObject({ stage: 'done', state: 'done' });
      await waitFor(
        () => Promise.resolve(plane.stateName(itemId) === 'Done' ? true : undefined),
        'Plane state Done',
        10_000,
      );

      // Orch's Plane comments are tagged, so its own webhooks would be ignored.
      const orchComments = plane.comments.filter(
        (c) => c.issueId === itemId && c.externalSource !== null,
      );
      expect(orchComments.length).toBeGreaterThan(3);
      // Gitea: one PR for the branch, gate statuses published, merged pinned to the head SHA.
      const prs = gitea.requestsTo('POST', /\/pulls$/);
      expect(prs).toHaveLength(1);
      const merges = gitea.requestsTo('POST', /\/pulls\/\d+\/merge$/);
      expect(merges).toHaveLength(1);
      expect((merges[0]!.body as { head_commit_id?: string }).head_commit_id).toMatch(
        /^[0-9a-f]{40}$/,
      );
      // Statuses are outbox rows behind the final comment and notification: wait for them.
      const contexts = () =>
        gitea
          .requestsTo('POST', /\/statuses\//)
          .map((r) => (r.body as { context: string }).context);
      await waitFor(
        () =>
          Promise.resolve(
            contexts().includes('orch/tests') && contexts().includes('orch/review')
              ? true
              : undefined,
          ),
        'the tests and review statuses',
        10_000,
      );
      // Orch's stable contexts (docs/integrations.md, branch protection), never orch/<gate>
      expect(
        contexts().every((c) => ['orch/tests', 'orch/review', 'orch/security'].includes(c)),
      ).toBe(true);
      // Telegram heard about it (flood control delivers at ≤ 1 message/s, so at least the first).
      await waitFor(
        () => Promise.resolve(telegram.messages.length > 0 ? true : undefined),
        'a Telegram message',
        10_000,
      );
      expect(telegram.messages[0]!.chatId).toBe('4242');
    } finally {
      await rt?.stop();
      await Promise.all([plane.close(), gitea.close(), telegram.close()]);
    }
  }, 240_000);
});
