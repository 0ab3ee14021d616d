import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { createSelfDeploy } from '../../src/gates/self-deploy/self-deploy.js';
import { deployStatusGate } from '../../src/gates/self-deploy/self-deploy-gate.js';
import { silentLogger } from '../../src/log.js';
import { OWN_DEADLINE_GRACE_MS } from '../../src/pipeline/engine.js';
import { recheck } from '../../src/pipeline/recheck.js';
import { finishSelfDeploys } from '../../src/pipeline/self-deploy-startup.js';
import type { Task } from '../../src/pipeline/task.js';
import { ANALYSIS, pipelineEnv } from '../helpers/pipeline-env.js';
import { describeEachDialect } from '../helpers/test-db.js';

/**
 * Self-deploy (ORCH-036) through the engine on both stores: the deploy gate of a self-hosted
 * project launches a detached hook and stays undecided — past the defer cap — until the hook's
 * result decides; the start-up finaliser decides at once; a red gate before deploy never
 * launches it. The hooks are real shell scripts; the engine's clock is manual.
 */
type Env = Awaited<ReturnType<typeof pipelineEnv>>;

const review = '---\ntype: review\nverdict: APPROVED\n---\n';

/** Makes the env's project self-hosted with `body` as its deploy hook (it waits for `go`). */
function selfHosted(env: Env, body: string, timeoutMs = 600_000) {
  const script = join(env.root, 'deploy-hook.sh');
  const go = join(env.root, 'go');
  const marker = join(env.root, 'hook-runs.txt');
  writeFileSync(
    script,
    `echo run >> "${marker}"\nwhile [ ! -e "${go}" ]; do sleep 0.05; done\n${body}\n`,
  );
  env.project.selfHosted = true;
  env.project.deploy = { production: { command: ['sh', script], timeoutMs } };
  const selfDeploy = createSelfDeploy({
    dir: join(env.root, 'self-deploy'),
    clock: env.clock,
    log: silentLogger,
    pollMs: 5000,
    killGraceMs: 500,
  });
  env.core.deps.gates.register('check_deploy_status', deployStatusGate(selfDeploy));
  return {
    selfDeploy,
    release: () => writeFileSync(go, ''),
    runs: () => (existsSync(marker) ? readFileSync(marker, 'utf8').split('\n').length - 1 : 0),
    dir: join(env.root, 'self-deploy'),
  };
}

async function until(what: string, check: () => boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A fresh item driven up to (not through) the deploy stage. */
async function toDeploy(env: Env, developer?: (t: Task) => void): Promise<Task> {
  const { task } = await env.newItem();
  await env.agent(task.id, 'analyst', ANALYSIS(env));
  await env.pipeline.approve(task.id, 'alice');
  await env.agent(task.id, 'architect', (t) => env.artifact(t, '06-adr/ADR-001.md', '# ADR\n'));
  await env.agent(task.id, 'developer', developer ?? ((t) => env.file(t, 'src/f.txt', 'f\n')));
  await env.agent(task.id, 'reviewer', (t) => env.artifact(t, '12-review.md', review));
  await env.agent(task.id, 'tester', (t) =>
    env.artifact(t, '13-test-report.md', '---\nresult: PASS\n---\n'),
  );
  await env.agent(task.id, 'deployer', (t) =>
    env.artifact(t, '15-staging-log.md', '---\nstaging_status: SUCCESS\n---\n'),
  );
  return env.task(task.id);
}

/** The deployer agent of the deploy stage claims success; Orch's hook decides. */
const deployAgent = (env: Env, t: Task) =>
  env.agent(t.id, 'deployer', (x) =>
    env.artifact(x, '14-deploy-log.md', '---\ndeploy_status: SUCCESS\n---\nthe agent says so\n'),
  );

const deployLog = (env: Env, t: Task) =>
  readFileSync(`${env.worktree(t)}/docs/work-items/${t.workItemId}/14-deploy-log.md`, 'utf8');

describeEachDialect('self-deploy through the engine', ({ current }) => {
  it('stays undecided past the defer cap while the hook runs, then finishes from its result', async () => {
    const env = await pipelineEnv(current().db);
    const sd = selfHosted(env, 'echo "orch restarted"; exit 0');
    const t = await toDeploy(env);
    expect(t.stage).toBe('deploy');
    expect(await deployAgent(env, t)).toEqual({
      kind: 'deferred',
      gate: 'check_deploy_status',
      delayMs: 5000,
    });
    // Twelve re-checks (the cap is 10) while it runs: each defers again, none launches.
    const payload = { taskId: t.id, stage: 'deploy' };
    for (let i = 0; i < 12; i++) {
      env.clock.advance(5000);
      expect(await recheck(env.pipeline, payload)).toMatchObject({ kind: 'deferred' });
    }
    expect((await env.task(t.id)).state).toBe('active');
    sd.release();
    await until('the hook to finish', () => existsSync(`${visitDirOf(sd.dir, t)}/exit-code`));
    expect(await recheck(env.pipeline, payload)).toMatchObject({ kind: 'advanced', to: 'done' });
    expect(await env.task(t.id)).toMatchObject({ stage: 'done', state: 'done' });
    const log = deployLog(env, t);
    expect(log).toMatch(/^---\ndeploy_status: SUCCESS\nwritten_by: orch\n/);
    expect(log).toContain('orch restarted');
    expect(log).not.toContain('the agent says so');
    expect(sd.runs()).toBe(1);
    const deferred = (await env.tasks.events(t.id)).filter((e) => e.type === 'deferred');
    expect(deferred).toHaveLength(13);
    expect(deferred[0]!.message).toMatch(
      /^check_deploy_status: self-deploy hook started; waiting for its result; re-check in 5s \(deadline in 600s\)$/,
    );
  });

  it('the start-up finaliser decides an item whose hook ended while Orch was down, once', async () => {
    const env = await pipelineEnv(current().db);
    const sd = selfHosted(env, 'echo "rollout refused"; exit 3');
    const t = await toDeploy(env);
    await deployAgent(env, t);
    // Orch is "down": nothing re-checks. The hook ends meanwhile.
    sd.release();
    await until('the hook to finish', () => existsSync(`${visitDirOf(sd.dir, t)}/exit-code`));
    const deps = {
      selfDeploy: sd.selfDeploy,
      tasks: env.tasks,
      admin: env.admin,
      pipeline: env.pipeline,
      log: silentLogger,
    };
    expect(await finishSelfDeploys(deps)).toEqual([
      { workItemId: t.workItemId, result: 'blocked' },
    ]);
    const blocked = await env.task(t.id);
    expect(blocked).toMatchObject({ stage: 'deploy', state: 'blocked' });
    expect(blocked.lastError).toBe(
      'check_deploy_status failed in deploy: deploy_status: FAILED (self-deploy hook exit code 3)',
    );
    const log = deployLog(env, t);
    expect(log).toMatch(/^---\ndeploy_status: FAILED\nwritten_by: orch\n/);
    expect(log).toContain('hook_exit_code: 3');
    // A second start-up, and the queued re-check when it runs, change nothing.
    expect(await finishSelfDeploys(deps)).toEqual([]);
    expect(await recheck(env.pipeline, { taskId: t.id, stage: 'deploy' })).toMatchObject({
      kind: 'noop',
    });
    expect(deployLog(env, t)).toBe(log);
    expect(sd.runs()).toBe(1);

    // Resumed after a fix (once the queued re-check has had its no-op run): a new visit of the
    // stage, so the hook runs again.
    for (const job of await env.admin.list({ taskId: t.id, status: 'queued' }))
      await env.admin.requestCancel(job.id);
    env.clock.advance(60_000);
    await env.pipeline.resume(t.id, { by: 'alice', note: 'host fixed' });
    expect(await deployAgent(env, t)).toMatchObject({ kind: 'deferred' });
    await until('the second run', () => sd.runs() === 2);
  });

  it('a hook that outlives its timeout is killed and the item Blocked "timed out"', async () => {
    const env = await pipelineEnv(current().db);
    selfHosted(env, 'exit 0', 30_000);
    const t = await toDeploy(env);
    await deployAgent(env, t);
    env.clock.advance(30_000);
    expect(await recheck(env.pipeline, { taskId: t.id, stage: 'deploy' })).toMatchObject({
      kind: 'blocked',
      reason:
        'check_deploy_status failed in deploy: deploy_status: FAILED (self-deploy hook timed out after 30 s)',
    });
  });

  it('a red security gate before the deploy stage never launches the hook', async () => {
    const env = await pipelineEnv(current().db, { securityGate: true, maxDeveloperRetries: 0 });
    const sd = selfHosted(env, 'exit 0');
    const token = `ghp_${'0123456789abcdefghijklmnopqrstuvwxyz'.slice(0, 36)}`;
    const t = await toDeploy(env, (x) => env.file(x, 'config/app.env', `GITHUB_TOKEN=${token}\n`));
    expect(t).toMatchObject({ stage: 'deploy-staging', state: 'blocked' });
    expect(t.lastError).toContain('Security gate FAILED');
    expect(sd.runs()).toBe(0);
    expect(existsSync(sd.dir)).toBe(false);
  });

  it('the engine blocks a gate still undecided well past its own deadline', async () => {
    const env = await pipelineEnv(current().db);
    const { task } = await env.newItem();
    const deadlineMs = env.clock.now() + 10_000;
    const undecided = {
      gate: 'slow_gate',
      passed: false,
      reason: 'still deciding',
      retryAfterMs: 1000,
      deadlineMs,
    };
    for (let i = 0; i < 12; i++)
      expect(await env.core.defer(task, [undecided], 1000)).toMatchObject({ kind: 'deferred' });
    env.clock.set(deadlineMs + 1000 + OWN_DEADLINE_GRACE_MS + 1);
    expect(await env.core.defer(task, [undecided], 1000)).toEqual({
      kind: 'blocked',
      reason: 'still deciding; still undecided after its own deadline',
    });
  });
});

/** The state directory of the task's deploy visit (the only one in these tests). */
function visitDirOf(dir: string, t: Task): string {
  const item = join(dir, t.workItemId);
  return join(item, (existsSync(item) ? readdirSync(item) : [])[0] ?? 'none');
}
