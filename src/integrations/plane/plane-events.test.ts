import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { canonicalPlaneEventName, normalizePlaneEvent } from './plane-events.js';

const DIR = new URL('../../../../shared/fixtures/plane/docs-examples/', import.meta.url);
const load = (f: string): unknown => JSON.parse(readFileSync(new URL(f, DIR), 'utf8'));

describe('normalizePlaneEvent', () => {
  const jsonFiles = readdirSync(DIR).filter((f) => f.endsWith('.json'));

  it.each(jsonFiles)('maps %s without throwing', (file) => {
    const env = normalizePlaneEvent(load(file));
    expect(env.event.type).toBeTypeOf('string');
  });

  it('reads the v2 comment sample: item, comment id, text, actor, stable event id', () => {
    const env = normalizePlaneEvent(load('v2__workitem.comment.created.json'));
    expect(env).toEqual({
      version: 'v2',
      eventId: '0afa042d-92a9-4326-bdca-5ff5490dbf09',
      deliveryId: '01ab9316-f978-4449-bad6-dce958be8454',
      event: {
        type: 'comment.created',
        projectId: null,
        itemId: '088a83b9-a53f-4dda-b2bc-c860cf455997',
        commentId: '4797f841-c731-4e55-971f-d9cfe1938dfb',
        body: 'Webhook Test Comment',
        externalSource: null,
        actor: { id: '88fc36c8-73b0-4547-81c7-96b70f61835e', name: null, email: null },
      },
    });
  });

  it('reads the v2 update sample despite its enum-name event and "None" strings', () => {
    const env = normalizePlaneEvent(load('v2__workitem.updated.json'));
    expect(env.event).toEqual({
      type: 'work_item.updated',
      projectId: '59e3be42-87ec-4950-99a3-ae639cf2b089',
      itemId: '775c5716-5302-4617-bb9f-2cd843911268',
      title: 'webhook test 3',
      stateId: '067b88e5-304b-4221-ba09-94340dcc36e5',
      stateName: null,
      labels: [],
      changedFields: ['last_activity_at'],
      actor: { id: '754009ab-3fb5-424e-909a-b46e9c9d0c4f', name: null, email: null },
    });
  });

  it('leaves link events, agent-run events and the template as unknown', () => {
    for (const f of [
      'v2__workitem.link.created.json',
      'agents__webhook-agent_run_create.json',
      'v2__payload-structure-template.json',
    ]) {
      expect(normalizePlaneEvent(load(f)).event.type).toBe('unknown');
    }
  });

  it('reads a v1 issue created delivery (expanded labels, activity actor, stripped text)', () => {
    const body = {
      event: 'issue',
      action: 'created',
      webhook_id: 'w',
      workspace_id: 'ws',
      data: {
        id: 'item-1',
        name: 'Export CSV',
        description_html: '<p>Users need <b>CSV</b> &amp; XLSX</p>',
        project: 'proj-1',
        sequence_id: 7,
        labels: [{ id: 'l', name: 'bug' }],
        state: 'st-1',
      },
      activity: { field: null, actor: { id: 'u-1', display_name: 'Ann' } },
    };
    expect(normalizePlaneEvent(body).event).toEqual({
      type: 'work_item.created',
      projectId: 'proj-1',
      itemId: 'item-1',
      sequenceId: 7,
      title: 'Export CSV',
      description: 'Users need CSV & XLSX',
      labels: ['bug'],
      stateId: 'st-1',
      stateName: null,
      actor: { id: 'u-1', name: 'Ann', email: null },
    });
  });

  it('reads v1 comments, updates (one field per delivery) and deletes', () => {
    const comment = normalizePlaneEvent({
      event: 'issue_comment',
      action: 'created',
      data: {
        id: 'c1',
        issue: 'i1',
        project: 'p1',
        comment_html: '<p>:approved:</p>',
        external_source: 'orch',
      },
      activity: { actor: { id: 'u1', display_name: 'Bo' } },
    });
    expect(comment.event).toMatchObject({
      type: 'comment.created',
      body: ':approved:',
      externalSource: 'orch',
    });
    const update = normalizePlaneEvent({
      event: 'issue',
      action: 'updated',
      data: { id: 'i1', project: 'p1' },
      activity: { field: 'state_id' },
    });
    expect(update.event).toMatchObject({ type: 'work_item.updated', changedFields: ['state_id'] });
    const del = normalizePlaneEvent({ event: 'issue', action: 'deleted', data: { id: 'i1' } });
    expect(del.event).toMatchObject({ type: 'work_item.deleted', itemId: 'i1', projectId: null });
    expect(del.version).toBe('v1');
    expect(del.eventId).toBeNull();
  });

  it('reads the state object of real issue webhooks, and the actor email of v1 deliveries', () => {
    const env = normalizePlaneEvent({
      event: 'issue',
      action: 'updated',
      data: {
        id: 'i1',
        project: 'p1',
        state: { id: 'st-9', name: 'In Review', color: '#fff', group: 'started' },
      },
      activity: {
        field: 'state_id',
        actor: { id: 'u-1', display_name: 'ann', email: 'ann@example.com', first_name: 'Ann' },
      },
    });
    expect(env.event).toMatchObject({
      type: 'work_item.updated',
      stateId: 'st-9',
      stateName: 'In Review',
      actor: { id: 'u-1', name: 'ann', email: 'ann@example.com' },
    });
    const comment = normalizePlaneEvent({
      event: 'issue_comment',
      action: 'created',
      data: {
        id: 'c1',
        issue: 'i1',
        comment_html: '<p>:approved:</p>',
        actor_detail: { id: 'u-2', display_name: 'bo', email: 'bo@example.com' },
      },
    });
    expect(comment.event).toMatchObject({
      actor: { id: 'u-2', name: 'bo', email: 'bo@example.com' },
    });
  });

  it('never throws on garbage', () => {
    for (const body of [null, 1, 'x', [], {}, { event: 'issue' }, { version: 'v2', event: 7 }]) {
      expect(normalizePlaneEvent(body).event.type).toBe('unknown');
    }
  });

  it('canonicalizes enum-style event names', () => {
    expect(canonicalPlaneEventName('WebhookScope.ScopeChoices.WORK_ITEM_COMMENT_CREATED')).toBe(
      'workitem.comment.created',
    );
    expect(canonicalPlaneEventName('workitem.created')).toBe('workitem.created');
  });
});
