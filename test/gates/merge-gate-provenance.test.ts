import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import type { DeployStep } from '../../src/gates/deploy-step.js';
import { leasedMergeGate } from '../../src/gates/merge/merge-gate.js';
import { stagingProvenanceGuard } from '../../src/gates/staging-provenance.js';
import type { Db } from '../../src/store/db.js';
import type { Task } from '../../src/pipeline/task.js';
import { ANALYSIS, pipelineEnv } from '../helpers/pipeline-env.js';
import { describeEachDialect } from '../helpers/test-db.js';

/**
 * Staging provenance at the merge gate (ORCH-058): "staging" is a file outside the worktree holding
 * the revision it runs; the provenance command reads it, and the staging command "deploys" by
 * writing the worktree's HEAD into it (and counts its runs). The merge gate is the runtime's:
 * leased, with the provenance guard as its `beforeMerge` hook.
 */
type Env = Awaited<ReturnType<typeof pipelineEnv>>;
const review = '---\nverdict: APPROVED\n---\n';
const STALE = '1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b';

async function provenanceEnv(
  db: Db,
  o: { command: boolean; enabled?: boolean; provenance?: DeployStep['provenance'] },
) {
  const env = await pipelineEnv(db, { leasedMerge: true });
  const staging = join(mkdtempSync(join(tmpdir(), 'orch-staging-')), 'revision');
  const deploys = `${staging}.deploys`;
  writeFileSync(staging, `${STALE}\n`);
  env.project.deploy = {
    staging: {
      timeoutMs: 20_000,
      ...(o.command && {
        command: ['sh', '-c', `git rev-parse HEAD > '${staging}' && echo deployed >> '${deploys}'`],
      }),
      provenance: o.provenance ?? { kind: 'command', command: ['cat', staging], timeoutMs: 20_000 },
    },
  };
  env.core.deps.gates.register(
    'merge_gate',
    leasedMergeGate(env.leases, {
      ttlMs: 300_000,
      deferMs: 30_000,
      beforeMerge: stagingProvenanceGuard({ enabled: o.enabled ?? true }),
    }),
  );
  const deployCount = () =>
    existsSync(deploys) ? readFileSync(deploys, 'utf8').split('\n').filter(Boolean).length : 0;
  return { env, staging, deployCount };
}

const git = (cwd: string, ...args: string[]) =>
  execFileSync('git', args, { cwd, encoding: 'utf8' }).trim();

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

const forgeRef = (env: Env, ref: string) => git(env.forge.cloneUrl('demo'), 'rev-parse', ref);

/** Up to deploy-staging with a developer change; returns the task. */
async function toStaging(env: Env): Promise<Task> {
  const { task } = await env.newItem();
  await env.agent(task.id, 'analyst', ANALYSIS(env));
  await env.pipeline.approve(task.id, 'alice');
  await env.agent(task.id, 'architect', (t) => env.artifact(t, '06-adr/ADR-001.md', '# ADR\n'));
  await env.agent(task.id, 'developer', (t) => env.file(t, 'feature.txt', 'from the task\n'));
  await env.agent(task.id, 'reviewer', (t) => env.artifact(t, '12-review.md', review));
  await env.agent(task.id, 'tester', (t) =>
    env.artifact(t, '13-test-report.md', '---\nresult: PASS\n---\n'),
  );
  return env.task(task.id);
}

const stagingLog = (env: Env) => (t: Task) =>
  env.artifact(t, '15-staging-log.md', '---\nstaging_status: SUCCESS\n---\n');

describeEachDialect('merge gate with staging provenance', ({ current }) => {
  it('merges when staging runs the branch head, without a redeploy', async () => {
    const { env, staging, deployCount } = await provenanceEnv(current().db, { command: true });
    const t = await toStaging(env);
    const r = await env.agent(t.id, 'deployer');
    expect(r).toMatchObject({ kind: 'advanced', to: 'deploy' });
    const head = git(env.worktree(t), 'rev-parse', 'HEAD');
    expect(readFileSync(staging, 'utf8').trim()).toBe(head);
    expect(deployCount()).toBe(1); // the staging gate's deploy only
    const gate = (await env.tasks.gateResults(t.id)).at(-1)!;
    expect(gate).toMatchObject({ gate: 'merge_gate', passed: true });
    expect(gate.reason).toContain(`(staging provenance verified at ${head.slice(0, 7)})`);
    expect((await env.forge.findPullRequest('demo', t.branch))?.merged).toBe(true);
  });

  it('fails before merging when staging is stale and there is no staging command', async () => {
    const { env } = await provenanceEnv(current().db, { command: false });
    const t = await toStaging(env);
    const mainBefore = forgeRef(env, 'main');
    const r = await env.agent(t.id, 'deployer', stagingLog(env));
    const branchHead = forgeRef(env, t.branch);
    expect(r).toMatchObject({ kind: 'rolled_back', to: 'development' });
    const gate = (await env.tasks.gateResults(t.id)).at(-1)!;
    expect(gate).toMatchObject({
      gate: 'staging_provenance',
      passed: false,
      reason: `staging provenance: staging runs 1a2b3c4… but the branch head is ${branchHead.slice(0, 7)}…`,
    });
    expect(gate.evidence).toContain(`head about to be merged: ${branchHead}`);
    const pr = await env.forge.findPullRequest('demo', t.branch);
    expect(pr).toMatchObject({ merged: false, state: 'open' });
    expect(forgeRef(env, 'main')).toBe(mainBefore);
    expect(forgeRef(env, t.branch)).toBe(branchHead);
    expect(await env.leases.list()).toEqual([]);
    const dev = (await env.admin.list({ taskId: t.id, kind: 'developer', limit: 1 }))[0]!;
    expect(JSON.stringify(dev.payload)).toContain('Staging provenance FAILED');
  });

  it('redeploys a staging left stale by the rebase once, then merges the re-tested head', async () => {
    const { env, staging, deployCount } = await provenanceEnv(current().db, { command: true });
    const t = await toStaging(env);
    landOnMain(env, 'other.txt', 'another task\n');
    const r = await env.agent(t.id, 'deployer');
    expect(r).toMatchObject({ kind: 'advanced', to: 'deploy' });
    const rebased = forgeRef(env, t.branch);
    expect(readFileSync(staging, 'utf8').trim()).toBe(rebased);
    expect(deployCount()).toBe(2); // the staging gate's deploy (old head), then one redeploy
    const gate = (await env.tasks.gateResults(t.id)).at(-1)!;
    expect(gate).toMatchObject({ gate: 'merge_gate', passed: true });
    expect(gate.reason).toContain('(rebased and re-tested)');
    expect(gate.reason).toContain(
      `(staging provenance verified at ${rebased.slice(0, 7)} after a redeploy)`,
    );
    const log = readFileSync(
      join(env.worktree(t), `docs/work-items/${t.workItemId}/15-staging-log.md`),
      'utf8',
    );
    expect(log).toMatch(/^---\nstaging_status: SUCCESS\nwritten_by: orch\n/);
    expect((await env.forge.findPullRequest('demo', t.branch))?.merged).toBe(true);
    expect(await env.leases.list()).toEqual([]);
  });

  it('rebases over the staging log Orch rewrote on top of the one the deployer committed', async () => {
    const { env, staging, deployCount } = await provenanceEnv(current().db, { command: true });
    const t = await toStaging(env);
    landOnMain(env, 'other.txt', 'another task\n');
    // The agent's committed log is rewritten by Orch's deploy: a tracked, uncommitted change.
    const r = await env.agent(t.id, 'deployer', stagingLog(env));
    expect(r).toMatchObject({ kind: 'advanced', to: 'deploy' });
    expect(readFileSync(staging, 'utf8').trim()).toBe(forgeRef(env, t.branch));
    expect(deployCount()).toBe(2);
    const log = readFileSync(
      join(env.worktree(t), `docs/work-items/${t.workItemId}/15-staging-log.md`),
      'utf8',
    );
    expect(log).toContain('written_by: orch');
    const gate = (await env.tasks.gateResults(t.id)).at(-1)!;
    expect(gate.reason).toContain('(rebased and re-tested)');
    expect((await env.forge.findPullRequest('demo', t.branch))?.merged).toBe(true);
  });

  it('redeploys only once: a staging still stale after it fails the gate, nothing merged', async () => {
    const { env, staging, deployCount } = await provenanceEnv(current().db, { command: true });
    // A deploy that "succeeds" but leaves staging on another revision.
    env.project.deploy!.staging!.command = [
      'sh',
      '-c',
      `echo ${STALE} > '${staging}' && echo deployed >> '${staging}.deploys'`,
    ];
    const t = await toStaging(env);
    const mainBefore = forgeRef(env, 'main');
    const r = await env.agent(t.id, 'deployer');
    expect(r).toMatchObject({ kind: 'rolled_back', to: 'development' });
    expect(deployCount()).toBe(2);
    const gate = (await env.tasks.gateResults(t.id)).at(-1)!;
    expect(gate.gate).toBe('staging_provenance');
    expect(gate.reason).toMatch(
      /^staging provenance: staging runs 1a2b3c4… but the branch head is [0-9a-f]{7}… \(after one redeploy\)$/,
    );
    expect(forgeRef(env, 'main')).toBe(mainBefore);
    expect((await env.forge.findPullRequest('demo', t.branch))?.merged).toBe(false);
  });

  it('fails without a redeploy when the revision is unreadable', async () => {
    const unreadable = {
      kind: 'command' as const,
      command: ['sh', '-c', 'echo "no such service" >&2; exit 7'],
      timeoutMs: 20_000,
    };
    const { env, deployCount } = await provenanceEnv(current().db, {
      command: true,
      provenance: unreadable,
    });
    const t = await toStaging(env);
    const r = await env.agent(t.id, 'deployer');
    expect(r).toMatchObject({ kind: 'rolled_back', to: 'development' });
    expect(deployCount()).toBe(1);
    const gate = (await env.tasks.gateResults(t.id)).at(-1)!;
    expect(gate).toMatchObject({ gate: 'staging_provenance', passed: false });
    expect(gate.reason).toContain("staging's revision is unreadable");
    expect(gate.reason).toContain('exit code 7');
    expect((await env.forge.findPullRequest('demo', t.branch))?.merged).toBe(false);
  });

  it('does not check provenance when ORCH_STAGING_PROVENANCE_ENABLED is off', async () => {
    const { env } = await provenanceEnv(current().db, { command: false, enabled: false });
    const t = await toStaging(env);
    const r = await env.agent(t.id, 'deployer', stagingLog(env));
    expect(r).toMatchObject({ kind: 'advanced', to: 'deploy' });
    const gate = (await env.tasks.gateResults(t.id)).at(-1)!;
    expect(gate).toMatchObject({ gate: 'merge_gate', passed: true });
    expect(gate.reason).not.toContain('provenance');
  });
});
