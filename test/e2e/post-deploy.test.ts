import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { serverForRuntime } from '../../src/http/runtime-server.js';
import type { PostDeployConfig } from '../../src/pipeline/post-deploy.js';
import type { Task } from '../../src/pipeline/task.js';
import type { Runtime } from '../../src/runtime.js';
import { LessonStore } from '../../src/store/lessons/lesson-store.js';
import { describeEachDialect } from '../helpers/test-db.js';
import { fileItem, matrixRuntime, type Scenario } from './failure-matrix-harness.js';

/**
 * The post-deploy monitor (issue 16, ORCH-021) with real scripted agents, real git and a real
 * HTTP server as production: after an item is done Orch probes production over a window. A
 * healthy window records HEALTHY and changes nothing else; a degraded one runs the rollback
 * command, freezes the repository (the next item waits), alerts and records a lesson.
 */
let server: Server;
let prodHealthy = true;
let prodProbes = 0;
let base = '';

beforeEach(async () => {
  prodHealthy = true;
  prodProbes = 0;
  server = createServer((req, res) => {
    // /health answers the deploy stage's own check; /prod is what the monitor watches.
    const up = req.url === '/health' || prodHealthy;
    if (req.url === '/prod') prodProbes++;
    res.writeHead(up ? 200 : 503, { 'content-type': 'text/plain' });
    res.end(up ? 'status: ok' : 'status: down');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterEach(async () => {
  await new Promise((r) => server.close(r));
});

const SHIP = ['created', 'analysis', 'development', 'deploy-staging', 'deploy', 'done'];

function project(key: string, postDeploy: Partial<PostDeployConfig>): Scenario {
  return {
    key,
    scenario: {},
    labels: { tracks: { ship: 'ship' }, autoApprove: ['ship'] },
    tracks: { ship: SHIP },
    deploy: {
      production: {
        timeoutMs: 30_000,
        health: {
          url: `${base}/health`,
          status: 200,
          retries: 0,
          intervalMs: 0,
          timeoutMs: 5000,
        },
      },
    },
    postDeploy: {
      health: {
        url: `${base}/prod`,
        status: 200,
        body: 'status: ok',
        retries: 0,
        intervalMs: 0,
        timeoutMs: 5000,
      },
      checks: 5,
      windowMs: 500,
      maxFailures: 1,
      rollbackTimeoutMs: 30_000,
      autoRollback: false,
      ...postDeploy,
    },
  };
}

async function waitFor<T>(what: string, read: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + 150_000;
  for (;;) {
    const v = await read();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 150));
  }
}

const taskIn = (rt: Runtime, id: number, until: (t: Task) => boolean) =>
  waitFor(`task ${id}`, async () => {
    const t = (await rt.tasks.get(id))!;
    return until(t) ? t : undefined;
  });

const verdictOf = (rt: Runtime, id: number) =>
  waitFor('the post-deploy verdict', async () =>
    (await rt.tasks.events(id)).find((e) => e.type === 'post_deploy'),
  );

async function logOf(rt: Runtime, t: Task): Promise<string> {
  const worktree = await rt.workspace.ensure(t, rt.projects.get(t.projectKey));
  return readFileSync(`${worktree}/docs/work-items/${t.workItemId}/16-post-deploy-log.md`, 'utf8');
}

describeEachDialect('post-deploy monitor', ({ current }) => {
  it('a healthy window is recorded HEALTHY after every probe; nothing is frozen', async () => {
    const { rt, notifier } = await matrixRuntime(current().url, [project('PH', {})]);
    try {
      await rt.start({ daemons: false });
      const a = await fileItem(rt, 'PH', ['ship']);
      const done = await taskIn(rt, a.id, (t) => t.state === 'done');
      const verdict = await verdictOf(rt, a.id);
      expect(verdict.detail).toMatchObject({ status: 'HEALTHY', action: 'NONE', checks: 5 });
      expect(prodProbes).toBe(5);
      expect(await logOf(rt, done)).toMatch(
        /^---\npost_deploy_status: HEALTHY\naction_taken: NONE\nwork_item: PH-\d+\nwindow_s: 1\nchecks_total: 5\nchecks_failed: 0\nwritten_by: orch\n---/,
      );
      expect(await rt.serialGate.repo.freezes()).toEqual([]);
      await waitFor('the HEALTHY notification', () =>
        Promise.resolve(notifier.ofType('post_deploy').find((e) => e.status === 'HEALTHY')),
      );
      expect((await rt.tasks.get(a.id))!.state).toBe('done');
    } finally {
      await rt.stop();
    }
  }, 300_000);

  it('a degraded window rolls back, freezes the repository, alerts and records a lesson', async () => {
    const marker = join(mkdtempSync(join(tmpdir(), 'orch-rollback-')), 'rolled-back');
    const rollback = [
      'node',
      '-e',
      `require('fs').appendFileSync(${JSON.stringify(marker)}, 'rollback in ' + process.cwd() + '\\n')`,
    ];
    const { rt, notifier } = await matrixRuntime(
      current().url,
      [
        project('PX', {
          autoRollback: true,
          rollbackCommand: rollback,
          checks: 20,
          windowMs: 4000,
        }),
      ],
      { env: { ORCH_ADMIN_TOKEN: 'post-deploy-admin-token' } },
    );
    try {
      await rt.start({ daemons: false });
      const a = await fileItem(rt, 'PX', ['ship']);
      await taskIn(rt, a.id, (t) => t.state === 'done');
      prodHealthy = false; // production breaks right after the deploy
      const verdict = await verdictOf(rt, a.id);
      const done = (await rt.tasks.get(a.id))!;
      expect(done.state).toBe('done');
      expect(verdict.detail).toMatchObject({ status: 'DEGRADED', action: 'ROLLED_BACK' });
      // Decided once two probes failed (maxFailures 1), not at the end of the 20-probe window.
      expect((verdict.detail as { failed: number }).failed).toBe(2);
      expect((verdict.detail as { checks: number }).checks).toBeLessThan(20);

      // The rollback ran once, in the item's worktree.
      const worktree = await rt.workspace.ensure(done, rt.projects.get('PX'));
      expect(readFileSync(marker, 'utf8')).toBe(`rollback in ${worktree}\n`);
      const log = await logOf(rt, done);
      expect(log).toMatch(/^---\npost_deploy_status: DEGRADED\naction_taken: ROLLED_BACK\n/);
      expect(log).toContain('HTTP 503 (expected 200)');
      expect(log).toContain('exit code 0');

      // Frozen: a new item of the repository waits after analysis with the reason.
      const [freeze] = await rt.serialGate.repo.freezes();
      expect(freeze).toMatchObject({ repo: 'px', frozenBy: 'post-deploy' });
      expect(freeze!.reason).toContain(`post-deploy DEGRADED after ${a.workItemId}`);
      const b = await fileItem(rt, 'PX', ['ship']);
      const held = await taskIn(rt, b.id, (t) => t.state === 'waiting');
      expect(held.stage).toBe('analysis');

      // Alerted (the chat) and told on the item (the tracker), with a lesson for later.
      const alert = await waitFor('the DEGRADED alert', () =>
        Promise.resolve(notifier.ofType('post_deploy').find((e) => e.status === 'DEGRADED')),
      );
      expect(alert).toMatchObject({ workItemId: a.workItemId, action: 'ROLLED_BACK' });
      // The freeze alerts like a freeze by hand.
      expect(notifier.ofType('repo_freeze')).toMatchObject([
        { repo: 'px', frozen: true, by: 'post-deploy' },
      ]);
      const comments = await waitFor('the tracker comment', async () => {
        const all = await rt.tracker.listComments({
          projectId: done.trackerProjectId,
          itemId: done.trackerItemId,
        });
        return all.some((c) => c.body.includes('post-deploy DEGRADED')) ? all : undefined;
      });
      expect(comments.length).toBeGreaterThan(0);
      const lessons = await new LessonStore(rt.db, rt.clock).list({ type: 'deploy_degraded' });
      expect(lessons).toEqual([
        expect.objectContaining({ source: 'auto', work_item_id: a.workItemId, repo: 'px' }),
      ]);

      // The post_deploy block of /queue.
      const app = serverForRuntime(rt);
      const res = await app.inject({
        method: 'GET',
        url: '/queue',
        headers: { authorization: 'Bearer post-deploy-admin-token' },
      });
      const block = res.json<{ post_deploy: Record<string, unknown> }>().post_deploy;
      expect(block).toMatchObject({
        enabled: true,
        healthy: 0,
        degraded: 1,
        monitoring: [],
        projects: { PX: { checks: 20, maxFailures: 1, autoRollback: true } },
        recent: [{ workItemId: a.workItemId, status: 'DEGRADED', action: 'ROLLED_BACK' }],
      });
      await app.close();

      // Unfreezing lets the waiting item go on.
      await rt.serialGate.repo.unfreeze('px', { by: 'alice', nowMs: rt.clock.now() });
      await rt.pipeline.openSerialGates('px');
      await taskIn(rt, b.id, (t) => t.state !== 'waiting');
    } finally {
      await rt.stop();
    }
  }, 300_000);

  it('never auto-rolls back the repository that is Orch itself, and the kill-switch starts no window', async () => {
    const marker = join(mkdtempSync(join(tmpdir(), 'orch-rollback-')), 'rolled-back');
    const rollback = ['node', '-e', `require('fs').writeFileSync(${JSON.stringify(marker)}, 'x')`];
    const self = project('PS', { autoRollback: true, rollbackCommand: rollback, maxFailures: 0 });
    const { rt } = await matrixRuntime(current().url, [{ ...self, selfHosted: true }]);
    try {
      prodHealthy = false;
      await rt.start({ daemons: false });
      const a = await fileItem(rt, 'PS', ['ship']);
      const verdict = await verdictOf(rt, a.id);
      expect(verdict.detail).toMatchObject({ status: 'DEGRADED', action: 'ALERT_ONLY' });
      expect(existsSync(marker)).toBe(false);
      expect(await logOf(rt, (await rt.tasks.get(a.id))!)).toContain(
        'this repository is Orch itself',
      );
      expect((await rt.serialGate.repo.freezes()).map((f) => f.repo)).toEqual(['ps']);
    } finally {
      await rt.stop();
    }

    const off = await matrixRuntime(current().url, [project('PO', {})], {
      env: { ORCH_POST_DEPLOY_ENABLED: 'false' },
    });
    try {
      await off.rt.start({ daemons: false });
      const a = await fileItem(off.rt, 'PO', ['ship']);
      await taskIn(off.rt, a.id, (t) => t.state === 'done');
      await new Promise((r) => setTimeout(r, 1000));
      expect(await off.rt.admin.list({ taskId: a.id, kind: 'pipeline.post_deploy' })).toEqual([]);
      expect((await off.rt.tasks.events(a.id)).some((e) => e.type === 'post_deploy')).toBe(false);
    } finally {
      await off.rt.stop();
    }
  }, 300_000);
});
