/**
 * Disk watchdog (reference ORCH-063): agents, worktrees, run logs and the store all fill disks,
 * and a full disk fails everything at once with errors that name nothing. Every `intervalMs` the
 * watchdog reads the fill of each configured path (statfs: the file system the path lives on)
 * and alerts once when it crosses `alertPercent`; it alerts again only after the fill has dropped
 * below the threshold and crossed it anew. The `disk_monitor` block of /queue shows the last read.
 */
import { statfs } from 'node:fs/promises';
import type { Clock } from '../clock.js';
import type { Logger } from '../log.js';
import { safeNotify } from '../integrations/notify/notifier.js';
import type { Notifier } from '../integrations/notify/notifier.js';

export interface DiskReading {
  path: string;
  usedPercent: number;
  freeBytes: number;
  totalBytes: number;
  alerting: boolean;
  error?: string;
}

/** Percent used as `df` shows it: used / (used + available to unprivileged users). Pure. */
export function usedPercent(s: { blocks: number; bfree: number; bavail: number }): number {
  const used = s.blocks - s.bfree;
  const usable = used + s.bavail;
  return usable <= 0 ? 0 : Math.round((used / usable) * 1000) / 10;
}

export interface DiskMonitorOptions {
  /** Paths whose file systems are watched (the data, repos and worktrees directories by default). */
  paths: readonly string[];
  alertPercent: number;
  intervalMs: number;
  enabled: boolean;
  notifier: Notifier;
  clock: Clock;
  log: Logger;
  /** statfs, replaceable in tests. */
  read?: (
    path: string,
  ) => Promise<{ blocks: number; bfree: number; bavail: number; bsize: number }>;
}

export class DiskMonitor {
  readonly #o: DiskMonitorOptions;
  readonly #alerting = new Set<string>();
  #readings: DiskReading[] = [];
  #lastRunMs: number | null = null;
  #alerts = 0;
  #timer: NodeJS.Timeout | null = null;

  constructor(o: DiskMonitorOptions) {
    this.#o = o;
  }

  /** Reads every path and alerts on a new crossing. Never throws. */
  async runOnce(): Promise<DiskReading[]> {
    const read = this.#o.read ?? ((p: string) => statfs(p));
    const out: DiskReading[] = [];
    for (const path of this.#o.paths) {
      try {
        const s = await read(path);
        const pct = usedPercent(s);
        const over = pct >= this.#o.alertPercent;
        if (over && !this.#alerting.has(path)) {
          this.#alerting.add(path);
          this.#alerts++;
          await safeNotify(
            this.#o.notifier,
            {
              type: 'disk_alert',
              path,
              usedPercent: pct,
              thresholdPercent: this.#o.alertPercent,
              freeBytes: s.bavail * s.bsize,
            },
            this.#o.log,
          );
        } else if (!over) this.#alerting.delete(path);
        out.push({
          path,
          usedPercent: pct,
          freeBytes: s.bavail * s.bsize,
          totalBytes: s.blocks * s.bsize,
          alerting: over,
        });
      } catch (err) {
        out.push({
          path,
          usedPercent: 0,
          freeBytes: 0,
          totalBytes: 0,
          alerting: false,
          error: (err as Error).message,
        });
      }
    }
    this.#readings = out;
    this.#lastRunMs = this.#o.clock.now();
    return out;
  }

  start(): void {
    if (!this.#o.enabled || this.#timer) return;
    const tick = () => void this.runOnce();
    tick();
    this.#timer = setInterval(tick, this.#o.intervalMs);
    this.#timer.unref();
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
  }

  /** The `disk_monitor` block of /queue. */
  status() {
    return {
      enabled: this.#o.enabled,
      alert_percent: this.#o.alertPercent,
      interval_s: this.#o.intervalMs / 1000,
      last_run_ms: this.#lastRunMs,
      alerts_total: this.#alerts,
      paths: this.#readings,
    };
  }
}
