import { randomUUID } from 'node:crypto';
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
import { createRuntime, type Runtime } from '../../src/runtime.js';
import { PlaneStub } from '../helpers/stubs/plane-stub.js';
import { planeDelivery, planeIssueCreated } from '../helpers/stubs/webhook-deliveries.js';
import { describeEachDialect } from '../helpers/test-db.js';
import { matrixRuntime, waitForTask } from './failure-matrix-harness.js';

async function taskCount(rt: Runtime): Promise<number> {
  return Number((await rt.db.get<{ n: number }>('select count(*) as n from tasks'))!.n);
}

const eventTypes = async (rt: Runtime, id: number) =>
  (await rt.tasks.events(id)).map((e) => e.type);

describeEachDialect('reconciler: lost "created" webhooks', ({ current }) => {
  it('takes in a local item filed without intake, which proceeds; a late intake creates nothing', async () => {
    const { rt } = await matrixRuntime(current().url, [{ key: 'LI', scenario: {} }]);
    try {
      await rt.start({ daemons: false });
      const project = rt.projects.get('LI');
      const lost = { title: 'Crash on empty trail', description: 'Filed; intake never ran.' };
      const item = await rt.tracker.createItem('LI', { ...lost, labels: ['bug'] });
      const finished = await rt.tracker.createItem('LI', { title: 'Closed already' });
      await rt.tracker.setState(finished.ref, 'done');
      const ancient = await rt.tracker.createItem('LI', { title: 'Two days old' });
      await rt.db.run('update local_items set created_at_ms = created_at_ms - $1 where id = $2', [
        2 * 86_400_000,
        Number(ancient.ref.itemId),
      ]);

      // The kill-switch: nothing is taken in while it is off.
      rt.recovery.settings.reconciler.intake!.enabled = false;
      await rt.recovery.reconciler.runOnce();
      expect(await taskCount(rt)).toBe(0);
      rt.recovery.settings.reconciler.intake!.enabled = true;

      await rt.recovery.reconciler.runOnce();
      const task = (await rt.tasks.byTrackerItem('local', 'LI', item.ref.itemId))!;
      // As intake takes it: the `bug` label chooses the track, the analyst is on its way.
      expect(task).toMatchObject({ title: lost.title, stage: 'analysis', track: 'bug' });
      expect(await taskCount(rt)).toBe(1);
      expect(await eventTypes(rt, task.id)).toEqual(
        expect.arrayContaining(['created', 'job_enqueued', 'recovered']),
      );
      expect(rt.recovery.reconciler.status()).toMatchObject({
        intake_enabled: true,
        items_taken_total: 1,
      });
      // It proceeds: the analyst runs for real and the item waits for its approval.
      const waiting = await waitForTask(rt, task.id, (t) => t.state === 'awaiting_approval');
      expect(waiting.stage).toBe('analysis');

      // A late "created" event (intake for the same tracker item) and further ticks add nothing.
      const late = await intake(
        rt.core,
        rt.workspace,
        project,
        { trackerItemId: item.ref.itemId, ...lost, labels: ['bug'] },
        silentLogger,
      );
      expect(late).toMatchObject({ created: false, jobId: null });
      expect(late.task.id).toBe(task.id);
      await rt.recovery.reconciler.runOnce();
      expect(await taskCount(rt)).toBe(1);
      expect(rt.recovery.reconciler.status().items_taken_total).toBe(1);
    } finally {
      await rt.stop();
    }
  }, 180_000);

  it('takes in a Plane item whose webhook was lost; the late webhook is accepted and creates nothing', async () => {
    const root = mkdtempSync(join(tmpdir(), 'orch-rci-'));
    const plane = await new PlaneStub().start();
    const projectId = randomUUID();
    const secret = 'plane-webhook-secret';
    let rt: Runtime | undefined;
    try {
      const states = plane.addProject(projectId);
      rt = await createRuntime({
        config: loadConfig(
          {
            ORCH_DATA_DIR: join(root, 'data'),
            ORCH_QUEUE_POLL_INTERVAL_MS: '100',
            ORCH_RECONCILE_GRACE_S: '0',
            ORCH_PLANE_URL: plane.url,
            ORCH_PLANE_API_TOKEN: plane.apiKey,
            ORCH_PLANE_WEBHOOK_SECRET: secret,
            ORCH_PLANE_BOT_USER_ID: plane.userId,
          },
          { dbUrl: current().url },
        ),
        configFile: parseConfigFile({
          agents: { defaults: { adapter: 'scripted', timeoutS: 20, idleTimeoutS: 12 } },
          projects: [
            {
              key: 'PL',
              repo: 'pl',
              tracker: {
                kind: 'plane',
                workspace: 'acme',
                projectId,
                states: {
                  in_progress: 'In Progress',
                  in_review: 'In Review',
                  needs_input: 'Needs Input',
                  blocked: 'Blocked',
                  done: 'Done',
                },
                approvers: ['ann'],
              },
              forge: { kind: 'local' },
              testCommand: ['node', '--test'],
            },
          ],
        }),
        log: silentLogger,
      });
      const seed = join(root, 'seed');
      mkdirSync(seed, { recursive: true });
      await createSampleRepo(seed);
      await rt.forge.importRepo('pl', seed);
      const app = serverForRuntime(rt);
      await rt.start({ daemons: false });

      const item = plane.addItem({
        projectId,
        name: 'Miles display',
        descriptionHtml: '<p>Show <b>miles</b></p>',
        stateId: states[1]!.id,
        labels: ['bug'],
      });
      // Not taken in: done in Plane, or filed by Orch's own user (its webhook is dropped too).
      plane.addItem({
        projectId,
        name: 'Shipped',
        descriptionHtml: '',
        stateId: states.find((s) => s.group === 'completed')!.id,
        labels: [],
      });
      plane.addItem({
        projectId,
        name: 'Staging sandbox',
        descriptionHtml: '',
        stateId: states[0]!.id,
        labels: [],
        createdBy: plane.userId,
      });

      await rt.recovery.reconciler.runOnce();
      const task = (await rt.tasks.byTrackerItem('plane', projectId, item.id))!;
      expect(task).toMatchObject({ title: 'Miles display', stage: 'analysis', track: 'bug' });
      expect(await taskCount(rt)).toBe(1);
      const listed = plane.requestsTo('GET', /\/work-items\/$/);
      expect(listed[0]!.query.get('order_by')).toBe('-created_at');
      await waitForTask(rt, task.id, (t) => t.state === 'awaiting_approval');
      // Its tracker effects went to Plane like any intake's (the outbox delivers after the commit).
      const stateDeadline = Date.now() + 10_000;
      while (plane.stateName(item.id) !== 'In Review' && Date.now() < stateDeadline)
        await new Promise((r) => setTimeout(r, 100));
      expect(plane.stateName(item.id)).toBe('In Review');

      // The lost webhook arrives after all: a valid delivery, accepted, handled — and no new task.
      const late = planeDelivery(
        planeIssueCreated({
          projectId,
          itemId: item.id,
          title: 'Miles display',
          description: 'Show miles',
          actorId: 'human',
          labels: ['bug'],
        }),
        { secret },
      );
      const res = await app.inject({
        method: 'POST',
        url: '/webhook/plane',
        headers: late.headers,
        payload: late.rawBody,
      });
      expect(res.statusCode).toBe(202);
      const jobId = res.json<{ jobId: number }>().jobId;
      const deadline = Date.now() + 30_000;
      let job = await rt.queue.get(jobId);
      while (job?.status !== 'done' && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 100));
        job = await rt.queue.get(jobId);
      }
      expect(job?.result).toMatchObject({ kind: 'intake', created: false });
      expect(await taskCount(rt)).toBe(1);
    } finally {
      await rt?.stop();
      await plane.close();
    }
  }, 180_000);
});
