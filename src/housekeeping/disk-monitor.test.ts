import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../clock.js';
import { RecordingNotifier } from '../integrations/notify/notifier.js';
import { silentLogger } from '../log.js';
import { DiskMonitor, usedPercent } from './disk-monitor.js';

/** A statfs stand-in: 1000 blocks of 4 KiB, `used` of them in use, no root reserve. */
const disk = (used: number) => ({
  blocks: 1000,
  bfree: 1000 - used,
  bavail: 1000 - used,
  bsize: 4096,
});

function monitor(fill: Record<string, number>, alertPercent = 90) {
  const notifier = new RecordingNotifier();
  const m = new DiskMonitor({
    paths: Object.keys(fill),
    alertPercent,
    intervalMs: 60_000,
    enabled: true,
    notifier,
    clock: new ManualClock(1_000),
    log: silentLogger,
    read: (p) =>
      fill[p] === undefined
        ? Promise.reject(new Error(`ENOENT ${p}`))
        : Promise.resolve(disk(fill[p])),
  });
  return { m, notifier };
}

describe('usedPercent', () => {
  it('counts the root reserve as not usable, like df', () => {
    // 1000 blocks, 600 free, 500 of those available to users: 400 / (400 + 500).
    expect(usedPercent({ blocks: 1000, bfree: 600, bavail: 500 })).toBe(44.4);
    expect(usedPercent({ blocks: 0, bfree: 0, bavail: 0 })).toBe(0);
  });
});

describe('DiskMonitor', () => {
  it('alerts once per crossing of the threshold and again after it recovered', async () => {
    const fill: Record<string, number> = { '/data': 500, '/repos': 950 };
    const { m, notifier } = monitor(fill);
    await m.runOnce();
    expect(notifier.ofType('disk_alert')).toEqual([
      {
        type: 'disk_alert',
        path: '/repos',
        usedPercent: 95,
        thresholdPercent: 90,
        freeBytes: 50 * 4096,
      },
    ]);
    await m.runOnce(); // still over: no second alert
    expect(notifier.ofType('disk_alert')).toHaveLength(1);
    fill['/repos'] = 800; // recovered
    await m.runOnce();
    fill['/repos'] = 990; // crossed again
    fill['/data'] = 900; // exactly at the threshold counts
    await m.runOnce();
    expect(notifier.ofType('disk_alert').map((e) => e.path)).toEqual(['/repos', '/data', '/repos']);
    const status = m.status();
    expect(status).toMatchObject({
      enabled: true,
      alert_percent: 90,
      alerts_total: 3,
      last_run_ms: 1_000,
    });
    expect(status.paths).toEqual([
      {
        path: '/data',
        usedPercent: 90,
        freeBytes: 100 * 4096,
        totalBytes: 1000 * 4096,
        alerting: true,
      },
      {
        path: '/repos',
        usedPercent: 99,
        freeBytes: 10 * 4096,
        totalBytes: 1000 * 4096,
        alerting: true,
      },
    ]);
  });

  it('reports a path it cannot read instead of throwing', async () => {
    const { m, notifier } = monitor({ '/data': 100 });
    const gone = new DiskMonitor({
      ...{ paths: ['/nope'], alertPercent: 90, intervalMs: 1, enabled: true },
      notifier,
      clock: new ManualClock(0),
      log: silentLogger,
      read: () => Promise.reject(new Error('ENOENT /nope')),
    });
    expect(await gone.runOnce()).toEqual([
      {
        path: '/nope',
        usedPercent: 0,
        freeBytes: 0,
        totalBytes: 0,
        alerting: false,
        error: 'ENOENT /nope',
      },
    ]);
    expect((await m.runOnce())[0]!.alerting).toBe(false);
    expect(notifier.events).toEqual([]);
  });

  it('reads a real file system with statfs', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'orch-disk-'));
    const m = new DiskMonitor({
      paths: [dir],
      alertPercent: 101, // never alerts: the test only checks the reading is sane
      intervalMs: 60_000,
      enabled: true,
      notifier: new RecordingNotifier(),
      clock: new ManualClock(0),
      log: silentLogger,
    });
    const [r] = await m.runOnce();
    expect(r!.error).toBeUndefined();
    expect(r!.totalBytes).toBeGreaterThan(0);
    expect(r!.usedPercent).toBeGreaterThanOrEqual(0);
    expect(r!.usedPercent).toBeLessThanOrEqual(100);
  });

  it('does not start when switched off', () => {
    const m = new DiskMonitor({
      paths: ['/'],
      alertPercent: 90,
      intervalMs: 60_000,
      enabled: false,
      notifier: new RecordingNotifier(),
      clock: new ManualClock(0),
      log: silentLogger,
    });
    m.start();
    expect(m.status()).toMatchObject({ enabled: false, last_run_ms: null, paths: [] });
    m.stop();
  });
});
