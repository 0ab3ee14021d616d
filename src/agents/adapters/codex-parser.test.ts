import { describe, expect, it } from 'vitest';
import { CodexParser } from './codex-parser.js';

function parse(events: readonly unknown[]) {
  const p = new CodexParser();
  for (const e of events) p.line(typeof e === 'string' ? e : JSON.stringify(e));
  return p.snapshot();
}

describe('CodexParser', () => {
  it('reads thread id, summed usage and the last agent message', () => {
    const run = parse([
      { type: 'thread.started', thread_id: 't-1' },
      { type: 'turn.started' },
      { type: 'item.completed', item: { id: 'i1', type: 'agent_message', text: 'Implemented.' } },
      {
        type: 'turn.completed',
        usage: { input_tokens: 100, cached_input_tokens: 10, output_tokens: 20 },
      },
      { type: 'turn.completed', usage: { input_tokens: 5, output_tokens: 1 } },
    ]);
    expect(run).toMatchObject({
      resultSeen: true,
      isError: false,
      subtype: 'success',
      sessionId: 't-1',
      resultText: 'Implemented.',
      inputTokens: 105,
      outputTokens: 21,
      costUsd: null,
    });
  });

  it('marks a failed turn as an error result with its message', () => {
    const run = parse([
      'progress text on stderr',
      {
        type: 'turn.failed',
        error: { message: "You've hit your usage limit. Try again at 10:03 PM." },
      },
    ]);
    expect(run).toMatchObject({
      resultSeen: true,
      isError: true,
      resultText: expect.stringContaining('usage limit') as string,
    });
  });

  it('records a top-level error event nothing completed after as an error', () => {
    const run = parse([{ type: 'error', message: 'stream disconnected: 503' }]);
    expect(run).toMatchObject({ resultSeen: false, errors: ['stream disconnected: 503'] });
  });

  it('treats error events and error items before a completed turn as notices', () => {
    const run = parse([
      { type: 'item.completed', item: { id: 'i0', type: 'error', message: 'Model metadata …' } },
      { type: 'error', message: 'Reconnecting... 1/5 (last status: 429 Too Many Requests)' },
      { type: 'turn.completed', usage: { input_tokens: 5, output_tokens: 1 } },
    ]);
    expect(run).toMatchObject({ resultSeen: true, isError: false, subtype: 'success', errors: [] });
    expect(run.notices).toHaveLength(2);
  });

  it('reads the status of retried requests and unwraps JSON API errors', () => {
    const run = parse([
      { type: 'error', message: 'Reconnecting... 1/5 (last status: 429 Too Many Requests)' },
      {
        type: 'turn.failed',
        error: { message: '{"error":{"message":"bad","type":"invalid_request_error"}}' },
      },
    ]);
    expect(run).toMatchObject({
      isError: true,
      apiErrorStatus: 429,
      resultText: 'invalid_request_error: bad',
    });
  });
});
