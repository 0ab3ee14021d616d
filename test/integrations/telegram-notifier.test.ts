import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import { integrationRetry } from '../../src/integrations/http/integration-error.js';
import { silentLogger } from '../../src/log.js';
import {
  TelegramNotifier,
  type TelegramNotifierOptions,
} from '../../src/integrations/telegram/telegram-notifier.js';
import { TelegramStub } from '../helpers/stubs/telegram-stub.js';

describe('TelegramNotifier against the Telegram stub', () => {
  let stub: TelegramStub;
  let clock: ManualClock;
  let sleeps: number[];

  beforeEach(async () => {
    stub = await new TelegramStub().start();
    clock = new ManualClock();
    sleeps = [];
  });

  afterEach(async () => {
    await stub.close();
  });

  const make = (overrides: Partial<TelegramNotifierOptions> = {}) =>
    new TelegramNotifier({
      token: stub.token,
      chatId: '-10042',
      apiUrl: stub.url,
      clock,
      log: silentLogger,
      sleep: (ms) => {
        sleeps.push(ms);
        clock.advance(ms);
        return Promise.resolve();
      },
      ...overrides,
    });

  it('sends in order without blocking the caller, at most one message per second per chat', async () => {
    const n = make();
    n.send('one');
    n.send('two');
    n.send('three');
    expect(stub.messages).toHaveLength(0); // send() returned before any HTTP call finished
    await n.flush();
    expect(stub.messages).toEqual([
      { chatId: '-10042', text: 'one' },
      { chatId: '-10042', text: 'two' },
      { chatId: '-10042', text: 'three' },
    ]);
    expect(sleeps).toEqual([1000, 1000]);
  });

  it('deliver() sends one message and resolves only once Telegram accepted it, spacing concurrent calls', async () => {
    const n = make();
    const event = (message: string) =>
      ({
        type: 'pipeline_warning',
        workItemId: 'ET-001',
        taskId: 1,
        stage: 'review',
        message,
      }) as const;
    await Promise.all([n.deliver(event('first')), n.deliver(event('second'))]);
    expect(stub.messages.map((m) => m.text)).toEqual([
      expect.stringContaining('first'),
      expect.stringContaining('second'),
    ]);
    expect(sleeps).toEqual([1000]);
  });

  it('deliver() throws a retryable error carrying retry_after on 429 instead of waiting', async () => {
    const n = make();
    stub.floodNext(7);
    const err = await n
      .deliver({ type: 'task_done', workItemId: 'ET-001', taskId: 1, stage: 'done', message: 'x' })
      .catch((e: unknown) => e);
    expect(integrationRetry(err)).toEqual({ retryable: true, retryAfterMs: 7000 });
    expect(stub.messages).toHaveLength(0);
    expect(sleeps).toEqual([]);
  });

  it('honours retry_after on 429 and then delivers', async () => {
    const n = make();
    stub.floodNext(7);
    n.send('after flood');
    await n.flush();
    expect(sleeps).toEqual([7000]);
    expect(stub.messages.map((m) => m.text)).toEqual(['after flood']);
    expect(stub.requests).toHaveLength(2);
  });

  it('formats NotifyEvents as text', async () => {
    const n = make();
    await n.notify({
      type: 'job_failed',
      jobId: 7,
      kind: 'developer',
      taskId: 3,
      attempts: 2,
      error: 'exit 1',
    });
    await n.flush();
    expect(stub.messages[0]!.text).toBe(
      '🚨 Job 7 (developer, task 3) failed after 2 attempt(s): exit 1',
    );
  });

  it('is disabled without a token and never fails the caller when Telegram is down', async () => {
    const off = make({ token: undefined });
    expect(off.enabled).toBe(false);
    await off.notify({ type: 'kind_paused', kind: 'k', pausedUntilMs: 0, reason: 'r' });
    await off.flush();
    expect(stub.requests).toHaveLength(0);

    const down = make({ apiUrl: 'http://127.0.0.1:9', maxRetries: 1, timeoutMs: 500 });
    down.send('lost');
    await expect(down.flush()).resolves.toBeUndefined();
    expect(down.droppedCount).toBe(1);
  });

  it('drops a message Telegram rejects (400) and goes on with the next one', async () => {
    const n = make();
    stub.failNext({ status: 400, body: { ok: false, description: 'Bad Request: chat not found' } });
    n.send('bad');
    n.send('good');
    await n.flush();
    expect(stub.messages.map((m) => m.text)).toEqual(['good']);
    expect(n.droppedCount).toBe(1);
  });

  it('follows migrate_to_chat_id: resends there and sends every later message to the supergroup', async () => {
    const n = make();
    stub.upgradeToSupergroup('-10042', '-1009876543210');
    n.send('before the upgrade was noticed');
    n.send('after');
    await n.flush();
    expect(stub.messages).toEqual([
      { chatId: '-1009876543210', text: 'before the upgrade was noticed' },
      { chatId: '-1009876543210', text: 'after' },
    ]);
    expect(n.chatIdFor('-10042')).toBe('-1009876543210');
    // one refused call to the old id, then only the new one
    expect(stub.requests.map((r) => (r.body as { chat_id: string }).chat_id)).toEqual([
      '-10042',
      '-1009876543210',
      '-1009876543210',
    ]);
    expect(n.droppedCount).toBe(0);
  });

  it('sends at most 20 messages a minute to a group, and keeps 1/s for a private chat', async () => {
    const group = make();
    for (let i = 0; i < 22; i++) group.send(`g${i}`);
    await group.flush();
    // 20 messages one second apart, then the 21st waits until the first is a minute old
    expect(sleeps.slice(0, 19)).toEqual(Array(19).fill(1000));
    expect(sleeps[19]).toBe(60_000 - 19_000);
    expect(sleeps[20]).toBe(1000);

    sleeps = [];
    const direct = make({ chatId: '4242' });
    for (let i = 0; i < 22; i++) direct.send(`p${i}`);
    await direct.flush();
    expect(sleeps).toEqual(Array(21).fill(1000));
  });

  it('getMe proves the token works, and says why when it does not', async () => {
    await expect(make().getMe()).resolves.toEqual({ ok: true, username: 'orch_test_bot' });
    const bad = await make({ token: '999:WRONG' }).getMe();
    expect(bad).toEqual({ ok: false, reason: 'HTTP 401 Unauthorized' });
  });
});
