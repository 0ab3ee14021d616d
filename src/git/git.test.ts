import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isOrchError } from '../errors.js';
import { git } from './git.js';

const sh = (cwd: string, ...args: string[]) =>
  execFileSync('git', args, { cwd, encoding: 'utf8', stdio: 'pipe' }).trim();

describe('git: a fetch that loses a race for a ref lock', () => {
  let dir: string;
  let origin: string;
  let clone: string;
  let lock: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'orch-git-'));
    origin = join(dir, 'origin');
    clone = join(dir, 'clone');
    execFileSync('git', ['init', '-q', '-b', 'main', origin]);
    const commit = (msg: string) => {
      writeFileSync(join(origin, 'f.txt'), msg);
      sh(origin, 'add', '.');
      sh(origin, '-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-q', '-m', msg);
    };
    commit('one');
    execFileSync('git', ['clone', '-q', origin, clone]);
    commit('two'); // the clone's fetch must move refs/remotes/origin/main
    // Another git process (a worktree's push) holds the ref's lock.
    lock = join(clone, '.git', 'refs', 'remotes', 'origin', 'main.lock');
    writeFileSync(lock, '');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('is tried again and succeeds once the other process lets go', async () => {
    // A `git` first on PATH that answers the first fetch as git does when another process holds
    // the lock, and removes the lock as it does so; every later call is the real git.
    const bin = join(dir, 'bin');
    mkdirSync(bin);
    const real = execFileSync('sh', ['-c', 'command -v git'], { encoding: 'utf8' }).trim();
    const shim = join(bin, 'git');
    writeFileSync(
      shim,
      `#!/bin/sh
if [ "$1" = fetch ] && [ ! -e "${dir}/raced" ]; then
  touch "${dir}/raced"; rm -f "${lock}"
  echo "error: cannot lock ref 'refs/remotes/origin/main': Unable to create '${lock}': File exists." >&2
  exit 1
fi
exec "${real}" "$@"
`,
    );
    chmodSync(shim, 0o755);
    const path = process.env.PATH;
    process.env.PATH = `${bin}:${path ?? ''}`;
    try {
      await git(['fetch', 'origin'], { cwd: clone });
    } finally {
      process.env.PATH = path;
    }
    expect(existsSync(join(dir, 'raced'))).toBe(true);
    expect(sh(clone, 'rev-parse', 'origin/main')).toBe(sh(origin, 'rev-parse', 'main'));
  });

  it('fails as GIT_FAILED naming the lock, not as a permission problem, if the lock stays', async () => {
    const err: unknown = await git(['fetch', 'origin'], { cwd: clone }).catch((e: unknown) => e);
    expect(isOrchError(err, 'GIT_FAILED'), String(err)).toBe(true);
    expect((err as Error).message).toMatch(/cannot lock ref|main\.lock/);
  });
});
