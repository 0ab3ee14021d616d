import { describe, expect, it } from 'vitest';
import { logsToPrune } from './run-log-rotation.js';
import { isAgentOfJob, ownerHost, ownerPid, pidAlive } from './process-liveness.js';

describe('pidAlive', () => {
  it('is false for a pid that does not exist', () => expect(pidAlive(999_999_999)).toBe(false));
  it('is true for this process', () => expect(pidAlive(process.pid)).toBe(true));
  it('is conservatively true for missing or invalid pids (never a process group)', () => {
    for (const p of [null, undefined, 0, -1, 1.5, Number.NaN]) expect(pidAlive(p)).toBe(true);
  });
});

describe('lease owners and agent identity', () => {
  it('splits host:pid owners', () => {
    expect(ownerHost('box-1:4242')).toBe('box-1');
    expect(ownerPid('box-1:4242')).toBe(4242);
    expect(ownerPid('remote-agent')).toBeNull();
    expect(ownerHost(null)).toBeNull();
  });
  it('does not mistake an unrelated process for a job agent', () => {
    expect(isAgentOfJob(process.pid, 123456789)).toBe(false);
  });
});

describe('logsToPrune', () => {
  const day = 86_400_000;
  const now = 100 * day;
  const files = [
    { name: '1.log', mtimeMs: now - 20 * day },
    { name: '2.log', mtimeMs: now - 2 * day },
    { name: '3.log', mtimeMs: now - day },
    { name: '4.log', mtimeMs: now },
  ];
  it('prunes by age and by count', () => {
    expect(logsToPrune(files, { nowMs: now, keepDays: 14, keepMax: 0 })).toEqual(['1.log']);
    expect(logsToPrune(files, { nowMs: now, keepDays: 0, keepMax: 2 }).sort()).toEqual([
      '1.log',
      '2.log',
    ]);
    expect(logsToPrune(files, { nowMs: now, keepDays: 0, keepMax: 0 })).toEqual([]);
  });
});
