import { randomUUID } from 'node:crypto';
import { expect, it } from 'vitest';
import { isOrchError } from '../../src/errors.js';
import { listInbox } from '../../src/store/webhooks/webhook-inbox.js';
import {
  isWebhookJobPayload,
  type WebhookJobPayload,
} from '../../src/integrations/webhooks/webhook-event.js';
import { describeEachDialect } from '../helpers/test-db.js';
import {
  giteaDelivery,
  planeCommentCreated,
  planeDelivery,
  planeIssueCreated,
} from '../helpers/stubs/webhook-deliveries.js';
import {
  GITEA_BOT,
  GITEA_SECRET,
  PLANE_BOT_ID,
  PLANE_PROJECT_ID,
  PLANE_SECRET,
  countRows,
  makeIntake,
} from './intake-setup.js';

const HUMAN = '11111111-2222-4333-8444-555555555555';

function pushPayload(sender: string) {
  return {
    ref: 'refs/heads/feature/ET-1-export',
    before: 'a'.repeat(40),
    after: 'b'.repeat(40),
    commits: [{ id: 'b'.repeat(40), message: 'wip' }],
    repository: {
      full_name: 'gordon/hello-world',
      name: 'hello-world',
      owner: { login: 'gordon' },
    },
    sender: { login: sender, id: 3 },
  };
}

describeEachDialect('webhook intake', ({ current }) => {
  it('accepts a signed Plane delivery: one inbox row and one queued webhook.plane job', async () => {
    const { db } = current();
    const { intake, queue } = makeIntake(db);
    const payload = planeIssueCreated({
      projectId: PLANE_PROJECT_ID,
      title: 'Export café ✓',
      actorId: HUMAN,
    });
    const result = await intake.receive({
      source: 'plane',
      ...planeDelivery(payload, { secret: PLANE_SECRET }),
    });
    expect(result).toMatchObject({ kind: 'accepted', event: 'work_item.created' });
    if (result.kind !== 'accepted') return;
    const job = await queue.get(result.jobId);
    expect(job).toMatchObject({ kind: 'webhook.plane', status: 'queued' });
    expect(isWebhookJobPayload(job!.payload)).toBe(true);
    const jobPayload = job!.payload as WebhookJobPayload;
    expect(jobPayload).toMatchObject({
      source: 'plane',
      projectKey: 'ET',
      event: { type: 'work_item.created', title: 'Export café ✓', actor: { id: HUMAN } },
    });
    expect(job!.idempotencyKey).toBe(`webhook:plane:${jobPayload.deliveryKey}`);
    const [row] = await listInbox(db);
    expect(row).toMatchObject({
      source: 'plane',
      outcome: 'accepted',
      jobId: result.jobId,
      event: 'work_item.created',
    });
    expect(row!.deliveryKey).toMatch(/^body:[0-9a-f]{64}$/);
  });

  it('deduplicates: the same Gitea delivery twice gives one inbox row and one job', async () => {
    const { db } = current();
    const { intake } = makeIntake(db);
    const delivery = giteaDelivery(pushPayload('gordon'), { secret: GITEA_SECRET, event: 'push' });
    const first = await intake.receive({ source: 'gitea', ...delivery });
    const second = await intake.receive({ source: 'gitea', ...delivery });
    expect(first.kind).toBe('accepted');
    expect(second).toEqual({ kind: 'duplicate' });
    expect(await countRows(db, 'webhook_inbox')).toBe(1);
    expect(await countRows(db, 'jobs')).toBe(1);
  });

  it('deduplicates a Plane v1 retry (new X-Plane-Delivery, same bytes) and a v2 retry (same event_id)', async () => {
    const { db } = current();
    const { intake } = makeIntake(db);
    const payload = planeIssueCreated({ projectId: PLANE_PROJECT_ID, title: 'x', actorId: HUMAN });
    const a = planeDelivery(payload, { secret: PLANE_SECRET });
    const b = planeDelivery(payload, { secret: PLANE_SECRET });
    expect(a.headers['x-plane-delivery']).not.toBe(b.headers['x-plane-delivery']);
    expect((await intake.receive({ source: 'plane', ...a })).kind).toBe('accepted');
    expect(await intake.receive({ source: 'plane', ...b })).toEqual({ kind: 'duplicate' });

    const v2 = (deliveryId: string) => ({
      version: 'v2',
      delivery_id: deliveryId,
      event_id: 'ev-1',
      event: 'workitem.comment.created',
      data: {
        id: 'item-1',
        comment: { id: 'c-1', issue_id: 'item-1', actor_id: HUMAN, comment_stripped: 'hi' },
      },
    });
    const r1 = await intake.receive({
      source: 'plane',
      ...planeDelivery(v2(randomUUID()), { secret: PLANE_SECRET }),
    });
    const r2 = await intake.receive({
      source: 'plane',
      ...planeDelivery(v2(randomUUID()), { secret: PLANE_SECRET }),
    });
    expect(r1).toMatchObject({ kind: 'accepted', event: 'comment.created' });
    expect(r2).toEqual({ kind: 'duplicate' });
    expect(await countRows(db, 'jobs')).toBe(2);
  });

  it('rejects a bad or missing signature with 401 and writes nothing', async () => {
    const { db } = current();
    const { intake } = makeIntake(db);
    const good = giteaDelivery(pushPayload('gordon'), { secret: GITEA_SECRET, event: 'push' });
    const forged = giteaDelivery(pushPayload('gordon'), { secret: 'wrong', event: 'push' });
    const unsigned = giteaDelivery(pushPayload('gordon'), { event: 'push' });
    const tampered = {
      ...good,
      rawBody: Buffer.from(good.rawBody.toString().replace('wip', 'WIP')),
    };
    for (const d of [forged, unsigned, tampered]) {
      expect(await intake.receive({ source: 'gitea', ...d })).toMatchObject({
        kind: 'rejected',
        code: 'WEBHOOK_SIGNATURE_INVALID',
        status: 401,
      });
    }
    const plane = planeDelivery(
      planeIssueCreated({ projectId: PLANE_PROJECT_ID, title: 'x', actorId: HUMAN }),
    );
    expect(await intake.receive({ source: 'plane', ...plane })).toMatchObject({ status: 401 });
    expect(await countRows(db, 'webhook_inbox')).toBe(0);
    expect(await countRows(db, 'jobs')).toBe(0);
  });

  it("ignores the bot's own events (loop prevention) and records them without a job", async () => {
    const { db } = current();
    const { intake } = makeIntake(db);
    const byBot = giteaDelivery(pushPayload(GITEA_BOT.toUpperCase()), {
      secret: GITEA_SECRET,
      event: 'push',
    });
    expect(await intake.receive({ source: 'gitea', ...byBot })).toEqual({
      kind: 'ignored',
      reason: 'bot_actor',
    });
    const botComment = planeCommentCreated({
      projectId: PLANE_PROJECT_ID,
      itemId: 'i1',
      body: ':approved:',
      actorId: PLANE_BOT_ID,
    });
    expect(
      await intake.receive({
        source: 'plane',
        ...planeDelivery(botComment, { secret: PLANE_SECRET }),
      }),
    ).toEqual({
      kind: 'ignored',
      reason: 'bot_actor',
    });
    const tagged = planeCommentCreated({
      projectId: PLANE_PROJECT_ID,
      itemId: 'i1',
      body: 'status',
      actorId: HUMAN,
      externalSource: 'orch',
    });
    expect(
      await intake.receive({ source: 'plane', ...planeDelivery(tagged, { secret: PLANE_SECRET }) }),
    ).toEqual({
      kind: 'ignored',
      reason: 'own_comment',
    });
    expect(await countRows(db, 'jobs')).toBe(0);
    expect((await listInbox(db)).map((r) => r.outcome)).toEqual(['ignored', 'ignored', 'ignored']);
  });

  it('ignores unknown projects, unknown repositories and unsupported events', async () => {
    const { db } = current();
    const { intake } = makeIntake(db);
    const otherProject = planeIssueCreated({ projectId: randomUUID(), title: 'x', actorId: HUMAN });
    expect(
      await intake.receive({
        source: 'plane',
        ...planeDelivery(otherProject, { secret: PLANE_SECRET }),
      }),
    ).toEqual({
      kind: 'ignored',
      reason: 'unknown_project',
    });
    const otherRepo = { ...pushPayload('gordon'), repository: { full_name: 'someone/else' } };
    expect(
      await intake.receive({
        source: 'gitea',
        ...giteaDelivery(otherRepo, { secret: GITEA_SECRET, event: 'push' }),
      }),
    ).toEqual({
      kind: 'ignored',
      reason: 'unknown_repo',
    });
    const wiki = giteaDelivery(pushPayload('gordon'), { secret: GITEA_SECRET, event: 'wiki' });
    expect(await intake.receive({ source: 'gitea', ...wiki })).toEqual({
      kind: 'ignored',
      reason: 'unsupported_event',
    });
    expect(await countRows(db, 'jobs')).toBe(0);
  });

  it('rejects oversized (413), non-JSON (400) and non-object (400) bodies without writing', async () => {
    const { db } = current();
    const { intake } = makeIntake(db, { maxBodyBytes: 1024 });
    const big = giteaDelivery(Buffer.from(`{"x":"${'a'.repeat(2000)}"}`), {
      secret: GITEA_SECRET,
      event: 'push',
    });
    expect(await intake.receive({ source: 'gitea', ...big })).toMatchObject({
      code: 'PAYLOAD_TOO_LARGE',
      status: 413,
    });
    const form = giteaDelivery(Buffer.from('payload=%7B%7D'), {
      secret: GITEA_SECRET,
      event: 'push',
    });
    expect(await intake.receive({ source: 'gitea', ...form })).toMatchObject({
      code: 'INVALID_JSON',
      status: 400,
    });
    const arr = giteaDelivery(Buffer.from('[1]'), { secret: GITEA_SECRET, event: 'push' });
    expect(await intake.receive({ source: 'gitea', ...arr })).toMatchObject({
      code: 'INVALID_PAYLOAD',
      status: 400,
    });
    expect(await countRows(db, 'webhook_inbox')).toBe(0);
  });

  it('rejects unsigned deliveries for a source without a secret unless allowUnsigned is set', async () => {
    const { db } = current();
    const d = giteaDelivery(pushPayload('gordon'), { event: 'push' });
    const strict = makeIntake(db, { secrets: {} }).intake;
    expect(await strict.receive({ source: 'gitea', ...d })).toMatchObject({
      kind: 'rejected',
      code: 'WEBHOOK_SIGNATURE_INVALID',
    });
    expect(await countRows(db, 'webhook_inbox')).toBe(0);
    const dev = makeIntake(db, { secrets: {}, allowUnsigned: true }).intake;
    expect((await dev.receive({ source: 'gitea', ...d })).kind).toBe('accepted');
  });

  it('rolls the inbox row back when the job cannot be written, so a redelivery is not a duplicate', async () => {
    const { db } = current();
    // A job the queue refuses (max attempts 0) fails inside the inbox transaction.
    const { intake } = makeIntake(db, { jobMaxAttempts: 0 });
    const payload = planeIssueCreated({ projectId: PLANE_PROJECT_ID, title: 't', actorId: HUMAN });
    const d = planeDelivery(payload, { secret: PLANE_SECRET });
    const err = await intake.receive({ source: 'plane', ...d }).catch((e: unknown) => e);
    expect(isOrchError(err, 'INVALID_MAX_ATTEMPTS')).toBe(true);
    expect(await countRows(db, 'webhook_inbox')).toBe(0);
    expect(await countRows(db, 'jobs')).toBe(0);
  });

  it('accepts a body within the limit whose event would exceed the job payload limit, cutting the longest text', async () => {
    const { db } = current();
    const { intake, queue } = makeIntake(db, { maxBodyBytes: 4 * 1024 * 1024 });
    const payload = planeIssueCreated({
      projectId: PLANE_PROJECT_ID,
      title: 'huge',
      description: 'd'.repeat(1_500_000),
      actorId: HUMAN,
    });
    const d = planeDelivery(payload, { secret: PLANE_SECRET });
    const res = await intake.receive({ source: 'plane', ...d });
    expect(res.kind).toBe('accepted');
    const job = await queue.get((res as { jobId: number }).jobId);
    const event = (job!.payload as { event: { title: string; description: string } }).event;
    expect(event.title).toBe('huge');
    expect(event.description.endsWith('…[truncated]')).toBe(true);
    expect(JSON.stringify(job!.payload).length).toBeLessThan(1024 * 1024);
  });

  it('keeps one job when the same delivery races itself', async () => {
    const { db } = current();
    const { intake } = makeIntake(db);
    const d = giteaDelivery(pushPayload('gordon'), { secret: GITEA_SECRET, event: 'push' });
    const results = await Promise.all(
      Array.from({ length: 5 }, () => intake.receive({ source: 'gitea', ...d })),
    );
    expect(results.filter((r) => r.kind === 'accepted')).toHaveLength(1);
    expect(results.filter((r) => r.kind === 'duplicate')).toHaveLength(4);
    expect(await countRows(db, 'jobs')).toBe(1);
  });
});
