import { describe, expect, it } from 'vitest';
import { clockTime, formatLogLine, prettyLogStream } from './pretty-log-stream.js';

const AT = new Date(2024, 0, 2, 3, 4, 5, 6).getTime();

describe('formatLogLine', () => {
  it('prints local time, the level, the message and key=value fields', () => {
    const line = JSON.stringify({
      level: 30,
      time: AT,
      pid: 1,
      hostname: 'h',
      reqId: 'req-1',
      msg: 'job claimed',
      jobId: 7,
      agent: 'developer',
      note: 'two words',
      token: '[redacted]',
      ok: true,
    });
    expect(formatLogLine(line)).toBe(
      '03:04:05.006 INFO  job claimed reqId=req-1 jobId=7 agent=developer note="two words" token=[redacted] ok=true',
    );
  });

  it('prints an error with its extra fields inline and its stack below', () => {
    const err = {
      type: 'OrchError',
      message: 'boom',
      code: 'LEASE_LOST',
      stack: 'OrchError: boom\n    at f (x.ts:1:1)',
    };
    const line = JSON.stringify({ level: 50, time: AT, msg: 'tick failed', daemon: 'reaper', err });
    expect(formatLogLine(line)).toBe(
      [
        '03:04:05.006 ERROR tick failed daemon=reaper err.code=LEASE_LOST',
        '  OrchError: boom',
        '      at f (x.ts:1:1)',
      ].join('\n'),
    );
  });

  it('puts object fields on lines of their own when the line would be long', () => {
    const agents = { analyst: 'claude-code', architect: 'claude-code', developer: 'codex (o3)' };
    const integrations = {
      plane: true,
      gitea: false,
      webhookSecrets: { plane: true, gitea: false },
    };
    const line = JSON.stringify({
      level: 30,
      time: AT,
      msg: 'orch serving',
      version: '0.1.0',
      agents,
      integrations,
    });
    expect(formatLogLine(line).split('\n')).toEqual([
      '03:04:05.006 INFO  orch serving version=0.1.0',
      `    agents=${JSON.stringify(agents)}`,
      `    integrations=${JSON.stringify(integrations)}`,
    ]);
    const short = JSON.stringify({ level: 20, time: AT, msg: 'x', report: { a: 1 } });
    expect(formatLogLine(short)).toBe('03:04:05.006 DEBUG x report={"a":1}');
  });

  it('passes a line that is not a JSON object through unchanged', () => {
    expect(formatLogLine('plain text')).toBe('plain text');
    expect(formatLogLine('[1,2]')).toBe('[1,2]');
  });

  it('formats epoch milliseconds as local HH:MM:SS.mmm', () => {
    expect(clockTime(new Date(2024, 5, 6, 23, 59, 58, 120).getTime())).toBe('23:59:58.120');
  });
});

describe('prettyLogStream', () => {
  it('writes one formatted line per JSON line it receives', () => {
    const out: string[] = [];
    const stream = prettyLogStream({ write: (s: string) => out.push(s) });
    stream.write(`${JSON.stringify({ level: 40, time: AT, msg: 'a' })}\n`);
    stream.write(`${JSON.stringify({ level: 60, time: AT, msg: 'b' })}\n`);
    expect(out.join('')).toBe('03:04:05.006 WARN  a\n03:04:05.006 FATAL b\n');
  });
});
