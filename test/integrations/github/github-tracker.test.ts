import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isOrchError } from '../../../src/errors.js';
import { basicAuthorization, gitAuthEnv } from '../../../src/git/git-auth.js';
import { checkGithub } from '../../../src/integrations/github/github-doctor.js';
import { GithubClient } from '../../../src/integrations/github/github-client.js';
import { GithubForge } from '../../../src/integrations/github/github-forge.js';
import { GithubTracker } from '../../../src/integrations/github/github-tracker.js';
import { GithubStub } from '../../helpers/stubs/github-stub.js';
import { appKeys, tokenClient } from './github-setup.js';

const FULL = 'acme/widgets';

describe('GithubTracker', () => {
  let stub: GithubStub;
  let tracker: GithubTracker;

  beforeEach(async () => {
    stub = await new GithubStub().start();
    stub.addRepo(FULL);
    tracker = new GithubTracker({ client: tokenClient(stub) });
  });

  afterEach(async () => {
    await stub.close();
  });

  it('getItem: title, body, labels, state, url; a pull request is not an item', async () => {
    stub.addIssue(FULL, { title: 'Export CSV', body: 'As a user…', labels: ['orch', 'bug'] });
    const item = await tracker.getItem({ projectId: FULL, itemId: '1' });
    expect(item).toMatchObject({
      title: 'Export CSV',
      description: 'As a user…',
      labels: ['orch', 'bug'],
      stateName: 'open',
    });
    expect(item.url).toMatch(/\/issues\/1$/);
    stub.addIssue(FULL, { title: 'a PR', isPull: true });
    const err = await tracker.getItem({ projectId: FULL, itemId: '2' }).catch((e: unknown) => e);
    expect(isOrchError(err, 'TRACKER_NOT_FOUND')).toBe(true);
  });

  it('setState: exactly one orch: label, created when missing; done closes as completed', async () => {
    stub.addIssue(FULL, { title: 'x', labels: ['orch', 'bug'] });
    const ref = { projectId: FULL, itemId: '1' };
    const issue = stub.repo(FULL).issues[0]!;
    await tracker.setState(ref, 'in_progress');
    expect(issue.labels).toEqual(['orch', 'bug', 'orch:in-progress']);
    expect(stub.repo(FULL).labels.get('orch:in-progress')?.color).toBe('5319e7');
    await tracker.setState(ref, 'in_review');
    await tracker.setState(ref, 'in_review'); // no change, no call to add
    await tracker.setState(ref, 'needs_input');
    expect(issue.labels).toEqual(['orch', 'bug', 'orch:needs-input']);
    expect(stub.requestsTo('POST', /\/repos\/acme\/widgets\/labels$/)).toHaveLength(3);
    expect(issue.state).toBe('open');
    await tracker.setState(ref, 'done');
    expect(issue.labels).toEqual(['orch', 'bug', 'orch:done']);
    expect(issue).toMatchObject({ state: 'closed', stateReason: 'completed' });
    // a label removed by hand or a second tracker's label is not a problem
    issue.labels.push('orch:blocked');
    await tracker.setState(ref, 'blocked');
    expect(issue.labels.filter((l) => l.startsWith('orch:'))).toEqual(['orch:blocked']);
  });

  it('comments: newest last, sinceMs, byOrch and author ids; externalId posts once', async () => {
    const ref = { projectId: FULL, itemId: '1' };
    stub.addIssue(FULL, { title: 'x' });
    stub.addComment(FULL, 1, {
      body: 'old',
      createdAt: '2026-01-01T00:00:00Z',
      updatedAt: '2026-01-01T00:00:00Z',
    });
    stub.addComment(FULL, 1, {
      body: 'approve',
      login: 'ann',
      createdAt: '2026-01-02T00:00:00Z',
      updatedAt: '2026-01-02T00:00:00Z',
    });
    await tracker.comment(ref, 'Plan ready', { author: 'analyst', externalId: 'plan-1' });
    await tracker.comment(ref, 'Plan ready', { author: 'analyst', externalId: 'plan-1' });
    expect(stub.requestsTo('POST', /\/comments$/)).toHaveLength(1);
    const all = await tracker.listComments(ref);
    expect(all.map((c) => c.body.split('\n')[0])).toEqual(['old', 'approve', '**analyst**']);
    expect(all[2]!.body).toContain('<!-- orch:plan-1 -->');
    expect(all.map((c) => c.byOrch)).toEqual([false, false, true]);
    const ann = stub.users.get('ann')!;
    expect(all[1]!.authorIds).toEqual(['ann', String(ann.id)]);
    const since = await tracker.listComments(ref, Date.parse('2026-01-01T12:00:00Z'));
    expect(since.map((c) => c.author)).toEqual(['ann', 'orch-bot']);
    expect(
      stub
        .requestsTo('GET', /\/comments$/)
        .at(-1)!
        .query.get('since'),
    ).toBe('2026-01-01T12:00:00.000Z');
  });

  it('upsertStatusComment keeps one status comment, edited in place', async () => {
    const ref = { projectId: FULL, itemId: '1' };
    stub.addIssue(FULL, { title: 'x' });
    // a human quoting the marker is not Orch's status comment
    stub.addComment(FULL, 1, { body: 'look: <!-- orch:status -->', login: 'ann' });
    await tracker.upsertStatusComment(ref, 'Building…');
    await tracker.upsertStatusComment(ref, 'In review');
    const mine = stub.repo(FULL).comments.filter((c) => c.login === 'orch-bot');
    expect(mine).toHaveLength(1);
    expect(mine[0]!.body).toBe('In review\n\n<!-- orch:status -->');
    expect(stub.requestsTo('PATCH', /\/issues\/comments\/\d+$/)).toHaveLength(1);
  });

  it('listItems: labelled or assigned issues since the bound, newest first, without PRs', async () => {
    const at = (d: number) => new Date(Date.UTC(2026, 0, d)).toISOString();
    stub.addIssue(FULL, { title: 'too old', labels: ['orch'], createdAt: at(1) });
    stub.addIssue(FULL, {
      title: 'labelled',
      labels: ['orch'],
      createdAt: at(5),
      login: 'orch-bot',
    });
    stub.addIssue(FULL, { title: 'unlabelled', createdAt: at(6) });
    stub.addIssue(FULL, { title: 'a PR', labels: ['orch'], createdAt: at(7), isPull: true });
    stub.addIssue(FULL, { title: 'closed', labels: ['orch'], createdAt: at(8), state: 'closed' });
    stub.addIssue(FULL, { title: 'assigned', assignees: ['orch-bot'], createdAt: at(9) });
    const since = Date.UTC(2026, 0, 3);
    const plain = await tracker.listItems(FULL, { createdSinceMs: since });
    expect(plain.map((i) => [i.title, i.closed, i.byOrch])).toEqual([
      ['closed', true, false],
      ['labelled', false, true],
    ]);
    expect(plain[1]!.ref).toEqual({ projectId: FULL, itemId: '2' });
    const withAssignee = new GithubTracker({ client: tokenClient(stub), assignee: 'orch-bot' });
    const items = await withAssignee.listItems(FULL, { createdSinceMs: since });
    expect(items.map((i) => i.title)).toEqual(['assigned', 'closed', 'labelled']);
    const q = stub.requestsTo('GET', /\/issues$/)[0]!.query;
    expect(Object.fromEntries(q)).toMatchObject({
      labels: 'orch',
      state: 'all',
      sort: 'created',
      direction: 'desc',
    });
  });

  it('userIdentities by login or id; blockedBy from "blocked by #N" lines', async () => {
    stub.users.set('ann', { login: 'ann', id: 501, name: 'Ann Lee' });
    expect(await tracker.userIdentities(FULL, 'ann')).toEqual(['ann', '501', 'Ann Lee']);
    expect(await tracker.userIdentities(FULL, '501')).toEqual(['ann', '501', 'Ann Lee']);
    expect(await tracker.userIdentities(FULL, 'ghost')).toEqual(['ghost']);
    stub.addIssue(FULL, { title: 'x', body: 'Do it.\nBlocked by #4, #9\nblocked by: #4 and #12' });
    expect(await tracker.blockedBy({ projectId: FULL, itemId: '1' })).toEqual(['4', '9', '12']);
  });
});

describe('checkGithub (doctor)', () => {
  let stub: GithubStub;

  beforeEach(async () => {
    stub = await new GithubStub().start();
    stub.addRepo(FULL);
  });

  afterEach(async () => {
    await stub.close();
  });

  it('a good classic token: all green', async () => {
    const checks = await checkGithub(tokenClient(stub), { repos: [FULL] });
    expect(checks.map((c) => [c.name, c.ok])).toEqual([
      ['github auth', true],
      ['github token scopes', true],
      [`github repo ${FULL}`, true],
    ]);
    expect(checks[0]!.detail).toContain('orch-bot');
  });

  it('a scope-less token without push access: says what is missing', async () => {
    stub.addToken('ghp_noscope', 'reader', '');
    stub.repo(FULL).permissions.push = false;
    const client = new GithubClient({
      apiUrl: stub.url,
      auth: { kind: 'token', token: 'ghp_noscope' },
    });
    const checks = await checkGithub(client, { repos: [FULL, 'acme/missing'] });
    expect(checks.map((c) => c.ok)).toEqual([true, false, false, false]);
    expect(checks[1]!.detail).toMatch(/lack "repo"/);
    expect(checks[2]!.detail).toMatch(/no write \(push\) access/);
    expect(checks[3]!.detail).toMatch(/404/);
  });

  it('a bad token fails the first check; an App reports missing permissions in words', async () => {
    const bad = new GithubClient({ apiUrl: stub.url, auth: { kind: 'token', token: 'nope' } });
    expect(await checkGithub(bad, { repos: [FULL] })).toEqual([
      expect.objectContaining({ name: 'github auth', ok: false }),
    ]);
    stub.enableApp({
      publicKeyPem: appKeys().publicKeyPem,
      permissions: { contents: 'write', pull_requests: 'write', issues: 'read', metadata: 'read' },
    });
    const app = new GithubClient({
      apiUrl: stub.url,
      auth: { kind: 'app', appId: '1234', privateKeyPem: appKeys().privateKeyPem },
    });
    const checks = await checkGithub(app, { repos: [FULL] });
    expect(checks[0]).toMatchObject({ ok: true, detail: 'authenticated as App orch-app' });
    expect(checks[1]!.ok).toBe(false);
    expect(checks[1]!.detail).toBe(
      'the App needs issues: write (to comment on and label issues), statuses: write (to post commit statuses)',
    );
  });

  it('the forge works with the same App client (installation token for git)', async () => {
    stub.enableApp({ publicKeyPem: appKeys().publicKeyPem });
    const app = new GithubClient({
      apiUrl: stub.url,
      auth: { kind: 'app', appId: '1234', privateKeyPem: appKeys().privateKeyPem },
    });
    const forge = new GithubForge({ client: app });
    expect(forge.cloneUrl(FULL)).toBe(`${stub.url}/${FULL}.git`);
    expect(gitAuthEnv()).toEqual({}); // nothing cached yet
    expect(await forge.cloneUrlFresh(FULL)).toBe(`${stub.url}/${FULL}.git`);
    const [token] = [...stub.installationTokens.keys()];
    expect(token).toMatch(/^ghs_/);
    expect(Object.values(gitAuthEnv())).toContain(
      `Authorization: ${basicAuthorization('x-access-token', token!)}`,
    );
    forge.close();
  });
});
