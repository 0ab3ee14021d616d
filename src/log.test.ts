import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, resolveLogFormat, type LogDestination } from './log.js';

/** A destination that keeps what it is given; `isTTY` as a terminal's stderr would say. */
function sink(isTTY?: boolean): { stream: LogDestination; text: () => string } {
  const chunks: string[] = [];
  const stream: LogDestination = Object.assign(
    new Writable({
      write(chunk: Buffer, _enc, done) {
        chunks.push(chunk.toString('utf8'));
        done();
      },
    }),
    isTTY === undefined ? {} : { isTTY },
  );
  return { stream, text: () => chunks.join('') };
}

describe('createLogger', () => {
  it('writes pretty lines with the same redaction as JSON lines', () => {
    const out = sink();
    const log = createLogger('info', { format: 'pretty', destination: out.stream });
    log.info({ jobId: 3, token: 'tok-SECRET', plane: { password: 'pw-SECRET' } }, 'job claimed');
    const text = out.text();
    expect(text).toMatch(/^\d\d:\d\d:\d\d\.\d{3} INFO {2}job claimed jobId=3 token=\[redacted\]/);
    expect(text).toContain('plane={"password":"[redacted]"}');
    expect(text).not.toContain('SECRET');
  });

  it('writes a pretty error with its stack', () => {
    const out = sink();
    const log = createLogger('info', { format: 'pretty', destination: out.stream });
    log.error({ err: new Error('disk full') }, 'tick failed');
    const lines = out.text().split('\n');
    expect(lines[0]).toMatch(/ ERROR tick failed$/);
    expect(lines[1]).toBe('  Error: disk full');
    expect(lines[2]).toMatch(/^ {6}at /);
  });

  it('writes JSON lines in auto mode when the destination is not a terminal', () => {
    const out = sink();
    createLogger('info', { format: 'auto', destination: out.stream }).info({ jobId: 1 }, 'hi');
    const record = JSON.parse(out.text()) as Record<string, unknown>;
    expect(record).toMatchObject({ level: 30, msg: 'hi', jobId: 1 });
  });

  it('writes pretty lines in auto mode when the destination is a terminal', () => {
    const out = sink(true);
    createLogger('info', { destination: out.stream }).info('hi');
    expect(out.text()).toMatch(/^\d\d:\d\d:\d\d\.\d{3} INFO {2}hi\n$/);
  });

  it('writes JSON lines when asked to, even to a terminal', () => {
    const out = sink(true);
    createLogger('info', { format: 'json', destination: out.stream }).info('hi');
    expect(JSON.parse(out.text())).toMatchObject({ msg: 'hi' });
  });
});

describe('resolveLogFormat', () => {
  it('resolves auto by the terminal and keeps an explicit format', () => {
    expect(resolveLogFormat('auto', true)).toBe('pretty');
    expect(resolveLogFormat('auto', false)).toBe('json');
    expect(resolveLogFormat('json', true)).toBe('json');
    expect(resolveLogFormat('pretty', false)).toBe('pretty');
  });
});
