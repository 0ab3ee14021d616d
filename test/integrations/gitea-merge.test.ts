import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GiteaClient } from '../../src/integrations/gitea/gitea-client.js';
import { GiteaStub } from '../helpers/stubs/gitea-stub.js';
import { TEST_PROJECTS } from './intake-setup.js';

const REPO = 'et-app'; // configured as gitea gordon/hello-world
const FULL = 'gordon/hello-world';

/** Each way real Gitea answers 405 to `POST /pulls/{n}/merge`, and what Orch makes of it. */
describe('GiteaClient merge: the 405 variants', () => {
  let stub: GiteaStub;
  let client: GiteaClient;
  let sleeps: number[];

  beforeEach(async () => {
    stub = await new GiteaStub().start();
    stub.addRepo(FULL);
    sleeps = [];
    client = new GiteaClient({
      baseUrl: stub.url,
      token: stub.token,
      projects: TEST_PROJECTS,
      sleep: (ms) => {
        sleeps.push(ms);
        return Promise.resolve();
      },
    });
  });

  afterEach(async () => {
    await stub.close();
  });

  const openPr = async (branch = 'feature/ET-1-export') => {
    await client.ensureBranch(REPO, branch, 'main');
    const sha = stub.push(FULL, branch);
    const pr = await client.ensurePullRequest(REPO, {
      head: branch,
      base: 'main',
      title: 'ET-1',
      body: '',
    });
    return {
      pr,
      sha,
      branch,
      stubPr: stub.repos.get(FULL)!.pulls.find((p) => p.number === pr.number)!,
    };
  };
  const merges = () => stub.requestsTo('POST', /\/pulls\/\d+\/merge$/);

  it('finds the PR by base and head in one call', async () => {
    const { pr, branch } = await openPr();
    stub.requests.length = 0;
    expect(await client.findPullRequest(REPO, branch, 'main')).toMatchObject({ number: pr.number });
    expect(stub.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      `GET /api/v1/repos/${FULL}/pulls/main/feature/ET-1-export`,
    ]);
    expect(await client.findPullRequest(REPO, 'feature/none', 'main')).toBeNull();
  });

  it('not checked yet ("Please try again later" while checking): re-reads with backoff, then merges', async () => {
    const { pr, sha, stubPr } = await openPr();
    stubPr.status = 'checking';
    stubPr.checkReads = 2;
    const r = await client.merge(REPO, pr.number, { headSha: sha });
    expect(r).toMatchObject({ kind: 'merged' });
    // 405, wait 1 s, 405, wait 2 s, 405 (the re-read finds it checked: no wait), 200
    expect(merges().map(() => 0)).toHaveLength(4);
    expect(sleeps).toEqual([1000, 2000]);
  });

  it('a conflict Gitea found ("Please try again later", mergeable false) ends as not_mergeable', async () => {
    const { pr, sha, stubPr } = await openPr();
    stubPr.status = 'conflict';
    const r = await client.merge(REPO, pr.number, { headSha: sha });
    expect(r).toMatchObject({ kind: 'not_mergeable' });
    expect(sleeps).toEqual([1000, 2000, 4000]);
    expect(stubPr.merged).toBe(false);
  });

  it('not ready (required checks missing): not_ready naming the checks that are not green', async () => {
    const { pr, sha, stubPr } = await openPr();
    stubPr.status = 'mergeable';
    stub.repos.get(FULL)!.settings.requiredContexts = ['orch/tests', 'ci/build'];
    await client.setStatus(REPO, sha, { context: 'orch/tests', state: 'success', description: '' });
    await client.setStatus(REPO, sha, { context: 'ci/build', state: 'pending', description: '' });
    expect(await client.merge(REPO, pr.number, { headSha: sha })).toEqual({
      kind: 'not_ready',
      reason: 'Not all required status checks successful: not green yet: ci/build (pending)',
    });
    stub.repos.get(FULL)!.settings.requiredContexts = [];
    stub.repos.get(FULL)!.settings.requiredApprovals = 1;
    expect(await client.merge(REPO, pr.number, { headSha: sha })).toEqual({
      kind: 'not_ready',
      reason: 'Does not have enough approvals',
    });
    expect(sleeps).toEqual([]);
  });

  it('merge style not allowed: retries with a style the repository allows, and keeps it', async () => {
    Object.assign(stub.repos.get(FULL)!.settings, {
      allow_merge_commits: false,
      default_merge_style: 'squash',
    });
    const first = await openPr();
    first.stubPr.status = 'mergeable';
    expect(await client.merge(REPO, first.pr.number, { headSha: first.sha })).toMatchObject({
      kind: 'merged',
    });
    expect(merges().map((r) => (r.body as { Do: string }).Do)).toEqual(['merge', 'squash']);
    const second = await openPr('feature/ET-2-more');
    second.stubPr.status = 'mergeable';
    await client.merge(REPO, second.pr.number, { headSha: second.sha });
    expect(merges().map((r) => (r.body as { Do: string }).Do)).toEqual([
      'merge',
      'squash',
      'squash',
    ]);
  });

  it("user not allowed to merge: forbidden with Gitea's reason", async () => {
    const { pr, sha, stubPr } = await openPr();
    stubPr.status = 'mergeable';
    stub.repos.get(FULL)!.settings.userCanMerge = false;
    expect(await client.merge(REPO, pr.number, { headSha: sha })).toEqual({
      kind: 'forbidden',
      reason: 'Gitea refused the merge: User not allowed to merge PR',
    });
  });

  it('already merged (405 without a message): already_merged', async () => {
    const { pr, sha, stubPr } = await openPr();
    stubPr.status = 'mergeable';
    expect(await client.merge(REPO, pr.number, { headSha: sha })).toMatchObject({ kind: 'merged' });
    expect(await client.merge(REPO, pr.number, { headSha: sha })).toEqual({
      kind: 'already_merged',
    });
  });
});
