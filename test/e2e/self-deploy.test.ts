import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import type { Task } from '../../src/pipeline/task.js';
import type { Runtime } from '../../src/runtime.js';
import { describeEachDialect } from '../helpers/test-db.js';
import { deliverOutbox, fileItem, matrixRuntime, type Scenario } from './failure-matrix-harness.js';

/**
 * Self-deploy (ORCH-036) end to end, with real scripted agents and a real detached hook: the
 * deploy of a self-hosted project launches the hook, Orch goes down (as a real self-deploy
 * restarts it), the hook ends while Orch is down, and a new Orch on the same database and data
 * directory finishes the item at start-up from the hook's result — the hook having run once.
 */
const dir = mkdtempSync(join(tmpdir(), 'orch-self-deploy-e2e-'));
const HOOK = join(dir, 'orch-deploy-hook.sh');
// $1 marker file, $2 exit code, $3 seconds to take.
writeFileSync(
  HOOK,
  [
    'echo "run $ORCH_WORK_ITEM" >> "$1"',
    'sleep "${3:-1}"',
    'echo "self-deploy of $ORCH_WORK_ITEM at $ORCH_DEPLOY_SHA"',
    'exit "${2:-0}"',
  ].join('\n'),
);

function project(marker: string, o: { exitCode?: number; sleepS?: number; timeoutMs?: number }) {
  return {
    key: 'SD',
    scenario: {},
    maxDeveloperRetries: 0,
    labels: { tracks: { ship: 'ship' }, autoApprove: ['ship'] },
    tracks: { ship: ['created', 'analysis', 'development', 'deploy-staging', 'deploy', 'done'] },
    selfHosted: true,
    deploy: {
      production: {
        command: ['sh', HOOK, marker, String(o.exitCode ?? 0), String(o.sleepS ?? 1)],
        timeoutMs: o.timeoutMs ?? 60_000,
      },
    },
  } satisfies Scenario;
}

async function waitFor(what: string, check: () => Promise<boolean> | boolean): Promise<void> {
  const deadline = Date.now() + 150_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 150));
  }
}

const task = async (rt: Runtime, id: number) => (await rt.tasks.get(id))!;

/** The launch directories of the item's self-deploys under the data dir. */
function launches(dataDir: string, t: Task): string[] {
  const item = join(dataDir, 'self-deploy', t.workItemId);
  return existsSync(item) ? readdirSync(item).map((v) => join(item, v)) : [];
}

const hookRuns = (marker: string) =>
  existsSync(marker) ? readFileSync(marker, 'utf8').split('\n').filter(Boolean) : [];

async function deployLog(rt: Runtime, t: Task): Promise<string> {
  const worktree = await rt.workspace.ensure(t, rt.projects.get('SD'));
  return readFileSync(`${worktree}/docs/work-items/${t.workItemId}/14-deploy-log.md`, 'utf8');
}

describeEachDialect('self-deploy', ({ current }) => {
  it('self-deploy finishes across a restart: the hook runs once, Orch writes the deploy log', async () => {
    const marker = join(mkdtempSync(join(dir, 'm-')), 'runs.txt');
    const scenario = project(marker, {});
    // A re-check a minute away: only the start-up finaliser can finish the item in time.
    const env = { ORCH_SELF_DEPLOY_POLL_S: '60' };
    const first = await matrixRuntime(current().url, [scenario], { env });
    const { dataDir } = first;
    let a: Task;
    try {
      await first.rt.start({ daemons: false });
      a = await fileItem(first.rt, 'SD', ['ship']);
      await waitFor('the hook to be launched', async () => {
        const t = await task(first.rt, a.id);
        const deferred = (await first.rt.tasks.events(a.id)).some((e) => e.type === 'deferred');
        return t.stage === 'deploy' && deferred && launches(dataDir, t).length === 1;
      });
      await waitFor('the deployer job to finish', async () => {
        const running = await first.rt.admin.list({ taskId: a.id, status: 'running' });
        return running.length === 0;
      });
      expect(await task(first.rt, a.id)).toMatchObject({ stage: 'deploy', state: 'active' });
    } finally {
      await first.rt.stop(); // Orch goes down, as the hook's restart takes it down
    }
    const [launch] = launches(dataDir, a);
    await waitFor('the hook to end while Orch is down', () => existsSync(`${launch}/exit-code`));

    const second = await matrixRuntime(current().url, [scenario], { env, dataDir });
    try {
      await second.rt.start({ daemons: false });
      // Decided during start-up, not by the re-check queued a minute ahead.
      const done = await task(second.rt, a.id);
      expect(done).toMatchObject({ stage: 'done', state: 'done' });
      const log = await deployLog(second.rt, done);
      expect(log).toMatch(/^---\ndeploy_status: SUCCESS\nwritten_by: orch\n/);
      expect(log).toContain('hook_exit_code: 0');
      expect(log).toContain(`self-deploy of ${a.workItemId} at `);
      expect(hookRuns(marker)).toEqual([`run ${a.workItemId}`]);
    } finally {
      await second.rt.stop();
    }

    // Another restart: nothing is pending, nothing is launched, the log stays as it was.
    const third = await matrixRuntime(current().url, [scenario], { env, dataDir });
    try {
      const before = await deployLog(third.rt, a);
      await third.rt.start({ daemons: false });
      expect(await deployLog(third.rt, a)).toBe(before);
      expect(await third.rt.selfDeploy.pending()).toEqual([]);
      expect(hookRuns(marker)).toHaveLength(1);
      expect(launches(dataDir, a)).toEqual([launch]);
    } finally {
      await third.rt.stop();
    }
  }, 300_000);

  it('a hook that exits 3 leaves the item Blocked in deploy with the exit code, never done', async () => {
    const marker = join(mkdtempSync(join(dir, 'm-')), 'runs.txt');
    const { rt, notifier } = await matrixRuntime(
      current().url,
      [project(marker, { exitCode: 3 })],
      { env: { ORCH_SELF_DEPLOY_POLL_S: '1' } },
    );
    try {
      await rt.start({ daemons: false });
      const b = await fileItem(rt, 'SD', ['ship']);
      await waitFor('the item to be blocked', async () =>
        ['blocked', 'done'].includes((await task(rt, b.id)).state),
      );
      const blocked = await task(rt, b.id);
      expect(blocked).toMatchObject({ stage: 'deploy', state: 'blocked' });
      expect(blocked.lastError).toBe(
        'check_deploy_status failed in deploy: deploy_status: FAILED (self-deploy hook exit code 3)',
      );
      const log = await deployLog(rt, blocked);
      expect(log).toMatch(/^---\ndeploy_status: FAILED\nwritten_by: orch\n/);
      expect(log).toContain('hook_exit_code: 3');
      expect(hookRuns(marker)).toHaveLength(1);
      await deliverOutbox(rt);
      expect(notifier.events.some((e) => e.type === 'task_done')).toBe(false);
    } finally {
      await rt.stop();
    }
  }, 300_000);

  it('a hook that outlives its timeout is killed and the item Blocked "timed out"', async () => {
    const marker = join(mkdtempSync(join(dir, 'm-')), 'runs.txt');
    const { rt, dataDir } = await matrixRuntime(
      current().url,
      [project(marker, { sleepS: 30, timeoutMs: 1000 })],
      { env: { ORCH_SELF_DEPLOY_POLL_S: '1' } },
    );
    try {
      await rt.start({ daemons: false });
      const c = await fileItem(rt, 'SD', ['ship']);
      await waitFor('the item to be blocked', async () =>
        ['blocked', 'done'].includes((await task(rt, c.id)).state),
      );
      const blocked = await task(rt, c.id);
      expect(blocked).toMatchObject({ stage: 'deploy', state: 'blocked' });
      expect(blocked.lastError).toBe(
        'check_deploy_status failed in deploy: deploy_status: FAILED (self-deploy hook timed out after 1 s)',
      );
      const [launch] = launches(dataDir, blocked);
      const { pid } = JSON.parse(readFileSync(`${launch}/state.json`, 'utf8')) as { pid: number };
      await waitFor('its process group to be gone', () => {
        try {
          process.kill(-pid, 0);
          return false;
        } catch {
          return true;
        }
      });
      expect(existsSync(`${launch}/exit-code`)).toBe(false);
    } finally {
      await rt.stop();
    }
  }, 300_000);
});
