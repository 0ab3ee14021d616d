import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import { childBaseEnv } from '../../src/config/child-env.js';
import { secretMasker } from '../../src/config/secret-masker.js';
import { hooksSchema } from '../../src/config/workspace-hooks-config.js';
import { isOrchError } from '../../src/errors.js';
import { silentLogger } from '../../src/log.js';
import type { Task } from '../../src/pipeline/task.js';
import { WorktreeGc } from '../../src/agents/worktree-gc.js';
import { createWorkspaceHooks } from '../../src/agents/workspace-hooks.js';
import { WorktreeManager } from '../../src/agents/worktrees.js';
import { makeSampleRepo } from './agent-harness.js';

const BRANCH = 'feature/ET-7-done';

describe('worktree hooks and path confinement', () => {
  let dir: string;
  let origin: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'orch-wt-hooks-'));
    origin = makeSampleRepo(dir);
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  function manager(hooks?: unknown) {
    const config = hooks === undefined ? undefined : hooksSchema.parse(hooks);
    return new WorktreeManager({
      reposDir: join(dir, 'repos'),
      worktreesDir: join(dir, 'wt'),
      hooks: createWorkspaceHooks({
        forRepo: (repo) => (repo === origin ? config : undefined),
        env: childBaseEnv({ PATH: process.env.PATH, ORCH_ADMIN_TOKEN: 'super-secret-token' }),
        mask: secretMasker(['super-secret-token']),
        log: silentLogger,
        killGraceMs: 300,
      }),
    });
  }

  function gc(wt: WorktreeManager, task: Partial<Task>) {
    const clock = new ManualClock(Date.UTC(2026, 5, 1));
    return new WorktreeGc({
      worktrees: wt,
      finishedIdle: () =>
        Promise.resolve([{ workItemId: 'ET-7', branch: BRANCH, stage: 'done', ...task } as Task]),
      cloneUrl: () => origin,
      clock,
      log: silentLogger,
      enabled: true,
      retentionMs: 0,
      intervalMs: 60_000,
    });
  }

  it('runs before_remove in the worktree before the GC removes it, with the item and stage', async () => {
    const out = join(dir, 'before_remove.env');
    const wt = manager({ before_remove: `ls > "${dir}/listing"; env > "${out}"` });
    const info = await wt.ensure(origin, BRANCH);
    const pass = await gc(wt, {}).runOnce();
    expect(pass.removed.map((r) => r.workItemId)).toEqual(['ET-7']);
    expect(existsSync(info.path)).toBe(false);
    // It ran while the worktree was still there (its files listed from inside it).
    expect(readFileSync(join(dir, 'listing'), 'utf8')).toContain('README.md');
    const env = readFileSync(out, 'utf8');
    expect(env).toContain('ORCH_HOOK=before_remove');
    expect(env).toContain('ORCH_WORK_ITEM_ID=ET-7');
    expect(env).toContain('ORCH_STAGE=done');
    expect(env).toContain(`ORCH_WORKTREE=${info.path}`);
    expect(env).not.toContain('ORCH_ADMIN_TOKEN');
  });

  it('removes the worktree all the same when before_remove fails', async () => {
    const wt = manager({ beforeRemove: 'exit 1' });
    const info = await wt.ensure(origin, BRANCH);
    const pass = await gc(wt, {}).runOnce();
    expect(pass).toMatchObject({ errors: [] });
    expect(pass.removed).toHaveLength(1);
    expect(existsSync(info.path)).toBe(false);
  });

  it('masks secrets in a failed hook reason', async () => {
    const wt = manager({ afterCreate: 'echo "token is super-secret-token"; exit 2' });
    const err: unknown = await wt.ensure(origin, BRANCH).catch((e: unknown) => e);
    expect(isOrchError(err, 'WORKSPACE_HOOK_FAILED')).toBe(true);
    expect((err as Error).message).toBe(
      'after_create hook failed (exit code 2): token is [masked]',
    );
    expect(existsSync(wt.worktreePath(origin, BRANCH))).toBe(false);
  });

  it('keeps every worktree path two levels inside the worktrees root', () => {
    const wt = manager();
    const root = join(dir, 'wt');
    for (const branch of ['../../x', 'a/../../../etc', '..x', '/abs/path', 'a\\..\\..\\b', '~/x']) {
      const path = wt.worktreePath(origin, branch);
      expect(dirname(dirname(path)), branch).toBe(root);
      expect(relative(root, path).startsWith('..'), branch).toBe(false);
    }
  });

  it('refuses a branch whose path would be the repo directory or the root itself', () => {
    const wt = manager();
    for (const branch of ['..', '.', '']) {
      let err: unknown;
      try {
        wt.worktreePath(origin, branch);
      } catch (e) {
        err = e;
      }
      expect(isOrchError(err, 'WORKTREE_PATH_OUTSIDE_ROOT'), JSON.stringify(branch)).toBe(true);
    }
  });

  it('never lets the GC act on an escaping branch: it reports the coded error and removes nothing', async () => {
    const wt = manager();
    await wt.ensure(origin, BRANCH);
    const pass = await gc(wt, { branch: '..' }).runOnce();
    expect(pass.removed).toEqual([]);
    expect(pass.errors).toEqual([
      { workItemId: 'ET-7', error: expect.stringContaining('no worktree path inside') as string },
    ]);
    expect(existsSync(wt.worktreePath(origin, BRANCH))).toBe(true);
  });
});
