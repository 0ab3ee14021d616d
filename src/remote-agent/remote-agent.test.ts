import { describe, expect, it } from 'vitest';
import { completion, readableStderr } from './remote-agent.js';

const job = { lease_token: 'tok' };

describe('completion', () => {
  it('gives a failed job the last line the command wrote on stderr as its reason', () => {
    const c = completion(
      job,
      { code: 3, signal: null, stderrTail: 'connecting…\nerror: target unreachable\n\n' },
      undefined,
    );
    expect(c).toEqual({
      lease_token: 'tok',
      status: 'failed',
      error: 'command failed: exit code 3: error: target unreachable',
      result: { exit_code: 3 },
    });
  });

  it('names the signal, and says only that when stderr was empty', () => {
    expect(completion(job, { code: null, signal: 'SIGKILL', stderrTail: '' }, undefined)).toEqual({
      lease_token: 'tok',
      status: 'failed',
      error: 'command failed: signal SIGKILL',
      result: { exit_code: null },
    });
  });

  it('succeeds on exit 0 whatever stderr says', () => {
    expect(completion(job, { code: 0, signal: null, stderrTail: 'warning: x' }, undefined)).toEqual(
      { lease_token: 'tok', status: 'succeeded', result: { exit_code: 0 } },
    );
  });

  it('a cancel or a shutdown wins over the exit', () => {
    const exit = { code: 1, signal: null, stderrTail: 'boom' };
    expect(completion(job, exit, 'cancelled')).toMatchObject({ status: 'cancelled' });
    expect(completion(job, exit, 'shutdown')).toMatchObject({ status: 'failed', retryable: true });
  });
});

describe('readableStderr', () => {
  it('drops colour codes and control characters, and keeps lines', () => {
    expect(readableStderr('\u001b[31merror:\u001b[0m bad\r\nnext\u0000\u0007 line\rover')).toBe(
      'error: bad\nnext line\nover',
    );
  });

  it('replaces a lone surrogate (a tail cut inside a character), which the server refuses', () => {
    expect(readableStderr('\udc00end \ud83d')).toBe('\ufffdend \ufffd');
    expect(readableStderr('ok 😀')).toBe('ok 😀');
  });
});
