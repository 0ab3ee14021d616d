import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { classifyRun } from '../../queue/classifier.js';
import type { OutputParser } from '../runner.js';
import { ClaudeCodeParser } from './claude-code-parser.js';
import { CodexParser } from './codex-parser.js';

/**
 * The parsers and the classifier on what the real CLIs printed (Claude Code 2.1.197, Codex
 * 0.171.0 against loopback model-API stubs; ../shared/fixtures/agents-real/MANIFEST.md).
 */
const DIR = fileURLToPath(new URL('../../../../shared/fixtures/agents-real/', import.meta.url));
const NOW = Date.UTC(2026, 11, 4, 15, 0, 0);

function replay(parser: OutputParser, file: string) {
  for (const line of readFileSync(`${DIR}${file}`, 'utf8').split('\n')) parser.line(line);
  return parser.snapshot();
}

function outcome(parser: OutputParser, file: string, exitCode: number, killed = false) {
  const parsed = replay(parser, file);
  return classifyRun({
    parsed,
    exitCode: killed ? -9 : exitCode,
    killReason: killed ? 'idle_timeout' : null,
    requiresResult: true,
    logTail: '',
    nowMs: NOW,
    defaultQuotaPauseMs: 3_600_000,
  });
}

const claude = (file: string) => `claude-code-2.1.197/${file}`;
const codex = (file: string) => `codex-0.171.0/${file}`;

describe.skipIf(!existsSync(DIR))('real Claude Code 2.1.197 output', () => {
  it('a tool-using success is a success with the result cost and tokens', () => {
    const run = replay(new ClaudeCodeParser(), claude('a-write.ndjson'));
    expect(run).toMatchObject({
      isError: false,
      costUsd: 0.0179,
      inputTokens: 3600,
      outputTokens: 84,
    });
    expect(outcome(new ClaudeCodeParser(), claude('a-write.ndjson'), 0)).toEqual({
      kind: 'success',
    });
  });

  it('without a result, counts tokens once per message id, not once per content block', () => {
    const lines = readFileSync(`${DIR}${claude('a-analyst.ndjson')}`, 'utf8')
      .split('\n')
      .filter((l) => !l.includes('"type":"result"'));
    const p = new ClaudeCodeParser();
    for (const l of lines) p.line(l);
    // msg_stub_2, _3 (repeated on 5 lines) and _4: 1700 + 1900 + 2100 input, 1 output each.
    expect(p.snapshot()).toMatchObject({ resultSeen: false, inputTokens: 5700, outputTokens: 3 });
  });

  it('a 400 is a permanent API error, not "agent result success"', () => {
    const o = outcome(new ClaudeCodeParser(), claude('b-err400-default.ndjson'), 1);
    expect(o).toEqual({ kind: 'permanent', reason: 'API error 400: stub: prompt is malformed' });
  });

  it('a 429 with retry-after 7 is transient with the 7 s the CLI reported in api_retry', () => {
    const o = outcome(new ClaudeCodeParser(), claude('b-err429-r2.ndjson'), 1);
    expect(o).toMatchObject({ kind: 'transient', retryAfterMs: 7000 });
    expect(o.kind === 'transient' && o.reason).toMatch(/^API error 429: Request rejected \(429\)/);
  });

  it('a 429 on the account (unified) limit pauses the kind instead of burning retries', () => {
    const o = outcome(new ClaudeCodeParser(), claude('b-err429u-default.ndjson'), 1);
    expect(o).toMatchObject({ kind: 'quota' });
    expect(o.kind === 'quota' && o.resumeAtMs).toBeGreaterThan(NOW);
  });

  it.each(['b-err500-r2.ndjson', 'b-err500-default.ndjson'])('a 500 is transient (%s)', (f) => {
    const o = outcome(new ClaudeCodeParser(), claude(f), 1);
    expect(o).toMatchObject({ kind: 'transient' });
    expect(o.kind === 'transient' && o.reason).toMatch(/^API error 500: Internal server error/);
  });

  it.each(['b-err529-again.ndjson', 'b-err529-fullenv.ndjson'])('a 529 is transient (%s)', (f) => {
    const o = outcome(new ClaudeCodeParser(), claude(f), 1);
    expect(o).toMatchObject({
      kind: 'transient',
      reason: expect.stringMatching(/^API error 529: /) as string,
    });
  });

  it.each(['b-hang-t15.ndjson', 'b-hangstream-t15.ndjson'])(
    'a hang is never a success (%s)',
    (f) => {
      expect(replay(new ClaudeCodeParser(), claude(f)).resultSeen).toBe(false);
      expect(outcome(new ClaudeCodeParser(), claude(f), 124, true)).toMatchObject({
        kind: 'permanent',
        reason: 'killed by watchdog: idle_timeout',
      });
    },
  );
});

describe.skipIf(!existsSync(DIR))('real Codex 0.171.0 output', () => {
  it('a text answer is a success with its tokens', () => {
    const run = replay(new CodexParser(), codex('text-fixed.jsonl'));
    expect(run).toMatchObject({
      isError: false,
      inputTokens: 1500,
      outputTokens: 40,
      costUsd: null,
    });
    expect(outcome(new CodexParser(), codex('text-fixed.jsonl'), 0)).toEqual({ kind: 'success' });
  });

  it('"Reconnecting… n/5" errors followed by a completed turn are notices: a success', () => {
    const run = replay(new CodexParser(), codex('flaky500-r0.jsonl'));
    expect(run).toMatchObject({ isError: false, errors: [] });
    expect(run.notices).toHaveLength(2);
    expect(outcome(new CodexParser(), codex('flaky500-r0.jsonl'), 0)).toEqual({ kind: 'success' });
  });

  it('a 400 is permanent with the API message made readable', () => {
    expect(outcome(new CodexParser(), codex('err400.jsonl'), 1)).toEqual({
      kind: 'permanent',
      reason: 'agent result error: invalid_request_error: stub: invalid request',
    });
  });

  it('a 429 is transient and names the status', () => {
    const o = outcome(new CodexParser(), codex('err429.jsonl'), 1);
    expect(o).toMatchObject({
      kind: 'transient',
      reason: expect.stringMatching(/^API error 429: /) as string,
    });
  });

  it('a 500 ("high demand … temporary errors") is transient', () => {
    expect(outcome(new CodexParser(), codex('err500.jsonl'), 1)).toMatchObject({
      kind: 'transient',
    });
  });

  it('a hang is never a success', () => {
    expect(outcome(new CodexParser(), codex('hang-idle10.jsonl'), 124, true)).toMatchObject({
      kind: 'permanent',
    });
  });
});
