import { describe, expect, it } from 'vitest';
import { acquireStep, leaseStaleness, sameHolder, type MergeLease } from './lease-decision.js';

const NOW = 10_000_000;
const lease = (o: Partial<MergeLease> = {}): MergeLease => ({
  repo: 'orchestrator',
  taskId: 1,
  branch: 'feature/x',
  pid: 1234,
  host: 'h1',
  instanceId: 'other',
  acquiredAtMs: NOW - 1_000,
  expiresAtMs: NOW + 299_000,
  ...o,
});
const ctx = (alive: boolean, o: { host?: string; selfPid?: number } = {}) => ({
  nowMs: NOW,
  host: o.host ?? 'h1',
  instanceId: 'me',
  selfPid: o.selfPid ?? 99,
  pidAlive: () => alive,
});

describe('leaseStaleness', () => {
  it('reclaims a dead holder on this host (TC-10)', () => {
    expect(leaseStaleness(lease(), ctx(false))).toEqual({ stale: true, why: 'dead pid=1234' });
  });
  it('reclaims by TTL (TC-11)', () => {
    const old = lease({ acquiredAtMs: NOW - 999_000, expiresAtMs: NOW - 699_000 });
    expect(leaseStaleness(old, ctx(true))).toEqual({ stale: true, why: 'stale age=999s>=TTL' });
  });
  it('never touches a live holder within its TTL (TC-12, AC-8)', () => {
    expect(leaseStaleness(lease(), ctx(true))).toEqual({ stale: false });
  });
  it('does not judge a pid on another host', () => {
    expect(leaseStaleness(lease(), ctx(false, { host: 'h2' }))).toEqual({ stale: false });
  });
  it('never calls its own instance dead', () => {
    expect(leaseStaleness(lease({ instanceId: 'me' }), ctx(false))).toEqual({ stale: false });
  });
  it('treats our own pid under another instance id as an earlier incarnation (H-5)', () => {
    expect(leaseStaleness(lease({ pid: 99 }), ctx(true, { selfPid: 99 }))).toEqual({
      stale: true,
      why: 'dead pid=99',
    });
  });
  it('prefers dead in the message when both hold', () => {
    const both = lease({ expiresAtMs: NOW - 1 });
    expect(leaseStaleness(both, ctx(false))).toMatchObject({ why: 'dead pid=1234' });
  });
});

describe('acquireStep', () => {
  const me = { taskId: 1, branch: 'feature/x' };
  it('inserts when free', () => expect(acquireStep(null, me, NOW)).toBe('insert'));
  it('refreshes for the same holder (idempotent re-drive)', () =>
    expect(acquireStep(lease(), me, NOW)).toBe('refresh'));
  it('is busy for another branch within the TTL', () =>
    expect(acquireStep(lease(), { taskId: 2, branch: 'feature/y' }, NOW)).toBe('busy'));
  it('takes over an expired lease of another branch (lazy TTL reclaim)', () =>
    expect(acquireStep(lease({ expiresAtMs: NOW }), { taskId: 2, branch: 'feature/y' }, NOW)).toBe(
      'take_over',
    ));
  it('matches holders by branch, and by task when both know it', () => {
    expect(sameHolder(lease(), { taskId: null, branch: 'feature/x' })).toBe(true);
    expect(sameHolder(lease(), { taskId: 2, branch: 'feature/x' })).toBe(false);
  });
});
