import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../clock.js';
import { Preflight, preflightTarget, probeArgv, resolveBinary } from './preflight.js';

describe('preflight', () => {
  let dir: string;
  let counter: string;
  let bin: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'orch-pf-'));
    counter = join(dir, 'calls');
    bin = join(dir, 'fake-cli');
    writeFileSync(
      bin,
      `#!/bin/sh\necho x >> ${counter}\n[ -f ${dir}/fail ] && exit 1\necho 1.0.0\n`,
    );
    chmodSync(bin, 0o755);
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const calls = () => {
    try {
      return readFileSync(counter, 'utf8').trim().split('\n').length;
    } catch {
      return 0;
    }
  };

  it('runs --version once per TTL and caches the answer', async () => {
    const clock = new ManualClock();
    const pf = new Preflight({ clock, ttlMs: 45_000, env: { PATH: process.env.PATH ?? '' } });
    expect(await pf.check({ binary: bin, probeArgv: [bin, '--version'], env: {} })).toEqual({
      ok: true,
    });
    writeFileSync(join(dir, 'fail'), '');
    clock.advance(44_999);
    expect(await pf.check({ binary: bin, probeArgv: [bin, '--version'], env: {} })).toEqual({
      ok: true,
    });
    expect(calls()).toBe(1);
    clock.advance(1);
    expect(await pf.check({ binary: bin, probeArgv: [bin, '--version'], env: {} })).toMatchObject({
      ok: false,
    });
    expect(calls()).toBe(2);
  });

  it('fails a missing binary without running anything', async () => {
    const pf = new Preflight({ clock: new ManualClock(), ttlMs: 45_000, env: { PATH: dir } });
    expect(
      await pf.check({
        binary: 'claude-not-installed',
        probeArgv: ['claude-not-installed', '--help'],
        env: {},
      }),
    ).toMatchObject({
      ok: false,
      reason: expect.stringContaining('not found') as string,
    });
    expect(resolveBinary('fake-cli', dir)).toBe(bin);
  });

  it("fails an argv the CLI rejects with the CLI's own error text", async () => {
    writeFileSync(
      bin,
      `#!/bin/sh\necho "WARNING: proceeding" >&2\necho "error: unexpected argument '--full-auto' found" >&2\nexit 2\n`,
    );
    const res = await probeArgv([bin, 'exec', '--full-auto', '--help'], {
      env: { PATH: process.env.PATH ?? '' },
      timeoutMs: 5_000,
    });
    expect(res).toEqual({
      ok: false,
      reason: expect.stringMatching(
        /\(exit 2\): error: unexpected argument '--full-auto' found$/,
      ) as string,
    });
  });

  it('builds the probe from a profile: the run flags plus --help, with the retry env', () => {
    const t = preflightTarget({
      role: 'developer',
      adapter: 'codex',
      command: ['/opt/codex'],
      env: { CODEX_HOME: '/srv/codex' },
      timeoutMs: 1,
      idleTimeoutMs: 1,
      exitGraceMs: 1,
      killGraceMs: 1,
      model: undefined,
      permissionMode: 'acceptEdits',
      allowedTools: [],
      extraArgs: [],
      cliMaxRetries: 0,
      provider: 'gateway',
      sandbox: 'none',
    });
    expect(t.binary).toBe('/opt/codex');
    expect(t.probeArgv).toEqual(
      expect.arrayContaining(['exec', '--json', '--sandbox', 'workspace-write', '--help']),
    );
    expect(t.probeArgv).toContain('model_providers.gateway.stream_max_retries=0');
    expect(t.env).toEqual({ CODEX_HOME: '/srv/codex' });
  });
});
