import { describe, expect, inject, it } from 'vitest';
import { isOrchError } from '../../errors.js';
import type { AdapterContext } from '../runner.js';
import { adapterFor } from './adapter-for.js';
import { orchCliArgv, useSimAgentBundle } from './scripted.js';

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
  cliMaxRetries: 1,
  provider: undefined,
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

  it('claude-code: passes the budget perRunUsd as --max-budget-usd, and nothing without one', () => {
    const argv = adapterFor('claude-code').buildArgv({ ...ctx, maxBudgetUsd: 0.5 });
    expect(argv.slice(-2)).toEqual(['--max-budget-usd', '0.5']);
    expect(adapterFor('claude-code').buildArgv(ctx)).not.toContain('--max-budget-usd');
  });

  it('codex and command ignore perRunUsd (no per-run cap in their CLIs)', () => {
    const budget = { ...ctx, maxBudgetUsd: 0.5, command: ['run-agent', '{taskFile}'] };
    for (const name of ['codex', 'command'] as const)
      expect(adapterFor(name).buildArgv(budget).join(' ')).not.toMatch(/budget|0\.5/);
  });

  it('claude-code: caps the CLI retries with CLAUDE_CODE_MAX_RETRIES from the profile', () => {
    expect(adapterFor('claude-code').runEnv({ ...ctx, cliMaxRetries: 0 })).toEqual({
      CLAUDE_CODE_MAX_RETRIES: '0',
    });
  });

  it('claude-code: preflight probes the run flags with --help instead of running a prompt', () => {
    const probe = adapterFor('claude-code').probeArgv(ctx)!;
    expect(probe.at(-1)).toBe('--help');
    expect(probe).toEqual(expect.arrayContaining(['--permission-mode', 'dontAsk', '--verbose']));
    expect(probe).not.toContain('Do it');
  });

  it('codex: exec --json with the workspace-write sandbox in the worktree, prompt last', () => {
    const argv = adapterFor('codex').buildArgv({ ...ctx, permissionMode: 'acceptEdits' });
    expect(argv.slice(0, 5)).toEqual(['codex', 'exec', '--json', '--sandbox', 'workspace-write']);
    expect(argv).toEqual(expect.arrayContaining(['-C', ctx.worktree, '-m', 'sonnet']));
    expect(argv).not.toContain('--full-auto');
    expect(argv).not.toContain('--dangerously-bypass-approvals-and-sandbox');
    expect(argv.at(-1)).toBe('Do it');
  });

  it('codex: bypasses the sandbox only when the profile asks for bypassPermissions', () => {
    const argv = adapterFor('codex').buildArgv({ ...ctx, permissionMode: 'bypassPermissions' });
    expect(argv).toContain('--dangerously-bypass-approvals-and-sandbox');
    expect(argv).not.toContain('--sandbox');
    expect(adapterFor('codex').buildArgv({ ...ctx, permissionMode: 'plan' })).toEqual(
      expect.arrayContaining(['--sandbox', 'read-only']),
    );
  });

  it('codex: selects the profile provider and sets its retry budgets', () => {
    const argv = adapterFor('codex').buildArgv({ ...ctx, provider: 'stub', cliMaxRetries: 0 });
    expect(argv).toEqual(
      expect.arrayContaining([
        '-c',
        'model_provider="stub"',
        '-c',
        'model_providers.stub.request_max_retries=0',
        '-c',
        'model_providers.stub.stream_max_retries=0',
      ]),
    );
    expect(adapterFor('codex').buildArgv(ctx)).not.toContain('-c');
  });

  it('codex: preflight probes the run flags with --help, no prompt', () => {
    const probe = adapterFor('codex').probeArgv(ctx)!;
    expect(probe.slice(0, 3)).toEqual(['codex', 'exec', '--json']);
    expect(probe.at(-1)).toBe('--help');
    expect(probe).not.toContain('Do it');
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

  it('scripted: the entry point is a bundle once one is set, else the file beside the adapter', () => {
    try {
      useSimAgentBundle(null);
      expect(orchCliArgv().at(-1)).toMatch(/sim-agent[/\\]main\.(ts|js)$/);
      useSimAgentBundle('/opt/orch/sim-agent.mjs');
      expect(orchCliArgv()).toEqual([process.execPath, '/opt/orch/sim-agent.mjs']);
    } finally {
      useSimAgentBundle(inject('simAgentBundle'));
    }
  });
});
