import { describe, expect, it } from 'vitest';
import { isSafeText } from '../store/safe-text.js';
import { completion, readableStderr } from './remote-agent.js';

const job = { lease_token: 'tok' };

describe('completion', () => {
  it('keeps an error the server accepts when the last line is cut inside an emoji', () => {
    const stderrTail = `${'x'.repeat(299)}😀 then more words\n`;
    const c = completion(job, { code: 1, signal: null, stderrTail }, undefined);
    expect(isSafeText(c.error!)).toBe(true);
    expect(c.error).toBe(`command failed: exit code 1: ${'x'.repeat(299)}😀…`);
  });

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

  it('drops terminal titles and hyperlinks (OSC), keeping the link text', () => {
    const link = '\u001b]8;;https://example.test/run\u0007the log\u001b]8;;\u0007';
    expect(readableStderr(`\u001b]0;title\u0007see ${link}\u001b\\`)).toBe('see the log');
  });

  it('replaces a lone surrogate (a tail cut inside a character), which the server refuses', () => {
    expect(readableStderr('\udc00end \ud83d')).toBe('\ufffdend \ufffd');
    expect(readableStderr('ok 😀')).toBe('ok 😀');
  });
});
