import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import type { Clock } from '../clock.js';
import { runChildProcess, type ChildExit } from '../process/child-process.js';

export type PreflightResult = { ok: true } | { ok: false; reason: string };

export interface PreflightOptions {
  clock: Clock;
  /** How long a result is reused (spec §6 ORCH_PREFLIGHT_CACHE_TTL, 45 s). */
  ttlMs: number;
  /** `--version` timeout (spec: 5 s). */
  timeoutMs?: number;
  env: Readonly<Record<string, string>>;
}

/** The absolute path of an executable, searching PATH for bare names; null when not found. */
export function resolveBinary(name: string, path: string | undefined): string | null {
  const candidates = name.includes('/')
    ? [name]
    : (path ?? '')
        .split(delimiter)
        .filter(Boolean)
        .map((d) => join(d, name));
  for (const c of candidates) {
    try {
      accessSync(c, constants.X_OK);
      return c;
    } catch {
      // keep looking
    }
  }
  return null;
}

/**
 * The token-free check before claiming work for an agent kind (spec §1 row 9): the binary exists
 * and `<binary> --version` exits 0 within the timeout. Results are cached per argv for `ttlMs`, so
 * a missing CLI costs one probe per TTL, and jobs stay queued instead of failing one by one.
 */
export class Preflight {
  readonly #opts: PreflightOptions;
  readonly #cache = new Map<string, { atMs: number; result: PreflightResult }>();

  constructor(options: PreflightOptions) {
    this.#opts = options;
  }

  /**
   * `binary`: the argv[0] that will be spawned; `versionArgv`: the probe command or null when the
   * adapter has none (then only the binary's existence is checked).
   */
  async check(binary: string, versionArgv: readonly string[] | null): Promise<PreflightResult> {
    const key = JSON.stringify([binary, versionArgv]);
    const nowMs = this.#opts.clock.now();
    const hit = this.#cache.get(key);
    if (hit && nowMs - hit.atMs < this.#opts.ttlMs) return hit.result;
    const result = await this.#probe(binary, versionArgv);
    this.#cache.set(key, { atMs: nowMs, result });
    return result;
  }

  async #probe(binary: string, versionArgv: readonly string[] | null): Promise<PreflightResult> {
    if (resolveBinary(binary, this.#opts.env.PATH) === null) {
      return { ok: false, reason: `agent binary "${binary}" not found or not executable` };
    }
    if (!versionArgv) return { ok: true };
    const timeoutMs = this.#opts.timeoutMs ?? 5_000;
    const r = await runChildProcess({
      argv: versionArgv,
      cwd: process.cwd(),
      env: this.#opts.env,
      output: { kind: 'tail', maxChars: 200 },
      timeoutMs,
      killGraceMs: 0,
    });
    if (r.exitCode === 0 && r.killReason === null) return { ok: true };
    const why = probeFailure(r, timeoutMs);
    return { ok: false, reason: `"${versionArgv.join(' ')}" failed: ${why.slice(0, 200)}` };
  }

  clear(): void {
    this.#cache.clear();
  }
}

function probeFailure(r: ChildExit, timeoutMs: number): string {
  if (r.spawnError) return r.spawnError.message;
  if (r.killReason === 'timeout') return `timed out after ${timeoutMs} ms`;
  if (r.signal) return `killed by ${r.signal}`;
  return `exit code ${String(r.exitCode)}: ${r.tail.trim()}`;
}
