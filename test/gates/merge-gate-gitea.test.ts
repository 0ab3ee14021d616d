import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { GateContext } from '../../src/gates/gate.js';
import { mergeGate } from '../../src/gates/merge/merge-gate.js';
import { GiteaClient } from '../../src/integrations/gitea/gitea-client.js';
import { ruleFor } from '../../src/pipeline/rollbacks.js';
import { GiteaStub, type GiteaStubPull } from '../helpers/stubs/gitea-stub.js';
import { TEST_PROJECTS } from '../integrations/intake-setup.js';

const REPO = 'et-app'; // configured as gitea gordon/hello-world
const FULL = 'gordon/hello-world';
const BRANCH = 'feature/ET-1-export';

const run = (cwd: string, ...args: string[]) =>
  execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', ...args], {
    cwd,
    encoding: 'utf8',
    stdio: 'pipe',
  }).trim();

/** The merge gate against the Gitea stub, with real git repositories behind it. */
describe('merge gate on Gitea: each 405 leads to the right outcome', () => {
  let stub: GiteaStub;
  let root: string;
  let worktree: string;
  let client: GiteaClient;
  let ctx: GateContext;
  let pull: GiteaStubPull;

  /** Another change lands on main (another task merged meanwhile). */
  const landOnMain = (file: string, text: string) => {
    const other = mkdtempSync(join(tmpdir(), 'orch-other-'));
    run(other, 'clone', '-q', `${root}/${FULL}.git`, '.');
    writeFileSync(join(other, file), text);
    run(other, 'add', '-A');
    run(other, 'commit', '-q', '-m', `main: ${file}`);
    run(other, 'push', '-q', 'origin', 'HEAD:main');
  };

  beforeEach(async () => {
    root = mkdtempSync(join(tmpdir(), 'orch-gitea-'));
    mkdirSync(join(root, 'gordon'));
    run(root, 'init', '-q', '--bare', '-b', 'main', `${FULL}.git`);
    worktree = mkdtempSync(join(tmpdir(), 'orch-wt-'));
    run(worktree, 'clone', '-q', `${root}/${FULL}.git`, '.');
    writeFileSync(join(worktree, 'shared.txt'), 'base\n');
    run(worktree, 'add', '-A');
    run(worktree, 'commit', '-q', '-m', 'base');
    run(worktree, 'push', '-q', 'origin', 'HEAD:main');
    run(worktree, 'checkout', '-q', '-b', BRANCH);
    writeFileSync(join(worktree, 'shared.txt'), 'from the task\n');
    run(worktree, 'commit', '-q', '-am', 'task change');
    run(worktree, 'push', '-q', 'origin', `HEAD:${BRANCH}`);

    stub = await new GiteaStub().start();
    stub.addRepo(FULL);
    stub.gitRoot = root;
    client = new GiteaClient({
      baseUrl: stub.url,
      token: stub.token,
      projects: TEST_PROJECTS,
      mergeCheckBackoffMs: [],
    });
    const pr = await client.ensurePullRequest(REPO, {
      head: BRANCH,
      base: 'main',
      title: 'ET-1',
      body: '',
    });
    pull = stub.repos.get(FULL)!.pulls.find((p) => p.number === pr.number)!;
    ctx = {
      workItemId: 'ET-1',
      repo: REPO,
      branch: BRANCH,
      baseBranch: 'main',
      worktree,
      testCommand: ['true'],
      testTimeoutMs: 10_000,
      forge: client,
      headSha: run(worktree, 'rev-parse', 'HEAD'),
      passedGates: ['check_tests_local', 'check_reviewer_verdict', 'security_gate'],
    };
  });

  afterEach(async () => {
    await stub.close();
  });

  it('publishes orch/tests, orch/review and orch/security on the head before merging it', async () => {
    stub.repos.get(FULL)!.settings.requiredContexts = [
      'orch/tests',
      'orch/review',
      'orch/security',
    ];
    pull.status = 'mergeable';
    const r = await mergeGate(ctx, { deferMs: 5000 });
    expect(r).toMatchObject({ gate: 'merge_gate', passed: true });
    const calls = stub.requests.map((q) => `${q.method} ${q.path.replace(/^.*hello-world/, '')}`);
    const firstMerge = calls.indexOf('POST /pulls/1/merge');
    const posted = calls.slice(0, firstMerge).filter((c) => c === `POST /statuses/${ctx.headSha}`);
    expect(posted).toHaveLength(3);
    expect(
      stub.repos
        .get(FULL)!
        .statuses.get(ctx.headSha!)!
        .map((s) => s.context),
    ).toEqual(['orch/tests', 'orch/review', 'orch/security']);
  });

  it('conflict (Gitea says not mergeable, and the branches conflict) → fails without retry: rollback', async () => {
    landOnMain('shared.txt', 'from main, differently\n');
    pull.status = 'conflict';
    const r = await mergeGate(ctx, { deferMs: 5000 });
    expect(r).toMatchObject({ passed: false, reason: 'PR #1 conflicts with main in: shared.txt' });
    expect(r.retryAfterMs).toBeUndefined();
    expect(ruleFor('deploy-staging', r)).toMatchObject({ kind: 'to_development' });
  });

  it('not checked yet (not mergeable, but the branches merge cleanly) → deferred', async () => {
    pull.status = 'checking';
    pull.checkReads = 100;
    const r = await mergeGate(ctx, { deferMs: 5000 });
    expect(r).toMatchObject({ passed: false, retryAfterMs: 5000 });
    expect(r.reason).toContain('not mergeable yet');
  });

  it('not ready (a required check is missing) → deferred, saying which', async () => {
    stub.repos.get(FULL)!.settings.requiredContexts = ['orch/tests', 'ci/build'];
    await client.setStatus(REPO, ctx.headSha!, {
      context: 'ci/build',
      state: 'failure',
      description: '',
    });
    pull.status = 'mergeable';
    const r = await mergeGate(ctx, { deferMs: 5000 });
    expect(r).toMatchObject({ passed: false, retryAfterMs: 5000 });
    expect(r.reason).toContain('ci/build (failure)');
    expect(r.reason).not.toContain('orch/tests');
  });

  it('user not allowed to merge → blocked with the reason, not rolled back', async () => {
    stub.repos.get(FULL)!.settings.userCanMerge = false;
    pull.status = 'mergeable';
    const r = await mergeGate(ctx, { deferMs: 5000 });
    expect(r).toMatchObject({ passed: false, blocked: true });
    expect(ruleFor('deploy-staging', r)).toEqual({
      kind: 'block',
      reason: 'PR #1 not merged: Gitea refused the merge: User not allowed to merge PR',
    });
  });
});
