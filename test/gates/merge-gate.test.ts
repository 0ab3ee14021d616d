import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { RECHECK_JOB_KIND } from '../../src/pipeline/engine.js';
import { recheck } from '../../src/pipeline/recheck.js';
import type { Task } from '../../src/pipeline/task.js';
import { ANALYSIS, pipelineEnv } from '../helpers/pipeline-env.js';
import { describeEachDialect } from '../helpers/test-db.js';

type Env = Awaited<ReturnType<typeof pipelineEnv>>;
const review = '---\nverdict: APPROVED\n---\n';

/** Someone else lands a commit on main meanwhile (another task merged). */
function landOnMain(env: Env, file: string, text: string): void {
  const dir = mkdtempSync(join(tmpdir(), 'orch-other-'));
  const g = (...a: string[]) => execFileSync('git', a, { cwd: dir, stdio: 'pipe' });
  g('clone', '-q', env.forge.cloneUrl('demo'), '.');
  writeFileSync(join(dir, file), text);
  g('add', '-A');
  g('-c', 'user.name=o', '-c', 'user.email=o@o', 'commit', '-q', '-m', `other: ${file}`);
  g('push', '-q', 'origin', 'HEAD:main');
}

function mainFiles(env: Env): string {
  return execFileSync('git', ['ls-tree', '-r', '--name-only', 'main'], {
    cwd: env.forge.cloneUrl('demo'),
    encoding: 'utf8',
  });
}

/** Up to deploy-staging with a developer change to `shared.txt`; returns the task. */
async function toStaging(env: Env): Promise<Task> {
  const { task } = await env.newItem();
  await env.agent(task.id, 'analyst', ANALYSIS(env));
  await env.pipeline.approve(task.id, 'alice');
  await env.agent(task.id, 'architect', (t) => env.artifact(t, '06-adr/ADR-001.md', '# ADR\n'));
  await env.agent(task.id, 'developer', (t) => env.file(t, 'shared.txt', 'from the task\n'));
  await env.agent(task.id, 'reviewer', (t) => env.artifact(t, '12-review.md', review));
  await env.agent(task.id, 'tester', (t) =>
    env.artifact(t, '13-test-report.md', '---\nresult: PASS\n---\n'),
  );
  return env.task(task.id);
}

const staging = (env: Env) => (t: Task) =>
  env.artifact(t, '15-staging-log.md', '---\nstaging_status: SUCCESS\n---\n');

describeEachDialect('merge gate', ({ current }) => {
  it('rebases a branch that fell behind, re-runs the tests and merges the re-tested head', async () => {
    const env = await pipelineEnv(current().db, { leasedMerge: true });
    const t = await toStaging(env);
    landOnMain(env, 'other.txt', 'another task\n');
    const r = await env.agent(t.id, 'deployer', staging(env));
    expect(r).toMatchObject({ kind: 'advanced', to: 'deploy' });
    const gate = (await env.tasks.gateResults(t.id)).at(-1)!;
    expect(gate).toMatchObject({ gate: 'merge_gate', passed: true });
    expect(gate.reason).toContain('rebased and re-tested');
    expect(mainFiles(env)).toContain('other.txt');
    expect(mainFiles(env)).toContain('shared.txt');
    expect(await env.leases.list()).toEqual([]);
    // The task remembers the commit that merged it (the dashboard's "Merged", `orch explain`).
    const mainHead = execFileSync('git', ['rev-parse', 'main'], {
      cwd: env.forge.cloneUrl('demo'),
      encoding: 'utf8',
    }).trim();
    expect((await env.task(t.id)).mergedSha).toBe(mainHead);
  });

  it('rolls back to development on a rebase conflict and releases the lease', async () => {
    const env = await pipelineEnv(current().db, { leasedMerge: true });
    const t = await toStaging(env);
    landOnMain(env, 'shared.txt', 'from main, differently\n');
    const r = await env.agent(t.id, 'deployer', staging(env));
    expect(r).toMatchObject({ kind: 'rolled_back', to: 'development' });
    expect((await env.tasks.gateResults(t.id)).at(-1)).toMatchObject({
      gate: 'merge_gate',
      passed: false,
      reason: 'rebase conflict with the target branch',
    });
    const dev = (await env.admin.list({ taskId: t.id, kind: 'developer', limit: 1 }))[0]!;
    expect(JSON.stringify(dev.payload)).toContain('shared.txt');
    expect(await env.leases.list()).toEqual([]);
    expect((await env.forge.findPullRequest('demo', t.branch))?.merged).toBe(false);
  });

  it('rolls back when the tests go red after the rebase', async () => {
    const env = await pipelineEnv(current().db, { leasedMerge: true });
    const t = await toStaging(env);
    landOnMain(env, 'BROKEN', 'main broke the suite\n');
    const r = await env.agent(t.id, 'deployer', staging(env));
    expect(r).toMatchObject({ kind: 'rolled_back', to: 'development' });
    const gate = (await env.tasks.gateResults(t.id)).at(-1)!;
    expect(gate).toMatchObject({
      gate: 'merge_gate',
      passed: false,
      reason: 'tests red after rebase',
    });
    expect(gate.evidence).toContain('FAIL: BROKEN present');
    expect(await env.leases.list()).toEqual([]);
  });

  it('defers while another branch holds the merge lease, then merges on the re-check', async () => {
    const env = await pipelineEnv(current().db, { leasedMerge: true });
    const t = await toStaging(env);
    const other = { taskId: 999, branch: 'feature/OTHER-1' };
    await env.leases.acquire({ repo: 'demo', holder: other, ttlMs: 300_000 });
    const r = await env.agent(t.id, 'deployer', staging(env));
    expect(r).toMatchObject({ kind: 'deferred', gate: 'merge_gate', delayMs: 30_000 });
    expect(await env.task(t.id)).toMatchObject({ stage: 'deploy-staging', state: 'active' });
    const [job] = await env.admin.list({ taskId: t.id, kind: RECHECK_JOB_KIND });
    expect(job!.availableAtMs).toBe(env.clock.now() + 30_000);
    // Still busy at the first re-check: deferred again, never rolled back.
    expect(await recheck(env.pipeline, job!.payload)).toMatchObject({ kind: 'deferred' });
    await env.leases.release('demo', other);
    expect(await recheck(env.pipeline, job!.payload)).toMatchObject({
      kind: 'advanced',
      to: 'deploy',
    });
    expect((await env.forge.findPullRequest('demo', t.branch))?.merged).toBe(true);
    await env.effects();
    expect(env.notifier.ofType('rollback')).toHaveLength(0);
  });

  it('a conflict found on the re-check rolls back; the item is never left without a job', async () => {
    const env = await pipelineEnv(current().db, { leasedMerge: true });
    const t = await toStaging(env);
    const other = { taskId: 999, branch: 'feature/OTHER-1' };
    await env.leases.acquire({ repo: 'demo', holder: other, ttlMs: 300_000 });
    expect(await env.agent(t.id, 'deployer', staging(env))).toMatchObject({ kind: 'deferred' });
    // The lease holder lands a conflicting change, then lets go.
    landOnMain(env, 'shared.txt', 'from main, differently\n');
    await env.leases.release('demo', other);
    const [job] = await env.admin.list({ taskId: t.id, kind: RECHECK_JOB_KIND });
    const developerJobs = async () =>
      (await env.admin.list({ taskId: t.id, kind: 'developer', status: 'queued' })).length;
    const before = await developerJobs();
    const r = await recheck(env.pipeline, job!.payload);
    expect(r).toMatchObject({ kind: 'rolled_back', to: 'development' });
    expect(await env.task(t.id)).toMatchObject({ stage: 'development', state: 'active' });
    expect(await developerJobs()).toBe(before + 1);
    expect(await env.leases.list()).toEqual([]);
  });

  it('never merges twice: a re-driven merge of an already merged PR passes without a merge', async () => {
    const env = await pipelineEnv(current().db, { leasedMerge: true });
    const t = await toStaging(env);
    await env.agent(t.id, 'deployer', staging(env));
    const mergeSha = execFileSync('git', ['rev-parse', 'main'], {
      cwd: env.forge.cloneUrl('demo'),
      encoding: 'utf8',
    });
    const ctx = await env.core.gateContext(await env.task(t.id));
    const again = await env.core.deps.gates.evaluate('merge_gate', ctx);
    expect(again).toMatchObject({ passed: true });
    expect(again.reason).toMatch(/already merged/);
    expect(
      execFileSync('git', ['rev-parse', 'main'], {
        cwd: env.forge.cloneUrl('demo'),
        encoding: 'utf8',
      }),
    ).toBe(mergeSha);
  });
});
