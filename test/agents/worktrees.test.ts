import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isOrchError } from '../../src/errors.js';
import { WorktreeManager } from '../../src/agents/worktrees.js';
import { makeSampleRepo } from './agent-harness.js';

async function expectCode(p: Promise<unknown>, code: string) {
  const err: unknown = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isOrchError(err, code), `expected ${code}, got ${String(err)}`).toBe(true);
  return err;
}

const gitIn = (cwd: string, ...args: string[]) =>
  execFileSync('git', args, { cwd, encoding: 'utf8' }).trim();

describe('worktree manager', () => {
  let dir: string;
  let origin: string;
  let wt: WorktreeManager;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'orch-wt-'));
    origin = makeSampleRepo(dir);
    wt = new WorktreeManager({ reposDir: join(dir, 'repos'), worktreesDir: join(dir, 'wt') });
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('clones a local repo and creates a worktree on a new branch from the default branch', async () => {
    const info = await wt.ensure(origin, 'feature/ET-7-login');
    expect(info).toMatchObject({
      repoName: 'sample-app',
      branch: 'feature/ET-7-login',
      created: true,
    });
    expect(info.path).toBe(join(dir, 'wt', 'sample-app', 'feature__ET-7-login'));
    expect(readFileSync(join(info.path, 'README.md'), 'utf8')).toBe('# sample\n');
    expect(gitIn(info.path, 'rev-parse', '--abbrev-ref', 'HEAD')).toBe('feature/ET-7-login');
    // The origin repo is never used in place.
    expect(gitIn(origin, 'worktree', 'list').split('\n')).toHaveLength(1);
  });

  it('reuses an existing worktree, keeping the agent work in it', async () => {
    const first = await wt.ensure(origin, 'feature/ET-7-login');
    writeFileSync(join(first.path, 'work.txt'), 'wip');
    const again = await wt.ensure(origin, 'feature/ET-7-login');
    expect(again).toMatchObject({ path: first.path, created: false });
    expect(readFileSync(join(again.path, 'work.txt'), 'utf8')).toBe('wip');
  });

  it('checks out a branch that already exists on the origin, after fetching it', async () => {
    await wt.ensureRepo(origin);
    gitIn(origin, 'checkout', '-q', '-b', 'feature/ET-8');
    writeFileSync(join(origin, 'feature.txt'), 'from origin');
    gitIn(origin, 'add', '.');
    gitIn(origin, 'commit', '-q', '-m', 'feature');
    gitIn(origin, 'checkout', '-q', 'main');
    const info = await wt.ensure(origin, 'feature/ET-8');
    expect(readFileSync(join(info.path, 'feature.txt'), 'utf8')).toBe('from origin');
  });

  it("fetches before reusing a worktree, unless asked to fetch only for a new one ('if-new')", async () => {
    const first = await wt.ensure(origin, 'feature/ET-9');
    const originMain = () => gitIn(first.path, 'rev-parse', 'origin/main');
    const before = originMain();
    writeFileSync(join(origin, 'later.txt'), 'pushed after the worktree was made');
    gitIn(origin, 'add', '.');
    gitIn(origin, 'commit', '-q', '-m', 'later');
    const upstream = gitIn(origin, 'rev-parse', 'HEAD');

    const reused = await wt.ensure(origin, 'feature/ET-9', { fetch: 'if-new' });
    expect(reused).toMatchObject({ path: first.path, created: false });
    expect(originMain()).toBe(before);

    await wt.ensure(origin, 'feature/ET-9');
    expect(originMain()).toBe(upstream);

    // A missing worktree is made from a fresh fetch whatever the option says.
    const other = await wt.ensure(origin, 'feature/ET-10', { fetch: 'if-new' });
    expect(other.created).toBe(true);
    expect(readFileSync(join(other.path, 'later.txt'), 'utf8')).toContain('pushed after');
  });

  it("checks a reused worktree's branch even when it skips the fetch", async () => {
    const info = await wt.ensure(origin, 'feature/ET-11');
    gitIn(info.path, 'checkout', '-q', '-b', 'other');
    await expectCode(
      wt.ensure(origin, 'feature/ET-11', { fetch: 'if-new' }),
      'WORKTREE_BRANCH_MISMATCH',
    );
  });

  it('handles concurrent requests for the same repo', async () => {
    const [a, b] = await Promise.all([
      wt.ensure(origin, 'feature/a'),
      wt.ensure(origin, 'feature/b'),
    ]);
    expect(existsSync(join(a.path, 'README.md')) && existsSync(join(b.path, 'README.md'))).toBe(
      true,
    );
  });

  it('keeps .orch/ task files out of git status', async () => {
    const info = await wt.ensure(origin, 'feature/x');
    mkdirSync(join(info.path, '.orch', 'tasks'), { recursive: true });
    writeFileSync(join(info.path, '.orch', 'tasks', 't.md'), 'task');
    expect(gitIn(info.path, 'status', '--porcelain')).toBe('');
  });

  it('removes a clean worktree, refuses a dirty one unless forced', async () => {
    const info = await wt.ensure(origin, 'feature/x');
    writeFileSync(join(info.path, 'dirty.txt'), 'x');
    await expectCode(wt.remove(origin, 'feature/x'), 'WORKTREE_DIRTY');
    expect(await wt.remove(origin, 'feature/x', { force: true })).toBe(true);
    expect(existsSync(info.path)).toBe(false);
    expect(await wt.remove(origin, 'feature/x')).toBe(false);
    expect((await wt.ensure(origin, 'feature/x')).created).toBe(true);
  });

  it('gives actionable coded errors for a missing path, a non-repo and a blocked worktree path', async () => {
    await expectCode(wt.ensure(join(dir, 'nope'), 'feature/x'), 'REPO_NOT_FOUND');
    const plain = join(dir, 'plain');
    mkdirSync(plain);
    const err = await expectCode(wt.ensure(plain, 'feature/x'), 'REPO_NOT_A_GIT_REPO');
    expect((err as { details?: { hint?: string } }).details?.hint).toMatch(/git/);
    mkdirSync(wt.worktreePath(origin, 'feature/blocked'), { recursive: true });
    writeFileSync(join(wt.worktreePath(origin, 'feature/blocked'), 'x'), 'x');
    await expectCode(wt.ensure(origin, 'feature/blocked'), 'WORKTREE_PATH_CONFLICT');
    await expectCode(wt.ensure(origin, 'bad..branch'), 'GIT_FAILED');
    const file = join(dir, 'a-file');
    writeFileSync(file, 'x');
    const w = new WorktreeManager({
      reposDir: join(file, 'repos'),
      worktreesDir: join(dir, 'wt3'),
    });
    await expectCode(w.ensure(origin, 'feature/x'), 'WORKDIR_UNUSABLE');
  });

  it('reports a worktree with another branch checked out', async () => {
    const info = await wt.ensure(origin, 'feature/x');
    gitIn(info.path, 'checkout', '-q', '-b', 'other');
    await expectCode(wt.ensure(origin, 'feature/x'), 'WORKTREE_BRANCH_MISMATCH');
  });

  it.skipIf(process.getuid?.() === 0)(
    'reports an unwritable repos dir as GIT_PERMISSION_DENIED with a hint',
    async () => {
      const locked = join(dir, 'locked');
      mkdirSync(locked);
      chmodSync(locked, 0o500);
      const w = new WorktreeManager({
        reposDir: join(locked, 'repos'),
        worktreesDir: join(dir, 'wt2'),
      });
      const err = await expectCode(w.ensure(origin, 'feature/x'), 'GIT_PERMISSION_DENIED');
      expect((err as { details?: { hint?: string } }).details?.hint).toMatch(/chown/);
      chmodSync(locked, 0o700);
    },
  );
});
