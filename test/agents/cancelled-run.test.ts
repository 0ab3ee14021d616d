import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { AgentRunStore } from '../../src/store/agent-runs/agent-run-store.js';
import { AgentRunner } from '../../src/agents/agent-runner.js';
import { AgentProfiles, agentsSectionSchema } from '../../src/agents/agents-config.js';
import { Preflight } from '../../src/agents/preflight.js';
import { childBaseEnv } from '../../src/config/child-env.js';
import { parseEnv } from '../../src/config/env.js';
import { silentLogger } from '../../src/log.js';
import { afterAgentRun, pipelineOnFinished } from '../../src/pipeline/agent-hook.js';
import { BreakerStore } from '../../src/queue/breaker-store.js';
import { Worker } from '../../src/queue/worker.js';
import { pipelineEnv } from '../helpers/pipeline-env.js';
import { describeEachDialect } from '../helpers/test-db.js';
import { FAKE_CLAUDE } from './agent-harness.js';

type Env = Awaited<ReturnType<typeof pipelineEnv>>;

/** The real runner and worker on the pipeline env: every role runs the fake Claude CLI. */
function agentWorker(env: Env, goFile: string) {
  const { db } = env.core.deps;
  const profiles = new AgentProfiles(
    agentsSectionSchema.parse({
      defaults: {
        adapter: 'claude-code',
        command: [process.execPath, FAKE_CLAUDE],
        env: { FAKE_SCENARIO: 'wait_for_go', FAKE_GO_FILE: goFile },
        killGraceS: 0.3,
        exitGraceS: 0.5,
        idleTimeoutS: 20,
        timeoutS: 60,
      },
    }),
    parseEnv({}),
  );
  const breakers = new BreakerStore(db, env.clock, { threshold: 3, pauseMs: 300_000 });
  const baseEnv = childBaseEnv(process.env);
  // A lease far longer than the run: no timer heartbeat sees the cancel, only the fenced
  // heartbeat before the after-run step does.
  const leaseMs = 600_000;
  const runner = new AgentRunner({
    queue: env.queue,
    runs: new AgentRunStore(db),
    breakers,
    profiles,
    worktrees: env.worktrees,
    notifier: env.notifier,
    clock: env.clock,
    log: silentLogger,
    dataDir: join(env.root, 'data'),
    leaseMs,
    baseEnv,
    onFinished: pipelineOnFinished(env.pipeline, env.workspace, silentLogger),
    pollMs: 50,
  });
  return new Worker({
    queue: env.queue,
    breakers,
    launcher: runner,
    preflight: new Preflight({ clock: env.clock, ttlMs: 45_000, env: baseEnv }),
    clock: env.clock,
    log: silentLogger,
    owner: 'test-worker',
    kinds: profiles.kinds(),
    maxConcurrency: 1,
    leaseMs,
    pollIntervalMs: 50,
  });
}

describeEachDialect('a cancelled task', ({ current }) => {
  let worker: Worker | undefined;
  afterEach(async () => {
    await worker?.stop({ drainMs: 0 });
    worker = undefined;
  });

  const branchHead = (env: Env, branch: string) =>
    execFileSync('git', ['rev-parse', `refs/heads/${branch}`], { cwd: env.forge.cloneUrl('demo') })
      .toString()
      .trim();

  it('ends a job cancelled while its agent runs, and commits, pushes and opens no PR for it', async () => {
    const env = await pipelineEnv(current().db);
    const goFile = join(env.root, 'go');
    worker = agentWorker(env, goFile);
    const { task, jobId } = await env.newItem();
    const before = branchHead(env, task.branch);

    expect(await worker.runOnce()).toBeTruthy();
    expect(await env.queue.get(jobId!)).toMatchObject({ status: 'running' });
    await env.admin.requestCancel(jobId!);
    writeFileSync(goFile, 'go'); // the agent now finishes with a success result, exit 0
    await worker.whenIdle();

    expect(await env.queue.get(jobId!)).toMatchObject({
      status: 'cancelled',
      error: expect.stringContaining('cancelled by operator') as string,
    });
    // Whether the cancel is seen before the spawn or after the run, nothing reaches the forge.
    expect(branchHead(env, task.branch)).toBe(before);
    expect(await env.forge.findPullRequest('demo', task.branch)).toBeNull();
    expect(await env.task(task.id)).toMatchObject({ prNumber: null, stage: 'analysis' });
  }, 60_000);

  it('refuses the after-run step (the reaper replays it too) for a task cancelled meanwhile', async () => {
    const env = await pipelineEnv(current().db);
    const { task, jobId } = await env.newItem();
    await env.workspace.ensure(task, env.project);
    env.artifact(task, '01-brd.md', '# written by an agent that was cancelled\n');
    const before = branchHead(env, task.branch);
    await env.pipeline.cancel(task.id, 'operator stop');

    const result = await afterAgentRun(env.pipeline, env.workspace, {
      job: { id: jobId! },
      payload: {
        taskId: task.id,
        workItemId: task.workItemId,
        repo: env.forge.cloneUrl('demo'),
        branch: task.branch,
        role: 'analyst',
        stage: 'analysis',
        prompt: 'x',
      },
      worktreePath: env.worktree(task),
    });

    expect(result).toMatchObject({ kind: 'noop' });
    expect(branchHead(env, task.branch)).toBe(before);
    expect(await env.forge.findPullRequest('demo', task.branch)).toBeNull();
    expect(await env.task(task.id)).toMatchObject({ state: 'cancelled', prNumber: null });
  }, 60_000);
});
