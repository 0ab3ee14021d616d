import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../clock.js';
import { Preflight, resolveBinary } from './preflight.js';

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
    expect(await pf.check(bin, [bin, '--version'])).toEqual({ ok: true });
    writeFileSync(join(dir, 'fail'), '');
    clock.advance(44_999);
    expect(await pf.check(bin, [bin, '--version'])).toEqual({ ok: true });
    expect(calls()).toBe(1);
    clock.advance(1);
    expect(await pf.check(bin, [bin, '--version'])).toMatchObject({ ok: false });
    expect(calls()).toBe(2);
  });

  it('fails a missing binary without running anything', async () => {
    const pf = new Preflight({ clock: new ManualClock(), ttlMs: 45_000, env: { PATH: dir } });
    expect(
      await pf.check('claude-not-installed', ['claude-not-installed', '--version']),
    ).toMatchObject({
      ok: false,
      reason: expect.stringContaining('not found') as string,
    });
    expect(resolveBinary('fake-cli', dir)).toBe(bin);
  });
});
