import { describe, expect, it } from 'vitest';
import { emptyParsedRun, type ParsedRun } from '../agents/runner.js';
import { classifyRun, retryAfterMsFromText, type ClassifyInput } from './classifier.js';

const NOW = 1_800_000_000_000;

function input(
  over: Partial<Omit<ClassifyInput, 'parsed'>> & { parsed?: Partial<ParsedRun> } = {},
): ClassifyInput {
  return {
    exitCode: 0,
    killReason: null,
    requiresResult: true,
    logTail: '',
    nowMs: NOW,
    defaultQuotaPauseMs: 3_600_000,
    ...over,
    parsed: { ...emptyParsedRun(), ...over.parsed },
  };
}

const okResult = { resultSeen: true, isError: false, subtype: 'success', resultText: 'done' };

describe('classifyRun', () => {
  it('takes success from the result line', () => {
    expect(classifyRun(input({ parsed: okResult }))).toEqual({ kind: 'success' });
  });

  it('never reports success for is_error true, even with exit code 0', () => {
    const out = classifyRun(
      input({ parsed: { ...okResult, isError: true, resultText: 'tool failed badly' } }),
    );
    expect(out.kind).toBe('permanent');
  });

  it('classifies an is_error rate-limit result as transient with its Retry-After', () => {
    const out = classifyRun(
      input({
        parsed: {
          ...okResult,
          isError: true,
          resultText: 'API Error: 429 Rate limit reached. Retry-After: 30',
        },
      }),
    );
    expect(out).toEqual({
      kind: 'transient',
      reason: expect.any(String) as string,
      retryAfterMs: 30_000,
    });
  });

  it('treats api_error_status 529 as transient without a Retry-After', () => {
    const out = classifyRun(
      input({ parsed: { ...okResult, isError: true, apiErrorStatus: 529, resultText: 'x' } }),
    );
    expect(out).toMatchObject({ kind: 'transient', retryAfterMs: null });
  });

  it('treats an HTTP 500 API error as transient and says so in the reason', () => {
    const out = classifyRun(
      input({
        exitCode: 1,
        parsed: {
          ...okResult,
          isError: true,
          apiErrorStatus: 500,
          resultText: 'API Error: 500 Internal server error. This is a server-side issue',
        },
      }),
    );
    expect(out).toEqual({
      kind: 'transient',
      reason: 'API error 500: Internal server error. This is a server-side issue',
      retryAfterMs: null,
    });
  });

  it('keeps a 4xx API error permanent even when its text mentions a limit', () => {
    const out = classifyRun(
      input({
        parsed: { ...okResult, isError: true, apiErrorStatus: 400, resultText: 'rate limit x' },
      }),
    );
    expect(out.kind).toBe('permanent');
  });

  it('takes the retry delay from the CLI-reported api_retry delay', () => {
    const out = classifyRun(
      input({
        parsed: {
          ...okResult,
          isError: true,
          apiErrorStatus: 429,
          retryAfterMs: 7000,
          resultText: 'API Error: Request rejected (429)',
        },
      }),
    );
    expect(out).toMatchObject({ kind: 'transient', retryAfterMs: 7000 });
  });

  it('pauses the kind on an account rate limit, until the delay the server asked for', () => {
    const out = classifyRun(
      input({
        parsed: {
          ...okResult,
          isError: true,
          apiErrorStatus: 429,
          retryAfterMs: 60_000,
          resultText: "API Error: Request rejected (429) · would exceed your account's rate limit.",
        },
      }),
    );
    expect(out).toMatchObject({ kind: 'quota', resumeAtMs: NOW + 60_000 });
  });

  it('pauses until resetsAt on a rejected rate_limit_event', () => {
    const out = classifyRun(
      input({
        exitCode: 1,
        parsed: {
          ...okResult,
          isError: true,
          rateLimit: { status: 'rejected', resetsAtMs: NOW + 7_200_000, type: 'five_hour' },
        },
      }),
    );
    expect(out).toMatchObject({ kind: 'quota', resumeAtMs: NOW + 7_200_000 });
  });

  it('reads the reset epoch from "usage limit reached|<epoch>", else pauses by default', () => {
    const epochS = Math.floor(NOW / 1000) + 600;
    const withEpoch = classifyRun(
      input({
        parsed: {
          ...okResult,
          isError: true,
          resultText: `Claude AI usage limit reached|${epochS}`,
        },
      }),
    );
    expect(withEpoch).toMatchObject({ kind: 'quota', resumeAtMs: epochS * 1000 });
    const noEpoch = classifyRun(
      input({
        parsed: {
          ...okResult,
          isError: true,
          resultText: "You've hit your session limit · resets 2pm",
        },
      }),
    );
    expect(noEpoch).toMatchObject({ kind: 'quota', resumeAtMs: NOW + 3_600_000 });
  });

  it('takes the outcome from the result even when the process was killed after it', () => {
    expect(
      classifyRun(input({ exitCode: -9, killReason: 'exit_grace', parsed: okResult })),
    ).toEqual({
      kind: 'success',
    });
  });

  it('treats a watchdog kill without a result as permanent', () => {
    const out = classifyRun(
      input({ exitCode: -9, killReason: 'idle_timeout', logTail: 'timeout' }),
    );
    expect(out).toEqual({ kind: 'permanent', reason: 'killed by watchdog: idle_timeout' });
  });

  it('fails exit 0 without a result for adapters that promise one, accepts it for commands', () => {
    expect(classifyRun(input()).kind).toBe('permanent');
    expect(classifyRun(input({ requiresResult: false })).kind).toBe('success');
  });

  it('classifies a crash by its log tail', () => {
    expect(
      classifyRun(input({ exitCode: 1, logTail: 'Error: connection reset by peer' })).kind,
    ).toBe('transient');
    expect(classifyRun(input({ exitCode: 2, logTail: 'TypeError: x is undefined' })).kind).toBe(
      'permanent',
    );
    expect(classifyRun(input({ exitCode: 137, logTail: '' })).kind).toBe('permanent');
  });

  it('classifies tool-reported errors (aider, codex) even on exit 0', () => {
    const out = classifyRun(
      input({
        requiresResult: false,
        parsed: { errors: ['litellm.RateLimitError: too many requests'] },
      }),
    );
    expect(out.kind).toBe('transient');
  });
});

describe('retryAfterMsFromText', () => {
  it.each([
    ['Retry-After: 30', 30_000],
    ['"retry_after": "12"', 12_000],
    ['retry after 5', 5_000],
    ['nothing here', null],
  ])('%s → %s', (text, ms) => {
    expect(retryAfterMsFromText(text)).toBe(ms);
  });
});
