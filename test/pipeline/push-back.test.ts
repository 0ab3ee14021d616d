import { execFileSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/log.js';
import {
  isLocalPath,
  pushBackMerging,
  pushBaseBranch,
  pushRefusal,
} from '../../src/pipeline/push-back.js';

const g = (cwd: string, ...args: string[]) =>
  execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', ...args], {
    cwd,
    encoding: 'utf8',
    stdio: 'pipe',
  }).trim();

/** The user's repository (main checked out, one commit) and the forge seeded from it. */
function setup() {
  const root = mkdtempSync(join(tmpdir(), 'orch-pushback-'));
  const user = join(root, 'user');
  const forge = join(root, 'forge', 'user.git');
  execFileSync('git', ['init', '--quiet', '--initial-branch', 'main', user]);
  writeFileSync(join(user, 'README.md'), '# app\n');
  g(user, 'add', '-A');
  g(user, 'commit', '--quiet', '-m', 'seed');
  execFileSync('git', ['clone', '--quiet', '--bare', user, forge]);
  return { root, user, forge };
}

/** A merge in the forge: a commit on its main, as the merge gate pushes it. */
function mergeInForge(root: string, forge: string, file: string): string {
  const scratch = mkdtempSync(join(root, 'scratch-'));
  g(scratch, 'clone', '--quiet', forge, '.');
  writeFileSync(join(scratch, file), `${file}\n`);
  g(scratch, 'add', '-A');
  g(scratch, 'commit', '--quiet', '-m', `add ${file}`);
  g(scratch, 'push', '--quiet', 'origin', 'HEAD:main');
  return g(scratch, 'rev-parse', 'HEAD');
}

describe('pushing the merged base branch back to the user repository', () => {
  const roots: string[] = [];
  afterEach(() => {
    for (const r of roots.splice(0)) rmSync(r, { recursive: true, force: true });
  });

  it('updates a checked-out, clean base branch and its working tree', async () => {
    const { root, user, forge } = setup();
    roots.push(root);
    const sha = mergeInForge(root, forge, 'feature.txt');
    const r = await pushBaseBranch({ forgeRepo: forge, to: user, baseBranch: 'main' });
    expect(r).toEqual({ kind: 'pushed', sha });
    expect(g(user, 'rev-parse', 'main')).toBe(sha);
    expect(readFileSync(join(user, 'feature.txt'), 'utf8')).toBe('feature.txt\n');
    expect(g(user, 'status', '--porcelain')).toBe('');
  });

  it('refuses a checked-out base branch with uncommitted changes and names the pull to run', async () => {
    const { root, user, forge } = setup();
    roots.push(root);
    const before = g(user, 'rev-parse', 'main');
    mergeInForge(root, forge, 'feature.txt');
    writeFileSync(join(user, 'README.md'), '# app, edited\n');
    const r = await pushBaseBranch({ forgeRepo: forge, to: user, baseBranch: 'main' });
    expect(r).toMatchObject({
      kind: 'refused',
      why: 'checked_out',
      hint: `git -C ${user} pull --no-rebase ${forge} main && git -C ${user} push ${forge} main`,
    });
    expect(g(user, 'rev-parse', 'main')).toBe(before);
    expect(readFileSync(join(user, 'README.md'), 'utf8')).toBe('# app, edited\n');
    expect(existsSync(join(user, 'feature.txt'))).toBe(false);
  });

  it('refuses a base branch that moved on in the user repository (never a force push)', async () => {
    const { root, user, forge } = setup();
    roots.push(root);
    mergeInForge(root, forge, 'feature.txt');
    writeFileSync(join(user, 'local.txt'), 'mine\n');
    g(user, 'add', '-A');
    g(user, 'commit', '--quiet', '-m', 'local work');
    const mine = g(user, 'rev-parse', 'main');
    const r = await pushBaseBranch({ forgeRepo: forge, to: user, baseBranch: 'main' });
    expect(r).toMatchObject({ kind: 'refused', why: 'diverged' });
    expect(g(user, 'rev-parse', 'main')).toBe(mine);
  });

  it('updates the base branch when another branch is checked out', async () => {
    const { root, user, forge } = setup();
    roots.push(root);
    g(user, 'checkout', '--quiet', '-b', 'work');
    writeFileSync(join(user, 'wip.txt'), 'dirty\n');
    const sha = mergeInForge(root, forge, 'feature.txt');
    const r = await pushBaseBranch({ forgeRepo: forge, to: user, baseBranch: 'main' });
    expect(r).toEqual({ kind: 'pushed', sha });
    expect(g(user, 'rev-parse', 'main')).toBe(sha);
    expect(g(user, 'rev-parse', '--abbrev-ref', 'HEAD')).toBe('work');
  });
});

/** A commit on the user's checked-out main. */
function commitInUser(user: string, file: string, text = `${file}\n`): string {
  writeFileSync(join(user, file), text);
  g(user, 'add', '-A');
  g(user, 'commit', '--quiet', '-m', `user ${file}`);
  return g(user, 'rev-parse', 'HEAD');
}

describe('push-back when the user repository and the forge both moved', () => {
  const roots: string[] = [];
  afterEach(() => {
    for (const r of roots.splice(0)) rmSync(r, { recursive: true, force: true });
  });
  /** Orch's temporary merge clones go to TMPDIR, here a directory of the test's own. */
  const savedTmp = process.env.TMPDIR;
  afterEach(() => {
    if (savedTmp === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = savedTmp;
  });
  const ownTmp = (root: string) => {
    const dir = join(root, 'tmp');
    mkdirSync(dir);
    process.env.TMPDIR = dir;
    return () => readdirSync(dir).length;
  };

  it('takes in a user commit by fast-forward when the forge did not move', async () => {
    const { root, user, forge } = setup();
    roots.push(root);
    const mine = commitInUser(user, 'local.txt');
    const r = await pushBackMerging(
      { forgeRepo: forge, to: user, baseBranch: 'main' },
      silentLogger,
    );
    expect(r).toEqual({ kind: 'pushed', sha: mine });
    expect(g(forge, 'rev-parse', 'main')).toBe(mine);
  });

  it('merges both changes; the user repository and the forge end equal', async () => {
    const { root, user, forge } = setup();
    roots.push(root);
    const temps = ownTmp(root);
    const merged = mergeInForge(root, forge, 'feature.txt');
    const mine = commitInUser(user, 'local.txt');
    const r = await pushBackMerging(
      { forgeRepo: forge, to: user, baseBranch: 'main' },
      silentLogger,
    );
    expect(r.kind).toBe('pushed');
    const head = g(user, 'rev-parse', 'main');
    expect(g(forge, 'rev-parse', 'main')).toBe(head);
    expect(g(user, 'rev-parse', `${head}^1`)).toBe(merged);
    expect(g(user, 'rev-parse', `${head}^2`)).toBe(mine);
    expect(readFileSync(join(user, 'feature.txt'), 'utf8')).toBe('feature.txt\n');
    expect(readFileSync(join(user, 'local.txt'), 'utf8')).toBe('local.txt\n');
    expect(g(user, 'status', '--porcelain')).toBe('');
    expect(temps()).toBe(0);
  });

  it('reports a conflict with the file and the commands, leaving both repositories as they were', async () => {
    const { root, user, forge } = setup();
    roots.push(root);
    const temps = ownTmp(root);
    const theirs = mergeInForge(root, forge, 'README.md');
    const mine = commitInUser(user, 'README.md', '# mine\n');
    const r = await pushBackMerging(
      { forgeRepo: forge, to: user, baseBranch: 'main' },
      silentLogger,
    );
    expect(r).toMatchObject({ kind: 'refused', why: 'conflict', files: ['README.md'] });
    if (r.kind !== 'refused') throw new Error('expected a refusal');
    expect(r.hint).toContain(`git -C ${user} pull --no-rebase ${forge} main`);
    expect(r.hint).toContain(`git -C ${user} push ${forge} main`);
    expect(g(forge, 'rev-parse', 'main')).toBe(theirs);
    expect(g(user, 'rev-parse', 'main')).toBe(mine);
    expect(g(user, 'status', '--porcelain')).toBe('');
    expect(temps()).toBe(0);
  });
});

describe('isLocalPath and pushRefusal', () => {
  it('tells paths from URLs', () => {
    expect(isLocalPath('/srv/app')).toBe(true);
    expect(isLocalPath('../app')).toBe(true);
    expect(isLocalPath('app')).toBe(true);
    expect(isLocalPath('https://git.example/app.git')).toBe(false);
    expect(isLocalPath('ssh://git@host/app.git')).toBe(false);
    expect(isLocalPath('git@github.com:acme/app.git')).toBe(false);
  });

  it('classifies git refusals; a URL target gets the push to run by hand', () => {
    const o = { forgeRepo: '/d/forge/app.git', to: '/srv/app', baseBranch: 'main' };
    expect(pushRefusal('refusing to update checked out branch: refs/heads/main', o).why).toBe(
      'checked_out',
    );
    expect(pushRefusal(' ! [rejected] main -> main (non-fast-forward)', o).why).toBe('diverged');
    expect(pushRefusal('fatal: could not read from remote', o).why).toBe('failed');
    const url = { ...o, to: 'https://git.example/app.git' };
    expect(pushRefusal('fatal: Authentication failed', url).hint).toBe(
      'git -C /d/forge/app.git push https://git.example/app.git main:main',
    );
  });
});
