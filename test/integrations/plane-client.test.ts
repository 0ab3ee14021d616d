import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import { isOrchError } from '../../src/errors.js';
import { integrationRetry } from '../../src/integrations/http/integration-error.js';
import { PlaneClient } from '../../src/integrations/plane/plane-client.js';
import {
  assertPlaneSetup,
  checkPlaneSetup,
} from '../../src/integrations/plane/plane-setup-check.js';
import { PlaneStub } from '../helpers/stubs/plane-stub.js';
import { PLANE_PROJECT_ID, TEST_PROJECTS } from './intake-setup.js';

describe('PlaneClient against the Plane stub', () => {
  let stub: PlaneStub;
  let clock: ManualClock;
  let sleeps: number[];
  let client: PlaneClient;
  let itemId: string;

  beforeEach(async () => {
    stub = await new PlaneStub().start();
    const states = stub.addProject(PLANE_PROJECT_ID);
    itemId = stub.addItem({
      projectId: PLANE_PROJECT_ID,
      name: 'Export CSV',
      descriptionHtml: '<p>Users need <b>CSV</b></p>',
      stateId: states[1]!.id,
      labels: ['bug'],
    }).id;
    clock = new ManualClock(Date.UTC(2026, 0, 1));
    sleeps = [];
    client = new PlaneClient({
      baseUrl: stub.url,
      apiToken: stub.apiKey,
      clock,
      projects: TEST_PROJECTS,
      botUserId: stub.userId,
      sleep: (ms) => {
        sleeps.push(ms);
        clock.advance(ms);
        return Promise.resolve();
      },
    });
  });

  afterEach(async () => {
    await stub.close();
  });

  const ref = () => ({ projectId: PLANE_PROJECT_ID, itemId });

  it('sets states by configured name, resolving names to ids once per project', async () => {
    await client.setState(ref(), 'in_review');
    expect(stub.stateName(itemId)).toBe('In Review');
    await client.setState(ref(), 'done');
    expect(stub.stateName(itemId)).toBe('Done');
    expect(stub.requestsTo('GET', /\/states\/$/)).toHaveLength(1);
    const patches = stub.requestsTo('PATCH', /\/work-items\/[^/]+\/$/);
    expect(patches.map((r) => r.path)).toEqual([
      `/api/v1/workspaces/acme/projects/${PLANE_PROJECT_ID}/work-items/${itemId}/`,
      `/api/v1/workspaces/acme/projects/${PLANE_PROJECT_ID}/work-items/${itemId}/`,
    ]);
    expect(patches[0]!.headers['x-api-key']).toBe(stub.apiKey);
  });

  it('reads the items an item is blocked by from its relations', async () => {
    const blocker = stub.addItem({
      projectId: PLANE_PROJECT_ID,
      name: 'Schema first',
      descriptionHtml: '',
      stateId: stub.states.get(PLANE_PROJECT_ID)![0]!.id,
      labels: [],
    }).id;
    expect(await client.blockedBy(ref())).toEqual([]);
    stub.blockedBy.set(itemId, [blocker]);
    expect(await client.blockedBy(ref())).toEqual([blocker]);
    expect(stub.requestsTo('GET', /\/relations\/$/).at(-1)!.path).toBe(
      `/api/v1/workspaces/acme/projects/${PLANE_PROJECT_ID}/work-items/${itemId}/relations/`,
    );
  });

  it('reads an item with its state name and labels', async () => {
    await client.setState(ref(), 'blocked');
    expect(await client.getItem(ref())).toMatchObject({
      title: 'Export CSV',
      description: 'Users need CSV',
      stateName: 'Blocked',
      labels: ['bug'],
    });
  });

  it('lists the items created since a bound, newest first, following the cursor pages', async () => {
    const states = stub.states.get(PLANE_PROJECT_ID)!;
    const at = (minutesAgo: number) => new Date(clock.now() - minutesAgo * 60_000).toISOString();
    stub.items.clear();
    // 230 new items (three pages of 100), one done, one cancelled-group, one filed by Orch's
    // user, and one older than the bound.
    for (let i = 0; i < 230; i++) {
      stub.addItem({
        projectId: PLANE_PROJECT_ID,
        name: `New ${i}`,
        descriptionHtml: `<p>item ${i}</p>`,
        stateId: states[1]!.id,
        labels: i === 0 ? ['bug'] : [],
        createdAt: at(300 - i),
      });
    }
    const done = stub.addItem({
      projectId: PLANE_PROJECT_ID,
      name: 'Done already',
      descriptionHtml: '',
      stateId: states.find((s) => s.group === 'completed')!.id,
      labels: [],
      createdAt: at(10),
    });
    stub.states.get(PLANE_PROJECT_ID)!.push({ id: 'st-x', name: "Won't do", group: 'cancelled' });
    stub.addItem({
      projectId: PLANE_PROJECT_ID,
      name: 'Dropped',
      descriptionHtml: '',
      stateId: 'st-x',
      labels: [],
      createdAt: at(9),
    });
    const mine = stub.addItem({
      projectId: PLANE_PROJECT_ID,
      name: 'Sandbox',
      descriptionHtml: '',
      stateId: states[0]!.id,
      labels: [],
      createdAt: at(8),
      createdBy: stub.userId,
    });
    stub.addItem({
      projectId: PLANE_PROJECT_ID,
      name: 'Ancient',
      descriptionHtml: '',
      stateId: states[0]!.id,
      labels: [],
      createdAt: at(24 * 60),
    });

    const items = await client.listItems(PLANE_PROJECT_ID, {
      createdSinceMs: clock.now() - 6 * 3_600_000,
    });
    expect(items).toHaveLength(233);
    expect(items.map((i) => i.title).slice(0, 4)).toEqual([
      'Sandbox',
      'Dropped',
      'Done already',
      'New 229',
    ]);
    expect(items.find((i) => i.title === 'New 0')).toMatchObject({
      description: 'item 0',
      labels: ['bug'],
      stateName: 'Todo',
      closed: false,
      byOrch: false,
      createdAtMs: clock.now() - 300 * 60_000,
    });
    expect(items.find((i) => i.ref.itemId === done.id)).toMatchObject({ closed: true });
    expect(items.find((i) => i.title === 'Dropped')).toMatchObject({ closed: true });
    expect(items.find((i) => i.ref.itemId === mine.id)).toMatchObject({ byOrch: true });
    expect(items.some((i) => i.title === 'Ancient')).toBe(false);
    // Three pages, newest first with labels and state expanded, following Plane's cursors; the
    // page holding the first item older than the bound is the last one read.
    const lists = stub.requestsTo('GET', /\/work-items\/$/);
    expect(lists).toHaveLength(3);
    expect(lists.map((r) => r.query.get('cursor'))).toEqual([null, '100:1:0', '100:2:0']);
    for (const r of lists) {
      expect(r.path).toBe(`/api/v1/workspaces/acme/projects/${PLANE_PROJECT_ID}/work-items/`);
      expect(r.query.get('order_by')).toBe('-created_at');
      expect(r.query.get('expand')).toBe('labels,state');
    }
  });

  it('tags comments with external_source/external_id; a retried comment is posted once', async () => {
    await client.comment(ref(), 'Analysis done.\n\nSee <BRD>', {
      author: 'analyst',
      externalId: 'ET-1:analysis:1',
    });
    await client.comment(ref(), 'Analysis done.\n\nSee <BRD>', {
      author: 'analyst',
      externalId: 'ET-1:analysis:1',
    });
    expect(stub.comments).toHaveLength(1);
    const [posted] = stub.requestsTo('POST', /\/comments\/$/);
    expect(posted!.body).toMatchObject({
      external_source: 'orch',
      external_id: 'ET-1:analysis:1',
      access: 'INTERNAL',
      comment_html: '<p><strong>analyst</strong></p><p>Analysis done.</p><p>See &lt;BRD&gt;</p>',
    });
    const comments = await client.listComments(ref());
    expect(comments).toHaveLength(1);
    expect(comments[0]).toMatchObject({
      byOrch: true,
      body: expect.stringContaining('Analysis done.') as unknown,
    });
  });

  it('retries a 429 after the X-RateLimit-Reset time', async () => {
    const resetS = Math.floor(clock.now() / 1000) + 2;
    stub.failNext({
      status: 429,
      body: { detail: 'throttled' },
      headers: { 'X-RateLimit-Reset': String(resetS), 'X-RateLimit-Remaining': '0' },
    });
    await client.setState(ref(), 'in_progress');
    expect(sleeps).toEqual([2000]);
    expect(stub.stateName(itemId)).toBe('In Progress');
  });

  it('gives up with a retryable TRACKER_RATE_LIMITED when the wait is too long or retries run out', async () => {
    const far = Math.floor(clock.now() / 1000) + 55;
    stub.failNext({ status: 429, headers: { 'X-RateLimit-Reset': String(far) } });
    const err = await client.getItem(ref()).catch((e: unknown) => e);
    expect(isOrchError(err, 'TRACKER_RATE_LIMITED')).toBe(true);
    expect(integrationRetry(err)).toEqual({ retryable: true, retryAfterMs: 55_000 });
    expect(sleeps).toEqual([]);

    for (let i = 0; i < 3; i++) stub.failNext({ status: 429, headers: { 'Retry-After': '1' } });
    const err2 = await client.getItem(ref()).catch((e: unknown) => e);
    expect(isOrchError(err2, 'TRACKER_RATE_LIMITED')).toBe(true);
    expect(sleeps).toEqual([1000, 1000]);
  });

  it('classifies failures: unknown state is permanent, 5xx is retryable, 404 is not found', async () => {
    const badStates = new PlaneClient({
      baseUrl: stub.url,
      apiToken: stub.apiKey,
      clock,
      projects: TEST_PROJECTS,
    });
    const unknown = await badStates
      .resolveStateId(PLANE_PROJECT_ID, 'Shipped')
      .catch((e: unknown) => e);
    expect(isOrchError(unknown, 'TRACKER_STATE_UNKNOWN')).toBe(true);
    expect(integrationRetry(unknown).retryable).toBe(false);

    stub.failNext({ status: 503, body: {} });
    const down = await client.getItem(ref()).catch((e: unknown) => e);
    expect(isOrchError(down, 'TRACKER_UNAVAILABLE')).toBe(true);
    expect(integrationRetry(down).retryable).toBe(true);

    const missing = await client
      .getItem({ projectId: PLANE_PROJECT_ID, itemId: 'nope' })
      .catch((e: unknown) => e);
    expect(isOrchError(missing, 'TRACKER_NOT_FOUND')).toBe(true);
  });

  it('fails with TRACKER_AUTH_FAILED on a wrong API key, without the key in the error', async () => {
    const wrong = new PlaneClient({
      baseUrl: stub.url,
      apiToken: 'plane_api_WRONG',
      clock,
      projects: TEST_PROJECTS,
    });
    const err = await wrong.getItem(ref()).catch((e: unknown) => e);
    expect(isOrchError(err, 'TRACKER_AUTH_FAILED')).toBe(true);
    expect(JSON.stringify(err) + String(err)).not.toContain('plane_api_WRONG');
  });

  it('reads comments with expand=actor: the author by id, display name and email', async () => {
    const ann = stub.addUser(PLANE_PROJECT_ID, { display_name: 'annl', email: 'ann@example.com' });
    stub.addHumanComment(itemId, ann.id, 'Ship it :approved:', '2026-01-01T00:00:00.000Z');
    const [c] = await client.listComments(ref());
    expect(c).toMatchObject({
      author: 'annl',
      authorIds: [ann.id, 'annl', 'ann@example.com'],
      byOrch: false,
      body: 'Ship it :approved:',
    });
    expect(stub.requestsTo('GET', /\/comments\/$/)[0]!.query.get('expand')).toBe('actor');
    expect(await client.userIdentities(PLANE_PROJECT_ID, ann.id)).toEqual([
      ann.id,
      'annl',
      'ann@example.com',
    ]);
  });

  it('checks set-up: missing states and an API user outside the project are clear problems', async () => {
    expect(
      (await checkPlaneSetup(client, TEST_PROJECTS.projects)).map((f) => [f.check, f.outcome]),
    ).toEqual([
      ['membership', 'ok'],
      ['states', 'ok'],
    ]);
    stub.addProject(
      PLANE_PROJECT_ID,
      [
        { name: 'Todo', group: 'unstarted' },
        { name: 'In Progress', group: 'started' },
        { name: 'Done', group: 'completed' },
      ],
      { apiUserMember: false },
    );
    const fresh = new PlaneClient({
      baseUrl: stub.url,
      apiToken: stub.apiKey,
      clock,
      projects: TEST_PROJECTS,
    });
    const findings = await checkPlaneSetup(fresh, TEST_PROJECTS.projects);
    expect(findings.map((f) => [f.check, f.outcome])).toEqual([
      ['membership', 'problem'],
      ['states', 'problem'],
    ]);
    expect(findings[0]!.detail).toContain('orch-bot is not a member of the project');
    expect(findings[1]!.detail).toContain('missing state(s) "In Review", "Needs Input", "Blocked"');
    // at start-up (orch serve) the same findings stop the process with one clear error
    const refused = await assertPlaneSetup(fresh, TEST_PROJECTS.projects, { warn: () => {} }).catch(
      (e: unknown) => e,
    );
    expect(isOrchError(refused, 'TRACKER_SETUP_INVALID')).toBe(true);
    expect(String((refused as Error).message)).toContain('not a member');
  });
});
