import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ClaudeCodeParser } from './claude-code-parser.js';

function parse(lines: readonly string[]) {
  const p = new ClaudeCodeParser();
  for (const l of lines) p.line(l);
  return p.snapshot();
}

const RESULT = {
  type: 'result',
  subtype: 'success',
  is_error: false,
  result: 'All done',
  session_id: 'sess-1',
  total_cost_usd: 0.0421,
  usage: { input_tokens: 100, cache_read_input_tokens: 50, output_tokens: 75 },
};

describe('ClaudeCodeParser', () => {
  it('parses the claude-code-action sample stream (JSON array re-emitted as NDJSON)', () => {
    const url = new URL('../../../../shared/fixtures/claude/sample-turns.json', import.meta.url);
    let messages: unknown[];
    try {
      messages = JSON.parse(readFileSync(url, 'utf8')) as unknown[];
    } catch {
      return; // the shared fixtures live outside the repo; skip when absent
    }
    const run = parse(messages.map((m) => JSON.stringify(m)));
    expect(run.sessionId).toBe('sample-session-id');
    expect(run.resultSeen).toBe(true);
    // The sample result has no subtype / is_error: absent subtype counts as an error result.
    expect(typeof run.costUsd).toBe('number');
  });

  it('extracts session, cost, tokens and the success result', () => {
    const run = parse([
      JSON.stringify({ type: 'system', subtype: 'init', session_id: 'sess-1', tools: [] }),
      'some stderr noise',
      JSON.stringify(RESULT),
    ]);
    expect(run).toMatchObject({
      resultSeen: true,
      isError: false,
      subtype: 'success',
      sessionId: 'sess-1',
      costUsd: 0.0421,
      inputTokens: 150,
      outputTokens: 75,
    });
  });

  it('accepts the older cost_usd field and api_error_status', () => {
    const run = parse([
      JSON.stringify({
        type: 'result',
        subtype: 'success',
        is_error: true,
        cost_usd: 1.5,
        api_error_status: 429,
        result: 'API Error',
      }),
    ]);
    expect(run).toMatchObject({ isError: true, costUsd: 1.5, apiErrorStatus: 429 });
  });

  it('keeps a rejected rate_limit_event and converts resetsAt seconds to ms', () => {
    const run = parse([
      JSON.stringify({
        type: 'rate_limit_event',
        rate_limit_info: {
          status: 'rejected',
          resetsAt: 1_800_000_000,
          rateLimitType: 'five_hour',
        },
      }),
      JSON.stringify({ type: 'rate_limit_event', rate_limit_info: { status: 'allowed' } }),
    ]);
    expect(run.rateLimit).toEqual({
      status: 'rejected',
      resetsAtMs: 1_800_000_000_000,
      type: 'five_hour',
    });
  });

  it('tolerates broken JSON, unknown types and arrays', () => {
    const run = parse(['{"type":"result",', '[1,2]', '{"type":"future_thing"}', '']);
    expect(run.resultSeen).toBe(false);
  });

  it('sums per-message usage when no result line arrives', () => {
    const msg = (i: number, o: number) =>
      JSON.stringify({
        type: 'assistant',
        message: { usage: { input_tokens: i, output_tokens: o } },
      });
    const run = parse([msg(10, 1), msg(20, 2)]);
    expect(run).toMatchObject({ resultSeen: false, inputTokens: 30, outputTokens: 3 });
  });

  it('reads the delay and status of the CLI own retries from api_retry lines', () => {
    const retry = (delay: number) => ({
      type: 'system',
      subtype: 'api_retry',
      attempt: 1,
      max_retries: 1,
      retry_delay_ms: delay,
      error_status: 529,
      error: 'overloaded',
    });
    const run = parse([
      JSON.stringify(retry(600.4)),
      JSON.stringify(retry(7000)),
      JSON.stringify({
        type: 'result',
        subtype: 'success',
        is_error: true,
        api_error_status: null,
        result: 'API Error: Overloaded',
      }),
    ]);
    expect(run).toMatchObject({ isError: true, retryAfterMs: 7000, apiErrorStatus: 529 });
  });

  it('counts a message once when the CLI repeats it per content block', () => {
    const block = (id: string, input: number) =>
      JSON.stringify({
        type: 'assistant',
        message: { id, usage: { input_tokens: input, output_tokens: 2 } },
      });
    const run = parse([block('m1', 100), block('m1', 100), block('m1', 100), block('m2', 50)]);
    expect(run).toMatchObject({ resultSeen: false, inputTokens: 150, outputTokens: 4 });
  });
});
