import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GithubForge } from '../../../src/integrations/github/github-forge.js';
import { GithubStub } from '../../helpers/stubs/github-stub.js';
import { tokenClient } from './github-setup.js';

const FULL = 'acme/widgets';
const BRANCH = 'orch/7-export';

describe('GithubForge', () => {
  let stub: GithubStub;
  let forge: GithubForge;

  beforeEach(async () => {
    stub = await new GithubStub().start();
    stub.addRepo(FULL);
    forge = new GithubForge({ client: tokenClient(stub) });
  });

  afterEach(async () => {
    forge.close();
    await stub.close();
  });

  /** A PR whose head is a fresh push, mergeable as the test says. */
  const openPr = async () => {
    await forge.ensureBranch(FULL, BRANCH, 'main');
    const sha = stub.push(FULL, BRANCH);
    const pr = await forge.ensurePullRequest(FULL, {
      head: BRANCH,
      base: 'main',
      title: 'Export',
      body: 'Closes #1',
    });
    const pull = stub.pull(FULL, pr.number);
    pull.mergeable = true;
    pull.mergeableState = 'clean';
    return { pr, sha, pull };
  };

  it('branches, PRs and clone URLs: idempotent, owner:branch lookup, token in the URL', async () => {
    const { pr, sha } = await openPr();
    await forge.ensureBranch(FULL, BRANCH, 'main'); // exists: fine
    expect(pr).toMatchObject({ head: BRANCH, base: 'main', state: 'open', merged: false });
    expect(pr.headSha).toBe(sha);
    const again = await forge.ensurePullRequest(FULL, {
      head: BRANCH,
      base: 'main',
      title: 'x',
      body: 'y',
    });
    expect(again.number).toBe(pr.number);
    expect(stub.requestsTo('POST', /\/pulls$/)).toHaveLength(1);
    expect(await forge.findPullRequest(FULL, 'nope')).toBeNull();
    expect(await forge.defaultBranch(FULL)).toBe('main');
    // no credentials in clone URLs: git gets them from its environment (github-git-auth.test.ts)
    expect(forge.cloneUrl(FULL)).toBe(`${stub.url}/${FULL}.git`);
    const gh = new GithubForge({ client: tokenClient(stub, { apiUrl: 'https://api.github.com' }) });
    expect(gh.cloneUrl(FULL)).toBe(`https://github.com/${FULL}.git`);
    const ghes = new GithubForge({
      client: tokenClient(stub, { apiUrl: 'https://ghe.example/api/v3' }),
    });
    expect(ghes.cloneUrl(FULL)).toBe(`https://ghe.example/${FULL}.git`);
    gh.close();
    ghes.close();
    expect(() => forge.cloneUrl('not a repo')).toThrow(/owner\/name/);
  });

  it('merge 200 → merged with the merge SHA, pinned to the head and the preferred method', async () => {
    const { pr, sha, pull } = await openPr();
    const r = await forge.merge(FULL, pr.number, { headSha: sha });
    expect(r).toEqual({ kind: 'merged', mergeSha: pull.mergeSha });
    const put = stub.requestsTo('PUT', /\/merge$/)[0]!;
    expect(put.body).toEqual({ sha, merge_method: 'merge' });
    expect(await forge.merge(FULL, pr.number, { headSha: sha })).toEqual({
      kind: 'already_merged',
    });
    expect((await forge.findPullRequest(FULL, BRANCH))?.merged).toBe(true);
  });

  it('merge method: the repository allowed one (squash), or the configured one', async () => {
    const { pr, sha } = await openPr();
    stub.repo(FULL).settings.allow_merge_commit = false;
    const rebase = new GithubForge({ client: tokenClient(stub), mergeMethod: 'rebase' });
    expect((await rebase.merge(FULL, pr.number, { headSha: sha })).kind).toBe('merged');
    expect(stub.requestsTo('PUT', /\/merge$/).map((r) => r.body)).toEqual([
      { sha, merge_method: 'rebase' },
    ]);
    const second = await openPrOn('orch/8-more');
    expect((await forge.merge(FULL, second.pr.number, { headSha: second.sha })).kind).toBe(
      'merged',
    );
    expect(stub.requestsTo('PUT', /\/merge$/).at(-1)!.body).toEqual({
      sha: second.sha,
      merge_method: 'squash',
    });
  });

  const openPrOn = async (branch: string) => {
    await forge.ensureBranch(FULL, branch, 'main');
    const sha = stub.push(FULL, branch);
    const pr = await forge.ensurePullRequest(FULL, {
      head: branch,
      base: 'main',
      title: 't',
      body: '',
    });
    Object.assign(stub.pull(FULL, pr.number), { mergeable: true, mergeableState: 'clean' });
    return { pr, sha };
  };

  it('merge 409: the head moved since the gates saw it', async () => {
    const { pr, sha } = await openPr();
    stub.push(FULL, BRANCH);
    const r = await forge.merge(FULL, pr.number, { headSha: sha });
    expect(r.kind).toBe('head_moved');
  });

  it('merge 405 with mergeable null: not_mergeable, "still computing"', async () => {
    const { pr, sha, pull } = await openPr();
    pull.mergeable = null;
    pull.mergeableState = 'unknown';
    pull.computeReads = 5;
    const r = await forge.merge(FULL, pr.number, { headSha: sha });
    expect(r).toMatchObject({ kind: 'not_mergeable' });
    expect((r as { reason: string }).reason).toMatch(/still computing/);
  });

  it('merge 405 dirty → conflict; behind → not_ready', async () => {
    const { pr, sha, pull } = await openPr();
    pull.mergeableState = 'dirty';
    pull.mergeable = false;
    expect((await forge.merge(FULL, pr.number, { headSha: sha })).kind).toBe('conflict');
    pull.mergeableState = 'behind';
    pull.mergeable = true;
    const behind = await forge.merge(FULL, pr.number, { headSha: sha });
    expect(behind).toMatchObject({ kind: 'not_ready' });
    expect((behind as { reason: string }).reason).toMatch(/behind/);
  });

  it('merge 405 blocked → not_ready naming the failing and pending checks', async () => {
    const { pr, sha, pull } = await openPr();
    pull.mergeableState = 'blocked';
    await forge.setStatus(FULL, sha, { context: 'orch/tests', state: 'failure', description: 'x' });
    await forge.setStatus(FULL, sha, {
      context: 'orch/review',
      state: 'success',
      description: 'y',
    });
    stub.addCheckRun(FULL, sha, { name: 'ci/build', status: 'in_progress', conclusion: null });
    const r = await forge.merge(FULL, pr.number, { headSha: sha });
    expect(r.kind).toBe('not_ready');
    const reason = (r as { reason: string }).reason;
    expect(reason).toContain('orch/tests (failure)');
    expect(reason).toContain('ci/build (in_progress)');
    expect(reason).not.toContain('orch/review');
  });

  it('merge 403 → forbidden', async () => {
    const { pr, sha } = await openPr();
    stub.repo(FULL).permissions.push = false;
    expect((await forge.merge(FULL, pr.number, { headSha: sha })).kind).toBe('forbidden');
  });

  it('combinedStatus counts statuses and check runs: success only when both are', async () => {
    const sha = stub.push(FULL, 'x');
    expect(await forge.combinedStatus(FULL, sha)).toBe('none');
    await forge.setStatus(FULL, sha, { context: 'orch/tests', state: 'success', description: '' });
    expect(await forge.combinedStatus(FULL, sha)).toBe('success');
    stub.addCheckRun(FULL, sha, { name: 'ci', status: 'queued', conclusion: null });
    expect(await forge.combinedStatus(FULL, sha)).toBe('pending');
    const runs = stub.repo(FULL).checkRuns.get(sha)!;
    Object.assign(runs[0]!, { status: 'completed', conclusion: 'failure' });
    expect(await forge.combinedStatus(FULL, sha)).toBe('failure');
    runs[0]!.conclusion = 'success';
    expect(await forge.combinedStatus(FULL, sha)).toBe('success');
    const checksOnly = stub.push(FULL, 'y');
    stub.addCheckRun(FULL, checksOnly, { name: 'ci', status: 'completed', conclusion: 'skipped' });
    expect(await forge.combinedStatus(FULL, checksOnly)).toBe('success');
    const long = 'd'.repeat(300);
    await forge.setStatus(FULL, sha, { context: 'c', state: 'pending', description: long });
    expect(
      (stub.requestsTo('POST', /\/statuses\//).at(-1)!.body as { description: string }).description,
    ).toHaveLength(140);
  });

  it('listReviews: submitted verdicts oldest first, drafts and dismissed left out, byOrch', async () => {
    const { pr } = await openPr();
    stub.addReview(FULL, pr.number, {
      state: 'CHANGES_REQUESTED',
      login: 'ann',
      body: 'fix',
      submittedAt: '2026-01-02T00:00:00Z',
    });
    stub.addReview(FULL, pr.number, {
      state: 'APPROVED',
      login: 'orch-bot',
      submittedAt: '2026-01-01T00:00:00Z',
    });
    stub.addReview(FULL, pr.number, { state: 'PENDING', login: 'bob' });
    stub.addReview(FULL, pr.number, { state: 'DISMISSED', login: 'carl' });
    stub.addReview(FULL, pr.number, {
      state: 'COMMENTED',
      login: 'dora',
      submittedAt: '2026-01-03T00:00:00Z',
    });
    const reviews = await forge.listReviews(FULL, pr.number);
    expect(reviews.map((r) => [r.author, r.verdict, r.byOrch])).toEqual([
      ['orch-bot', 'approved', true],
      ['ann', 'rejected', false],
      ['dora', 'comment', false],
    ]);
  });
});
