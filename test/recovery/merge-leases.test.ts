import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import { leasedMergeGate } from '../../src/gates/merge/merge-gate.js';
import { LocalForge } from '../../src/integrations/forge/local-forge.js';
import { silentLogger } from '../../src/log.js';
import { MergeLeases, type MergeLeasesOptions } from '../../src/recovery/merge-leases.js';
import type { Db } from '../../src/store/db.js';
import { openDb } from '../../src/store/open-db.js';
import { seedSampleRepo } from '../helpers/pipeline-env.js';
import { describeEachDialect } from '../helpers/test-db.js';
import { reaperHarness } from './reaper-harness.js';

const REPO = 'orchestrator';
const X = { taskId: 1, branch: 'feature/x' };
const Y = { taskId: 2, branch: 'feature/y' };

function leasesFor(db: Db, clock: ManualClock, o: Partial<MergeLeasesOptions> = {}) {
  const alerts: string[] = [];
  const leases = new MergeLeases(db, {
    clock,
    log: silentLogger,
    host: 'h1',
    pid: 100,
    instanceId: 'boot-1',
    pidAlive: () => true,
    reclaimEnabled: () => true,
    onReclaimed: (lease, why) => {
      alerts.push(`${lease.repo} ${why}`);
      return Promise.resolve();
    },
    ...o,
  });
  return { leases, alerts };
}

describeEachDialect('merge leases', ({ current, dialect }) => {
  const clock = () => new ManualClock(Date.UTC(2026, 5, 7));

  it('is exclusive per repo, idempotent for its holder, and released only by it', async () => {
    const c = clock();
    const { leases } = leasesFor(current().db, c);
    expect(await leases.acquire({ repo: REPO, holder: X, ttlMs: 300_000 })).toMatchObject({
      kind: 'acquired',
      holder: { branch: 'feature/x', taskId: 1, pid: 100, host: 'h1' },
    });
    c.advance(10_000);
    const again = await leases.acquire({ repo: REPO, holder: X, ttlMs: 300_000 });
    expect(again).toMatchObject({ kind: 'held_by_self' });
    expect(again.holder.expiresAtMs).toBe(c.now() + 300_000);
    expect(again.holder.acquiredAtMs).toBe(c.now() - 10_000);
    expect(await leases.acquire({ repo: REPO, holder: Y, ttlMs: 300_000 })).toMatchObject({
      kind: 'busy',
      holder: { branch: 'feature/x' },
    });
    expect(await leases.acquire({ repo: 'other', holder: Y, ttlMs: 300_000 })).toMatchObject({
      kind: 'acquired',
    });
    expect(await leases.release(REPO, Y)).toBe(false);
    expect((await leases.list()).map((l) => l.repo)).toEqual(['orchestrator', 'other']);
    expect(await leases.release(REPO, X)).toBe(true);
    expect(await leases.release(REPO, X)).toBe(false);
    expect(await leases.acquire({ repo: REPO, holder: Y, ttlMs: 300_000 })).toMatchObject({
      kind: 'acquired',
    });
  });

  it('says when a lease was freed, by its holder or by reclaim, so the next waiter can be woken', async () => {
    const c = clock();
    const freed: string[] = [];
    const { leases } = leasesFor(current().db, c, {
      onFreed: (repo) => Promise.resolve(void freed.push(repo)),
    });
    await leases.acquire({ repo: REPO, holder: X, ttlMs: 300_000 });
    expect(await leases.release(REPO, Y)).toBe(false); // not the holder: nothing freed
    expect(freed).toEqual([]);
    expect(await leases.release(REPO, X)).toBe(true);
    expect(freed).toEqual([REPO]);
    await leases.acquire({ repo: 'other', holder: Y, ttlMs: 1_000 });
    c.advance(1_001);
    expect((await leases.reclaimStale()).map((l) => l.repo)).toEqual(['other']);
    expect(freed).toEqual([REPO, 'other']);
  });

  it('lets exactly one of many concurrent acquirers on separate connections win', async () => {
    const c = clock();
    // PostgreSQL: separate connections. SQLite: one process shares one connection (better-sqlite3
    // is synchronous; a second connection would block the event loop on the write lock).
    const extra = dialect === 'postgres' ? [1, 2, 3].map(() => openDb(current().url)) : [];
    const dbs = [
      current().db,
      ...extra,
      ...(extra.length ? [] : [current().db, current().db, current().db]),
    ];
    try {
      const results = await Promise.all(
        dbs.map((db, i) =>
          leasesFor(db, c).leases.acquire({
            repo: REPO,
            holder: { taskId: i + 1, branch: `feature/${i}` },
            ttlMs: 300_000,
          }),
        ),
      );
      expect(results.filter((r) => r.kind === 'acquired')).toHaveLength(1);
      expect(results.filter((r) => r.kind === 'busy')).toHaveLength(3);
    } finally {
      for (const db of extra) await db.close();
    }
  });

  it('takes over an expired lease lazily on acquire, even with proactive reclaim off', async () => {
    const c = clock();
    const { leases } = leasesFor(current().db, c, { reclaimEnabled: () => false });
    await leases.acquire({ repo: REPO, holder: X, ttlMs: 300_000 });
    c.advance(300_000);
    expect(await leases.reclaimStale()).toEqual([]);
    expect(await leases.acquire({ repo: REPO, holder: Y, ttlMs: 300_000 })).toMatchObject({
      kind: 'acquired',
      holder: { branch: 'feature/y' },
    });
  });

  it('reclaims a dead holder on this host proactively, with one alert (TC-10, AC-6)', async () => {
    const c = clock();
    const holder = leasesFor(current().db, c, { instanceId: 'boot-0', pid: 999_999 }).leases;
    await holder.acquire({ repo: REPO, holder: X, ttlMs: 300_000 });
    const { leases, alerts } = leasesFor(current().db, c, { pidAlive: (p) => p !== 999_999 });
    const reclaimed = await leases.reclaimStale();
    expect(reclaimed.map((l) => l.branch)).toEqual(['feature/x']);
    expect(alerts).toEqual(['orchestrator dead pid=999999']);
    expect(await leases.list()).toEqual([]);
  });

  it('reclaims by TTL and leaves a live lease within its TTL alone (TC-11, TC-12)', async () => {
    const c = clock();
    const other = leasesFor(current().db, c, { instanceId: 'boot-0', pid: 4242 }).leases;
    await other.acquire({ repo: REPO, holder: X, ttlMs: 300_000 });
    const { leases } = leasesFor(current().db, c);
    c.advance(299_999);
    expect(await leases.reclaimStale()).toEqual([]);
    expect(await leases.list()).toHaveLength(1);
    c.advance(1);
    expect((await leases.reclaimStale()).map((l) => l.repo)).toEqual([REPO]);
  });

  it('does nothing with the kill-switch off (TC-15) and never throws (TC-14)', async () => {
    const c = clock();
    const holder = leasesFor(current().db, c, { instanceId: 'boot-0' }).leases;
    await holder.acquire({ repo: REPO, holder: X, ttlMs: 1 });
    c.advance(10);
    const off = leasesFor(current().db, c, { reclaimEnabled: () => false }).leases;
    expect(await off.reclaimStale()).toEqual([]);
    const broken = leasesFor(current().db, c).leases;
    (broken as unknown as { list: () => Promise<never> }).list = () =>
      Promise.reject(new Error('disk'));
    await expect(broken.reclaimStale()).resolves.toEqual([]);
    expect(await off.list()).toHaveLength(1);
  });

  it('is swept on every reaper tick and counted (AC-6 periodic)', async () => {
    const c = clock();
    const holder = leasesFor(current().db, c, { instanceId: 'boot-0', pid: 999_999 }).leases;
    await holder.acquire({ repo: REPO, holder: X, ttlMs: 300_000 });
    const { leases } = leasesFor(current().db, c, { pidAlive: () => false });
    const h = reaperHarness(current().db, { leases });
    await h.reaper.runOnce();
    expect(h.reaper.status().lease_reclaimed_total).toBe(1);
    await h.reaper.runOnce();
    expect(h.reaper.status().lease_reclaimed_total).toBe(1);
  });

  it('merge gate: merges under the lease, fails "merge-lock busy" when another branch holds it, never merges twice', async () => {
    const c = clock();
    const root = mkdtempSync(join(tmpdir(), 'orch-lease-'));
    const forge = new LocalForge(current().db, join(root, 'forge'), c);
    mkdirSync(join(root, 'forge'));
    seedSampleRepo(join(root, 'seed'));
    await forge.importRepo(REPO, join(root, 'seed'));
    const g = (...a: string[]) =>
      execFileSync('git', a, { cwd: join(root, 'seed'), encoding: 'utf8' }).trim();
    g('checkout', '-q', '-b', 'feature/x');
    writeFileSync(join(root, 'seed', 'x.txt'), 'x\n');
    g('add', '-A');
    g('-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-q', '-m', 'x');
    g('push', '-q', forge.cloneUrl(REPO), 'feature/x');
    // The gate fetches the target through the worktree's origin before it merges.
    g('remote', 'add', 'origin', forge.cloneUrl(REPO));
    const head = g('rev-parse', 'HEAD');
    await forge.ensurePullRequest(REPO, { head: 'feature/x', base: 'main', title: 'x', body: '' });
    const { leases } = leasesFor(current().db, c);
    const gate = leasedMergeGate(leases, { ttlMs: 300_000, deferMs: 30_000 });
    const ctx = {
      workItemId: 'ORCH-1',
      taskId: 1,
      repo: REPO,
      branch: 'feature/x',
      baseBranch: 'main',
      worktree: join(root, 'seed'),
      testCommand: [],
      testTimeoutMs: 1000,
      forge,
      headSha: head,
    };
    await leases.acquire({ repo: REPO, holder: Y, ttlMs: 300_000 });
    const busy = await gate(ctx);
    expect(busy.passed).toBe(false);
    expect(busy.reason).toContain('merge-lock busy');
    // What it waits for, so the holder's release can wake it early.
    expect(busy).toMatchObject({ retryAfterMs: 30_000, waitsFor: `merge-lease:${REPO}` });
    expect((await forge.findPullRequest(REPO, 'feature/x'))!.merged).toBe(false);
    await leases.release(REPO, Y);
    const merged = await gate(ctx);
    expect(merged).toMatchObject({ passed: true });
    expect(merged.reason).toMatch(/merged as/);
    expect(await leases.list()).toEqual([]); // released after the merge
    await leases.acquire({ repo: REPO, holder: Y, ttlMs: 300_000 });
    const again = await gate(ctx); // re-driven deploy: already merged wins over a busy lease
    expect(again).toMatchObject({ passed: true, reason: 'PR #1 already merged' });
    const log = execFileSync('git', ['log', '--oneline', 'main'], {
      cwd: forge.cloneUrl(REPO),
      encoding: 'utf8',
    });
    expect(log.split('\n').filter((l) => l.includes('Merge #1'))).toHaveLength(1);
  });
});
