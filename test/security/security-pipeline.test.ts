import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import type { Task } from '../../src/pipeline/task.js';
import { ANALYSIS, pipelineEnv } from '../helpers/pipeline-env.js';
import { describeEachDialect } from '../helpers/test-db.js';
import { FAKE } from './helpers.js';

type Env = Awaited<ReturnType<typeof pipelineEnv>>;
const review = '---\ntype: review\nverdict: APPROVED\n---\n';

/** From development to the security edge: reviewer, tester and staging deployer all green. */
async function throughStaging(env: Env, id: number, devWrite?: (t: Task) => void) {
  await env.agent(
    id,
    'developer',
    devWrite ?? ((t) => env.file(t, 'src/feature.txt', 'feature\n')),
  );
  await env.agent(id, 'reviewer', (t) => env.artifact(t, '12-review.md', review));
  await env.agent(id, 'tester', (t) =>
    env.artifact(t, '13-test-report.md', '---\nresult: PASS\n---\n'),
  );
  return env.agent(id, 'deployer', (t) =>
    env.artifact(t, '15-staging-log.md', '---\nstaging_status: SUCCESS\n---\n'),
  );
}

async function toDevelopment(env: Env): Promise<Task> {
  const { task } = await env.newItem();
  await env.agent(task.id, 'analyst', ANALYSIS(env));
  await env.pipeline.approve(task.id, 'alice');
  await env.agent(task.id, 'architect', (t) => env.artifact(t, '06-adr/ADR-001.md', '# ADR\n'));
  return env.task(task.id);
}

describeEachDialect('security gate on the deploy-staging → deploy edge', ({ current }) => {
  it('stops a planted secret before deploy, hands the developer masked findings, and lets a clean fix through', async () => {
    const env = await pipelineEnv(current().db, { securityGate: true });
    const t = await toDevelopment(env);
    // The developer commits a cloud key on the task branch.
    await env.agent(t.id, 'developer', (x) =>
      env.file(
        x,
        'config/aws.env',
        `AWS_ACCESS_KEY_ID=${FAKE.awsAccessKeyId}\nAWS_SECRET_ACCESS_KEY=${FAKE.awsSecretKey}\n`,
      ),
    );
    const leakCommit = execFileSync('git', ['rev-parse', 'HEAD'], {
      cwd: env.worktree(t),
      encoding: 'utf8',
    }).trim();
    await env.agent(t.id, 'reviewer', (x) => env.artifact(x, '12-review.md', review));
    await env.agent(t.id, 'tester', (x) =>
      env.artifact(x, '13-test-report.md', '---\nresult: PASS\n---\n'),
    );
    const r = await env.agent(t.id, 'deployer', (x) =>
      env.artifact(x, '15-staging-log.md', '---\nstaging_status: SUCCESS\n---\n'),
    );

    expect(r).toMatchObject({ kind: 'rolled_back', from: 'deploy-staging', to: 'development' });
    const gates = await env.tasks.gateResults(t.id);
    expect(gates.at(-1)).toMatchObject({ gate: 'security_gate', passed: false });
    // Not merged: the gate runs before the merge gate.
    expect((await env.forge.findPullRequest('demo', t.branch))?.merged).toBe(false);
    const dev = (await env.admin.list({ taskId: t.id, kind: 'developer', limit: 1 }))[0]!;
    const prompt = JSON.stringify(dev.payload);
    expect(prompt).toContain('Security gate FAILED');
    expect(prompt).toMatch(/aws|AWS/);
    // Masked everywhere: the raw key is in no prompt, gate record, comment or report.
    const report = readFileSync(
      `${env.worktree(t)}/docs/work-items/${t.workItemId}/17-security-report.md`,
      'utf8',
    );
    await env.effects();
    const comments = await env.tracker.listComments({ projectId: 'ET', itemId: t.trackerItemId });
    for (const text of [prompt, report, JSON.stringify(gates), JSON.stringify(comments)]) {
      expect(text).not.toContain(FAKE.awsAccessKeyId);
      expect(text).not.toContain(FAKE.awsSecretKey);
    }
    expect(report).toMatch(/security_status: FAIL/);

    // The fix: the developer drops the leaking commit from the branch history and pushes.
    await env.agent(t.id, 'developer', () => {
      execFileSync('git', ['rebase', '--quiet', '--onto', `${leakCommit}^`, leakCommit], {
        cwd: env.worktree(t),
      });
    });
    await env.agent(t.id, 'reviewer', (x) => env.artifact(x, '12-review.md', `${review}\nv2\n`));
    await env.agent(t.id, 'tester', (x) =>
      env.artifact(x, '13-test-report.md', '---\nresult: PASS\n---\nv2\n'),
    );
    const ok = await env.agent(t.id, 'deployer', (x) =>
      env.artifact(x, '15-staging-log.md', '---\nstaging_status: SUCCESS\n---\nv2\n'),
    );
    expect(ok).toMatchObject({ kind: 'advanced', to: 'deploy' });
    expect((await env.forge.findPullRequest('demo', t.branch))?.merged).toBe(true);
  });

  it('blocks with an alert when the security gate keeps failing past the shared cap', async () => {
    const env = await pipelineEnv(current().db, { securityGate: true, maxDeveloperRetries: 1 });
    const t = await toDevelopment(env);
    const leak = (x: Task) => env.file(x, 'keys/id_rsa', `${FAKE.privateKey}\n`);
    expect((await throughStaging(env, t.id, leak)).kind).toBe('rolled_back');
    const r = await throughStaging(env, t.id);
    expect(r.kind).toBe('blocked');
    expect(await env.task(t.id)).toMatchObject({ state: 'blocked', stage: 'deploy-staging' });
    await env.effects();
    expect(env.notifier.ofType('task_blocked')[0]?.message).toContain('Security gate FAILED');
    expect((await env.forge.findPullRequest('demo', t.branch))?.merged).toBe(false);
  });

  it('passes with a warning and an alert when the dependency audit is degraded', async () => {
    const env = await pipelineEnv(current().db, { securityGate: true });
    const t = await toDevelopment(env);
    // A manifest without a lockfile cannot be audited: degraded, fail-open by default.
    const manifest = (x: Task) =>
      env.file(x, 'package.json', '{"name":"demo","dependencies":{"left-pad":"1.0.0"}}\n');
    const r = await throughStaging(env, t.id, manifest);
    expect(r).toMatchObject({ kind: 'advanced', to: 'deploy' });
    const sec = (await env.tasks.gateResults(t.id)).find((g) => g.gate === 'security_gate');
    expect(sec?.reason).toMatch(/degraded/);
    await env.effects();
    const warnings = env.notifier.ofType('pipeline_warning');
    expect(warnings.map((w) => w.message).join('\n')).toMatch(/dependency audit degraded/);
  });

  it('passes a clean branch quietly and the pipeline advances to deploy', async () => {
    const env = await pipelineEnv(current().db, { securityGate: true });
    const t = await toDevelopment(env);
    const r = await throughStaging(env, t.id);
    expect(r).toMatchObject({ kind: 'advanced', to: 'deploy' });
    const sec = (await env.tasks.gateResults(t.id)).find((g) => g.gate === 'security_gate');
    expect(sec).toMatchObject({ passed: true });
    expect(sec?.reason).toMatch(/clean/);
    await env.effects();
    expect(env.notifier.ofType('rollback')).toHaveLength(0);
  });
});
