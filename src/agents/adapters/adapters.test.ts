import { describe, expect, it } from 'vitest';
import { isOrchError } from '../../errors.js';
import type { AdapterContext } from '../runner.js';
import { adapterFor } from './adapter-for.js';
import { orchCliArgv } from './scripted.js';

const ctx: AdapterContext = {
  role: 'developer',
  jobId: 7,
  runId: 3,
  worktree: '/wt/app/feature__x',
  taskFile: '/wt/app/feature__x/.orch/tasks/job-7-run-3.md',
  prompt: 'Do it',
  command: undefined,
  model: 'sonnet',
  permissionMode: 'dontAsk',
  allowedTools: ['Read', 'Edit'],
  extraArgs: ['--max-turns', '40'],
};

describe('adapters', () => {
  it('claude-code: headless stream-json with verbose, permissions and model', () => {
    expect(adapterFor('claude-code').buildArgv(ctx)).toEqual([
      'claude',
      '-p',
      'Do it',
      '--output-format',
      'stream-json',
      '--verbose',
      '--permission-mode',
      'dontAsk',
      '--allowedTools',
      'Read,Edit',
      '--model',
      'sonnet',
      '--max-turns',
      '40',
    ]);
    expect(adapterFor('claude-code').versionArgv({ command: ['/opt/claude'] })).toEqual([
      '/opt/claude',
      '--version',
    ]);
  });

  it('codex: exec --json in the worktree, prompt last', () => {
    const argv = adapterFor('codex').buildArgv(ctx);
    expect(argv.slice(0, 3)).toEqual(['codex', 'exec', '--json']);
    expect(argv).toEqual(
      expect.arrayContaining(['--full-auto', '-C', ctx.worktree, '-m', 'sonnet']),
    );
    expect(argv.at(-1)).toBe('Do it');
  });

  it('aider: message file, no auto commits', () => {
    expect(adapterFor('aider').buildArgv(ctx)).toEqual(
      expect.arrayContaining([
        'aider',
        '--message-file',
        ctx.taskFile,
        '--yes-always',
        '--no-auto-commits',
      ]),
    );
    expect(adapterFor('aider').requiresResult).toBe(false);
  });

  it('command: fills placeholders, requires an argv', () => {
    const c = {
      ...ctx,
      command: ['scan', '--dir={worktree}', '{taskFile}', '{role}-{jobId}-{runId}'],
    };
    expect(adapterFor('command').buildArgv(c)).toEqual([
      'scan',
      `--dir=${ctx.worktree}`,
      ctx.taskFile,
      'developer-7-3',
    ]);
    let err: unknown;
    try {
      adapterFor('command').buildArgv(ctx);
    } catch (e) {
      err = e;
    }
    expect(isOrchError(err, 'AGENT_CONFIG_INVALID')).toBe(true);
  });

  it('scripted: runs the sim-agent entry point, or `<command> sim-agent` when configured', () => {
    const configured = adapterFor('scripted').buildArgv({
      ...ctx,
      command: ['orch'],
      extraArgs: [],
    });
    expect(configured.slice(0, 3)).toEqual(['orch', 'sim-agent', '--role']);
    const argv = adapterFor('scripted').buildArgv({ ...ctx, extraArgs: [] });
    expect(orchCliArgv().at(-1)).toMatch(/sim-agent[/\\]main\.(ts|js)$/);
    expect(argv.slice(0, orchCliArgv().length)).toEqual(orchCliArgv());
    expect(argv.slice(orchCliArgv().length)).toEqual([
      '--role',
      'developer',
      '--worktree',
      ctx.worktree,
      '--task-file',
      ctx.taskFile,
    ]);
  });
});
