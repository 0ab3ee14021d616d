import { describe, expect, it } from 'vitest';
import { isSafeText } from '../store/safe-text.js';
import { emptyParsedRun } from './runner.js';
import {
  lastWords,
  outcomeOf,
  runFinish,
  timeoutReason,
  type WatchedResult,
} from './run-outcome.js';

const result = (o: Partial<WatchedResult> = {}): WatchedResult => ({
  pid: 1,
  exitCode: 0,
  signal: null,
  killReason: null,
  parsed: emptyParsedRun(),
  logTail: '',
  spawnError: null,
  leaseLost: false,
  ...o,
});
const opts = {
  requiresResult: true,
  nowMs: 0,
  defaultQuotaPauseMs: 1000,
  limits: { wallMs: 1_800_000, idleMs: 600_000 },
};

describe('run outcomes in words', () => {
  it('records a watchdog timeout as a timeout, with the limit', () => {
    const wall = result({ exitCode: -9, killReason: 'wall_timeout' });
    expect(outcomeOf(wall, opts)).toEqual({ kind: 'permanent', reason: 'timed out after 1800 s' });
    expect(runFinish(wall, outcomeOf(wall, opts), 5).outcome).toBe('timeout');
    const idle = result({ exitCode: -9, killReason: 'idle_timeout' });
    expect(outcomeOf(idle, opts)).toMatchObject({
      reason: 'timed out: no output for 600 s (idle hang)',
    });
  });

  it('lets a final result decide even if the process was then killed', () => {
    const parsed = { ...emptyParsedRun(), resultSeen: true, isError: false, subtype: 'success' };
    expect(timeoutReason({ killReason: 'exit_grace', parsed }, opts.limits)).toBeNull();
    expect(outcomeOf(result({ parsed, killReason: 'exit_grace' }), opts)).toEqual({
      kind: 'success',
    });
  });

  it('names a missing binary and a crash by signal', () => {
    expect(outcomeOf(result({ spawnError: 'spawn claude ENOENT' }), opts)).toMatchObject({
      reason: 'claude not found on PATH (launch failed: spawn claude ENOENT)',
    });
    const killed = result({ exitCode: null, signal: 'SIGKILL', logTail: 'writing…\n' });
    expect(outcomeOf(killed, opts)).toEqual({
      kind: 'permanent',
      reason: 'crashed: killed by SIGKILL (writing…)',
    });
  });

  it('quotes what the CLI said last on a non-zero exit, not its JSON events', () => {
    const tail = '{"type":"system"}\n{"type":"assistant"}\nError: cannot open repo\n';
    expect(outcomeOf(result({ exitCode: 3, logTail: tail }), opts)).toEqual({
      kind: 'permanent',
      reason: 'exit code 3: Error: cannot open repo',
    });
    expect(lastWords('{"a":1}\n')).toBeNull();
  });

  it('clips a long last line between characters, never inside a surrogate pair', () => {
    const words = lastWords(`${'x'.repeat(299)}😀 and more\n`)!;
    expect(words).toBe(`${'x'.repeat(299)}😀…`);
    expect(isSafeText(words)).toBe(true);
  });
});
