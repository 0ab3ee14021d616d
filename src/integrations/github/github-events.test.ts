import { describe, expect, it } from 'vitest';
import { parseProjects } from '../../config/projects.js';
import { classifyGithubDelivery } from '../webhooks/classify-delivery.js';
import { conclusionState, normalizeGithubEvent } from './github-events.js';

const repository = { full_name: 'acme/trails' };
const sender = { login: 'ann', id: 7, type: 'User' };
const issue = { number: 12, title: 'Miles', body: 'Show miles', labels: [{ name: 'orch' }] };

const projects = parseProjects([
  {
    key: 'ET',
    repo: 'trails',
    tracker: { kind: 'github', repo: 'acme/trails', approvers: ['ann'], assignee: 'orch-bot' },
    forge: { kind: 'github', repo: 'acme/trails' },
  },
  { key: 'PR', repo: 'other', forge: { kind: 'github', repo: 'acme/other' } },
]);

function classify(event: string, body: unknown, botLogin = 'orch-bot') {
  const rawBody = Buffer.from(JSON.stringify(body));
  return classifyGithubDelivery({
    headers: { 'x-github-event': event, 'x-github-delivery': 'd-1' },
    rawBody,
    body,
    receivedAtMs: 1,
    projects,
    bot: { githubLogin: botLogin },
  });
}

describe('normalizeGithubEvent', () => {
  it('reads an opened issue with its labels and who opened it', () => {
    const { event } = normalizeGithubEvent(
      { action: 'opened', issue, repository, sender },
      'issues',
    );
    expect(event).toEqual({
      type: 'issue.opened',
      repo: 'acme/trails',
      issueNumber: 12,
      title: 'Miles',
      body: 'Show miles',
      labels: ['orch'],
      assignees: [],
      addedLabel: null,
      addedAssignee: null,
      closed: false,
      actor: { login: 'ann', id: 7 },
    });
  });

  it('reads an assignment with the login just assigned and every assignee', () => {
    const assigned = { ...issue, assignees: [{ login: 'Orch-Bot' }, { login: 'bo' }] };
    const { event } = normalizeGithubEvent(
      { action: 'assigned', issue: assigned, assignee: { login: 'Orch-Bot' }, repository, sender },
      'issues',
    );
    expect(event).toMatchObject({
      type: 'issue.assigned',
      issueNumber: 12,
      assignees: ['Orch-Bot', 'bo'],
      addedAssignee: 'Orch-Bot',
      addedLabel: null,
    });
  });

  it('maps synchronize, approved and changes_requested reviews to the Gitea shapes', () => {
    const pull_request = { number: 3, head: { ref: 'feature/ET-001-x', sha: 'a'.repeat(40) } };
    const sync = normalizeGithubEvent(
      { action: 'synchronize', number: 3, pull_request, repository, sender },
      'pull_request',
    );
    expect(sync.event.type).toBe('pull_request.synchronized');
    const review = (state: string) =>
      normalizeGithubEvent(
        { action: 'submitted', review: { state, body: 'why' }, pull_request, repository, sender },
        'pull_request_review',
      ).event;
    expect(review('approved')).toMatchObject({
      type: 'pull_request.reviewed',
      verdict: 'approved',
    });
    expect(review('changes_requested')).toMatchObject({ verdict: 'rejected', body: 'why' });
    expect(review('commented')).toMatchObject({ verdict: 'comment' });
  });

  it('turns completed check suites and runs into commit statuses, and ignores the rest', () => {
    const run = (action: string, conclusion: string | null) =>
      normalizeGithubEvent(
        { action, check_run: { name: 'ci', head_sha: 'b'.repeat(40), conclusion }, repository },
        'check_run',
      ).event;
    expect(run('completed', 'success')).toMatchObject({
      type: 'status',
      context: 'ci',
      state: 'success',
    });
    expect(run('completed', 'timed_out')).toMatchObject({ state: 'failure' });
    expect(run('created', null).type).toBe('unknown');
    expect(conclusionState('stale')).toBeNull();
  });

  it('never treats a pull request as an issue', () => {
    const prIssue = { ...issue, pull_request: { url: 'x' } };
    const { event } = normalizeGithubEvent(
      { action: 'opened', issue: prIssue, repository, sender },
      'issues',
    );
    expect(event.type).toBe('unknown');
  });
});

describe('classifyGithubDelivery', () => {
  it('accepts a labelled issue and ignores an unlabelled one, or a label other than the project’s', () => {
    expect(classify('issues', { action: 'opened', issue, repository, sender })).toMatchObject({
      kind: 'accept',
      deliveryKey: 'delivery:d-1',
      payload: { source: 'github', projectKey: 'ET' },
    });
    const bare = { ...issue, labels: [] };
    expect(classify('issues', { action: 'opened', issue: bare, repository, sender })).toMatchObject(
      { kind: 'ignore', reason: 'not_labelled' },
    );
    const labeled = { action: 'labeled', issue: bare, label: { name: 'bug' }, repository, sender };
    expect(classify('issues', labeled)).toMatchObject({ kind: 'ignore', reason: 'not_labelled' });
    const ours = { ...labeled, label: { name: 'ORCH' } };
    expect(classify('issues', ours)).toMatchObject({ kind: 'accept', eventType: 'issue.labeled' });
  });

  it('accepts an issue assigned to the configured login, opened so or assigned later', () => {
    const bare = { ...issue, labels: [] };
    const toBot = { ...bare, assignees: [{ login: 'ORCH-BOT' }] };
    expect(
      classify('issues', { action: 'opened', issue: toBot, repository, sender }),
    ).toMatchObject({ kind: 'accept', eventType: 'issue.opened' });
    const assign = (login: string) => ({
      action: 'assigned',
      issue: { ...bare, assignees: [{ login }] },
      assignee: { login },
      repository,
      sender,
    });
    expect(classify('issues', assign('orch-bot'))).toMatchObject({
      kind: 'accept',
      eventType: 'issue.assigned',
    });
    expect(classify('issues', assign('bo'))).toMatchObject({
      kind: 'ignore',
      reason: 'not_assigned',
      detail: 'issue #12 assigned to bo, not orch-bot',
    });
    // A closed issue is not taken in, labelled or assigned (the reconciler skips it too).
    const closed = assign('orch-bot');
    Object.assign(closed.issue, { state: 'closed', labels: [{ name: 'orch' }] });
    expect(classify('issues', closed)).toMatchObject({ kind: 'ignore', reason: 'issue_closed' });
  });

  it('ignores ping, unknown repositories, Orch itself and its App, but not other bots', () => {
    expect(classify('ping', { zen: 'x', hook_id: 1, repository })).toMatchObject({
      reason: 'ping',
    });
    const comment = { action: 'created', issue, comment: { id: 5, body: 'hi' } };
    expect(
      classify('issue_comment', { ...comment, repository: { full_name: 'x/y' }, sender }),
    ).toMatchObject({ reason: 'unknown_repo' });
    const as = (login: string, type: string) =>
      classify('issue_comment', { ...comment, repository, sender: { login, id: 1, type } });
    expect(as('orch-bot', 'User')).toMatchObject({ reason: 'bot_actor' });
    expect(as('Orch-Bot[bot]', 'Bot')).toMatchObject({ reason: 'bot_actor' });
    expect(as('dependabot[bot]', 'Bot')).toMatchObject({ kind: 'accept' });
    const status = { sha: 'c'.repeat(40), context: 'ci', state: 'success', repository };
    expect(
      classify('status', { ...status, sender: { login: 'ci[bot]', type: 'Bot' } }, 'ci'),
    ).toMatchObject({ reason: 'bot_actor' });
  });

  it('ignores issue events of a repository the project only uses as its forge', () => {
    const body = { action: 'opened', issue, repository: { full_name: 'acme/other' }, sender };
    expect(classify('issues', body)).toMatchObject({ kind: 'ignore', reason: 'unsupported_event' });
    const status = { sha: 'c'.repeat(40), context: 'ci', state: 'failure', sender };
    expect(
      classify('status', { ...status, repository: { full_name: 'ACME/Other' } }),
    ).toMatchObject({ kind: 'accept', payload: { projectKey: 'PR' } });
  });

  it('keys a delivery without X-GitHub-Delivery by the sha256 of its body', () => {
    const body = { zen: 'x' };
    const d = classifyGithubDelivery({
      headers: { 'x-github-event': 'ping' },
      rawBody: Buffer.from('{"zen":"x"}'),
      body,
      receivedAtMs: 1,
      projects,
      bot: {},
    });
    expect(d.deliveryKey).toMatch(/^body:[0-9a-f]{64}$/);
  });
});
