import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import type { Clock } from '../clock.js';
import { runChildProcess } from '../process/child-process.js';
import { adapterFor } from './adapters/adapter-for.js';
import type { AgentProfile } from './agents-config.js';
import { argvContext } from './agents-config.js';

export type PreflightResult = { ok: true } | { ok: false; reason: string };

export interface PreflightOptions {
  clock: Clock;
  /** How long a result is reused (spec §6 ORCH_PREFLIGHT_CACHE_TTL, 45 s). */
  ttlMs: number;
  /** Probe timeout. Default 15 s: Claude Code 2.1's native binary takes ~4 s to print help. */
  timeoutMs?: number;
  env: Readonly<Record<string, string>>;
}

/** What preflight checks for an agent kind: the binary, and the probe that proves our argv. */
export interface PreflightTarget {
  binary: string;
  /** The run's flags plus `--help` (see AgentAdapter.probeArgv); null = existence only. */
  probeArgv: string[] | null;
  /** Environment the probe runs with (the adapter's and the profile's variables). */
  env: Record<string, string>;
}

/** The preflight target of a resolved profile (also used by `orch doctor`). */
export function preflightTarget(profile: AgentProfile): PreflightTarget {
  const adapter = adapterFor(profile.adapter);
  const ctx = argvContext(profile);
  const probeArgv = adapter.probeArgv(ctx);
  const env = { ...adapter.runEnv(ctx), ...profile.env };
  if (probeArgv) return { binary: probeArgv[0]!, probeArgv, env };
  return { binary: profile.command?.[0] ?? process.execPath, probeArgv: null, env };
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

/** The line of a CLI's stderr that says what was wrong: the first `error…` line, else the start. */
export function cliErrorText(stderr: string): string {
  const lines = stderr.split('\n').map((l) => l.trim());
  const line = lines.find((l) => /^error\b/i.test(l)) ?? lines.filter(Boolean).join(' ');
  return line.length > 300 ? `${line.slice(0, 300)}…` : line;
}

/**
 * Runs a probe argv and reads the answer: exit 0 within the timeout → ok; otherwise not ok with
 * the CLI's own error text (e.g. codex 0.171 on `--full-auto`: "error: unexpected argument
 * '--full-auto' found", exit 2). Never throws.
 */
export async function probeArgv(
  argv: readonly string[],
  options: { env: Readonly<Record<string, string>>; timeoutMs: number },
): Promise<PreflightResult> {
  const r = await runChildProcess({
    argv,
    cwd: process.cwd(),
    env: options.env,
    output: { kind: 'capture', maxBytes: 1 << 20 },
    timeoutMs: options.timeoutMs,
    killGraceMs: 0,
  });
  if (r.exitCode === 0 && r.killReason === null) return { ok: true };
  const why = r.spawnError
    ? r.spawnError.message
    : r.killReason === 'timeout'
      ? `timed out after ${options.timeoutMs} ms`
      : r.signal
        ? `killed by ${r.signal}`
        : `exit ${String(r.exitCode)}`;
  const text = cliErrorText(r.stderr);
  return {
    ok: false,
    reason: `agent CLI rejected "${argv.join(' ')}" (${why})${text ? `: ${text}` : ''}`,
  };
}

/**
 * The token-free check before claiming work for an agent kind (spec §1 row 9): the binary exists
 * and accepts the argv Orch will run it with (the probe: our flags plus `--help`). Results are
 * cached per target for `ttlMs`, so a missing or mismatched CLI costs one probe per TTL, and jobs
 * stay queued instead of failing one by one.
 */
export class Preflight {
  readonly #opts: PreflightOptions;
  readonly #cache = new Map<string, { atMs: number; result: PreflightResult }>();

  constructor(options: PreflightOptions) {
    this.#opts = options;
  }

  async check(target: PreflightTarget): Promise<PreflightResult> {
    const key = JSON.stringify(target);
    const nowMs = this.#opts.clock.now();
    const hit = this.#cache.get(key);
    if (hit && nowMs - hit.atMs < this.#opts.ttlMs) return hit.result;
    const result = await this.#probe(target);
    this.#cache.set(key, { atMs: nowMs, result });
    return result;
  }

  async #probe(target: PreflightTarget): Promise<PreflightResult> {
    if (resolveBinary(target.binary, this.#opts.env.PATH) === null) {
      return { ok: false, reason: `agent binary "${target.binary}" not found or not executable` };
    }
    if (!target.probeArgv) return { ok: true };
    return probeArgv(target.probeArgv, {
      env: { ...this.#opts.env, ...target.env },
      timeoutMs: this.#opts.timeoutMs ?? 15_000,
    });
  }

  clear(): void {
    this.#cache.clear();
  }
}
