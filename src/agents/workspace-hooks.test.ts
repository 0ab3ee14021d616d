import { describe, expect, it } from 'vitest';
import { parseProjects } from '../config/projects.js';
import { isOrchError } from '../errors.js';
import { hookEnv, hookFailureReason } from './workspace-hooks.js';

describe('workspace hooks config', () => {
  const project = (hooks: unknown) => [{ key: 'ET', repo: 'app', hooks }];

  it('takes camelCase keys, accepts the snake_case spellings, and defaults the timeout to 60 s', () => {
    const [a] = parseProjects(project({ afterCreate: 'npm ci', before_run: 'make db' })).projects;
    expect(a!.hooks).toEqual({ afterCreate: 'npm ci', beforeRun: 'make db', timeoutS: 60 });
    const [b] = parseProjects(
      project({ after_run: 'x', before_remove: 'y', timeout_s: 5 }),
    ).projects;
    expect(b!.hooks).toEqual({ afterRun: 'x', beforeRemove: 'y', timeoutS: 5 });
    expect(parseProjects([{ key: 'ET', repo: 'app' }]).projects[0]!.hooks).toBeUndefined();
  });

  it('rejects an unknown hook, a key in both spellings, an empty script and a non-positive timeout', () => {
    for (const hooks of [
      { after_merge: 'x' },
      { afterRun: 'x', after_run: 'y' },
      { beforeRun: '  ' },
      { timeoutS: 0 },
    ]) {
      let err: unknown;
      try {
        parseProjects(project(hooks));
      } catch (e) {
        err = e;
      }
      expect(isOrchError(err, 'CONFIG_INVALID'), JSON.stringify(hooks)).toBe(true);
    }
  });
});

describe('hookEnv', () => {
  it('adds the hook, the worktree and only the known run fields to the base', () => {
    expect(
      hookEnv({ PATH: '/bin' }, 'before_remove', { worktree: '/w', workItemId: 'ET-1' }),
    ).toEqual({
      PATH: '/bin',
      ORCH_HOOK: 'before_remove',
      ORCH_WORKTREE: '/w',
      ORCH_WORK_ITEM_ID: 'ET-1',
    });
    const all = { worktree: '/w', workItemId: 'ET-1', stage: 'development', role: 'developer' };
    expect(hookEnv({}, 'before_run', all)).toMatchObject({
      ORCH_STAGE: 'development',
      ORCH_ROLE: 'developer',
    });
  });
});

describe('hookFailureReason', () => {
  const base = { exitCode: 1, timedOut: false, spawnError: null, output: '' };

  it('names the hook and why it failed, with the end of its output', () => {
    expect(hookFailureReason('before_run', { ...base, output: 'line 1\nline 2\n' }, 60)).toBe(
      'before_run hook failed (exit code 1): line 1\nline 2',
    );
    expect(
      hookFailureReason('after_create', { ...base, timedOut: true, exitCode: null }, 0.5),
    ).toBe('after_create hook failed (timed out after 0.5 s)');
    expect(hookFailureReason('after_run', { ...base, spawnError: 'spawn sh ENOENT' }, 60)).toBe(
      'after_run hook failed (could not start: spawn sh ENOENT)',
    );
    const long = hookFailureReason('before_run', { ...base, output: 'x'.repeat(5000) }, 60);
    expect(long.length).toBeLessThan(700);
  });
});
