import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isOrchError } from '../../src/errors.js';
import { GiteaClient } from '../../src/integrations/gitea/gitea-client.js';
import { gateCommitStatus } from '../../src/integrations/forge/status-contexts.js';
import { GiteaStub } from '../helpers/stubs/gitea-stub.js';
import { TEST_PROJECTS } from './intake-setup.js';

const REPO = 'et-app'; // configured as gitea gordon/hello-world
const FULL = 'gordon/hello-world';

describe('GiteaClient against the Gitea stub', () => {
  let stub: GiteaStub;
  let client: GiteaClient;

  beforeEach(async () => {
    stub = await new GiteaStub().start();
    stub.addRepo(FULL);
    client = new GiteaClient({ baseUrl: stub.url, token: stub.token, projects: TEST_PROJECTS });
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
      body: 'b',
    });
    return { pr, sha, branch };
  };

  it('creates a branch idempotently, with token auth', async () => {
    await client.ensureBranch(REPO, 'feature/x', 'main');
    await client.ensureBranch(REPO, 'feature/x', 'main');
    expect(stub.repos.get(FULL)!.branches.has('feature/x')).toBe(true);
    const reqs = stub.requestsTo('POST', /\/branches$/);
    expect(reqs).toHaveLength(2);
    expect(reqs[0]!.headers.authorization).toBe(`token ${stub.token}`);
    expect(await client.defaultBranch(REPO)).toBe('main');
    expect(client.cloneUrl(REPO)).toBe(`${stub.url}/${FULL}.git`);
    expect(client.cloneUrl(REPO)).not.toContain(stub.token);
  });

  it('finds or creates the PR by head branch, idempotently', async () => {
    const { pr, sha, branch } = await openPr();
    expect(pr).toMatchObject({
      number: 1,
      head: branch,
      base: 'main',
      state: 'open',
      merged: false,
      headSha: sha,
    });
    const again = await client.ensurePullRequest(REPO, {
      head: branch,
      base: 'main',
      title: 'ET-1',
      body: 'b',
    });
    expect(again.number).toBe(1);
    expect(stub.requestsTo('POST', /\/pulls$/)).toHaveLength(1);
    expect(await client.findPullRequest(REPO, 'feature/none')).toBeNull();
  });

  it('recovers from a 409 on create by finding the PR another writer created', async () => {
    await client.ensureBranch(REPO, 'feature/race', 'main');
    stub.failNext(
      { status: 404, body: { message: 'pull request does not exist' } },
      (r) => r.method === 'GET' && r.path.endsWith('/pulls/main/feature/race'),
    );
    const repo = stub.repos.get(FULL)!;
    repo.pulls.push({
      number: 9,
      head: 'feature/race',
      headSha: 'x',
      base: 'main',
      title: 't',
      body: '',
      state: 'open',
      merged: false,
      mergeSha: null,
      status: 'mergeable',
      checkReads: 0,
      wip: false,
      approvals: 0,
    });
    const pr = await client.ensurePullRequest(REPO, {
      head: 'feature/race',
      base: 'main',
      title: 't',
      body: '',
    });
    expect(pr.number).toBe(9);
    expect(stub.requestsTo('POST', /\/pulls$/)).toHaveLength(1);
  });

  it('merges with Do=merge and head_commit_id, reports already_merged on a second merge', async () => {
    const { pr, sha } = await openPr();
    const result = await client.merge(REPO, pr.number, { headSha: sha });
    expect(result).toEqual({
      kind: 'merged',
      mergeSha: expect.stringMatching(/^[0-9a-f]{40}$/) as unknown,
    });
    const [req] = stub.requestsTo('POST', /\/pulls\/1\/merge$/);
    expect(req!.body).toMatchObject({ Do: 'merge', head_commit_id: sha });
    expect(await client.isMerged(REPO, pr.number)).toBe(true);
    expect(await client.merge(REPO, pr.number, { headSha: sha })).toEqual({
      kind: 'already_merged',
    });
    expect(await client.findPullRequest(REPO, pr.head)).toMatchObject({
      merged: true,
      state: 'closed',
    });
  });

  it('refuses to merge a head that moved since the gates saw it (409 → head_moved)', async () => {
    const { pr, sha, branch } = await openPr();
    stub.push(FULL, branch);
    expect(await client.merge(REPO, pr.number, { headSha: sha })).toMatchObject({
      kind: 'head_moved',
    });
    expect(await client.isMerged(REPO, pr.number)).toBe(false);
  });

  it('maps a conflicting merge (409) to conflict', async () => {
    const { pr, sha } = await openPr();
    stub.repos.get(FULL)!.conflicts.add(pr.number);
    expect(await client.merge(REPO, pr.number, { headSha: sha })).toMatchObject({
      kind: 'conflict',
    });
  });

  it('publishes gate results as orch/* statuses and reads the combined status', async () => {
    const { sha, branch } = await openPr();
    expect(await client.combinedStatus(REPO, sha)).toBe('none');
    await client.setStatus(REPO, sha, {
      ...gateCommitStatus({ gate: 'check_tests_local', passed: true, reason: 'ok' })!,
      targetUrl: 'http://orch/t/1',
    });
    await client.setStatus(REPO, sha, {
      context: 'orch/review',
      state: 'pending',
      description: 'reviewing',
    });
    expect(await client.combinedStatus(REPO, sha)).toBe('pending');
    await client.setStatus(
      REPO,
      sha,
      gateCommitStatus({ gate: 'check_reviewer_verdict', passed: false, reason: 'CHANGES' })!,
    );
    expect(await client.combinedStatus(REPO, branch)).toBe('failure');
    const posted = stub.requestsTo('POST', new RegExp(`/statuses/${sha}$`)).map((r) => r.body);
    expect(posted[0]).toEqual({
      state: 'success',
      context: 'orch/tests',
      description: 'check_tests_local: ok',
      target_url: 'http://orch/t/1',
    });
  });

  it('lists submitted reviews of a PR oldest first, across pages, without drafts or dismissed ones', async () => {
    const { pr } = await openPr();
    const at = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s)).toISOString();
    for (let i = 0; i < 55; i++)
      stub.addReview(FULL, pr.number, { state: 'COMMENT', body: `note ${i}`, submittedAt: at(i) });
    stub.addReview(FULL, pr.number, { state: 'PENDING', submittedAt: at(60) });
    stub.addReview(FULL, pr.number, { state: 'APPROVED', dismissed: true, submittedAt: at(61) });
    stub.addReview(FULL, pr.number, {
      state: 'REQUEST_CHANGES',
      body: 'fix',
      login: 'ann',
      submittedAt: at(62),
    });
    const reviews = await client.listReviews(REPO, pr.number);
    expect(reviews).toHaveLength(56);
    expect(reviews.at(-1)).toMatchObject({ verdict: 'rejected', body: 'fix', author: 'ann' });
    const pages = stub.requestsTo('GET', /\/pulls\/\d+\/reviews$/);
    expect(pages.map((r) => r.query.get('page'))).toEqual(['1', '2']);
  });

  it('classifies errors: unknown repo, bad token, server error', async () => {
    const unknown = await client.defaultBranch('nope').catch((e: unknown) => e);
    expect(isOrchError(unknown, 'FORGE_UNKNOWN_REPO')).toBe(true);
    const bad = new GiteaClient({
      baseUrl: stub.url,
      token: 'WRONG-TOKEN',
      projects: TEST_PROJECTS,
    });
    const auth = await bad.defaultBranch(REPO).catch((e: unknown) => e);
    expect(isOrchError(auth, 'FORGE_AUTH_FAILED')).toBe(true);
    expect(String(auth) + JSON.stringify(auth)).not.toContain('WRONG-TOKEN');
    stub.failNext({ status: 502 });
    const down = await client.defaultBranch(REPO).catch((e: unknown) => e);
    expect(isOrchError(down, 'FORGE_UNAVAILABLE')).toBe(true);
  });
});
