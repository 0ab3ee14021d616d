import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { WorktreeManager } from '../../src/agents/worktrees.js';
import { ManualClock } from '../../src/clock.js';
import { silentLogger, type Logger } from '../../src/log.js';
import { gitWorkflowReader, WorkflowRegistry } from '../../src/pipeline/workflow-registry.js';

const GOOD = '---\ntestCommand: [make, check]\n---\n## developer\nBuild {{work_item.id}}.\n';

/** A bare "forge" repository with a main branch, and a working clone that pushes to it. */
function forgeRepo() {
  const root = mkdtempSync(join(tmpdir(), 'orch-wf-'));
  const bare = join(root, 'app.git');
  const work = join(root, 'work');
  const g = (cwd: string, ...args: string[]) =>
    execFileSync('git', args, { cwd, encoding: 'utf8', stdio: 'pipe' }).trim();
  g(root, 'init', '--quiet', '--bare', '--initial-branch', 'main', bare);
  g(root, 'clone', '--quiet', bare, work);
  g(work, 'checkout', '--quiet', '-b', 'main');
  writeFileSync(join(work, 'README.md'), '# app\n');
  g(work, 'add', '-A');
  g(work, '-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '--quiet', '-m', 'seed');
  g(work, 'push', '--quiet', 'origin', 'main');
  const commit = (branch: string, files: Record<string, string | null>) => {
    g(work, 'checkout', '--quiet', branch);
    for (const [path, text] of Object.entries(files)) {
      if (text === null) rmSync(join(work, path));
      else {
        mkdirSync(join(work, path, '..'), { recursive: true });
        writeFileSync(join(work, path), text);
      }
    }
    g(work, 'add', '-A');
    g(work, '-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '--quiet', '-m', 'edit');
    g(work, 'push', '--quiet', 'origin', branch);
    return g(work, 'rev-parse', 'HEAD');
  };
  g(work, 'branch', 'feature/ET-1-x');
  const clock = new ManualClock();
  const worktrees = new WorktreeManager({
    reposDir: join(root, 'repos'),
    worktreesDir: join(root, 'wt'),
  });
  /** A registry with nothing in memory, as `orch serve` has after a restart. */
  const restart = (log: Logger = silentLogger) =>
    new WorkflowRegistry({
      sources: () => [{ key: 'ET', cloneUrl: bare, baseBranch: 'main' }],
      read: gitWorkflowReader(worktrees),
      clock,
      log,
      intervalMs: 60_000,
      profiles: () => ['developer', 'reviewer', 'dev-alt'],
    });
  return { commit, registry: restart(), restart, clock };
}

const BAD = GOOD.replace('{{work_item.id}}', '{{work_item.owner}}');

/** A logger that keeps its lines, to read what a pass said. */
function recordingLogger() {
  type Line = { msg: string; keptSha?: string | null };
  const lines: Line[] = [];
  const log = pino(
    { level: 'info' },
    { write: (line: string) => lines.push(JSON.parse(line) as Line) },
  );
  return { log, lines };
}

describe('workflow registry on a real repository', () => {
  it('has no workflow while the base branch has no file, and that is not an error', async () => {
    const { registry } = forgeRepo();
    await registry.runOnce();
    expect(registry.current('ET')).toBeUndefined();
    expect(registry.status().ET).toMatchObject({ state: 'none', sha: null, error: null });
  });

  it('reads the base branch only: a task-branch edit is ignored, a base-branch commit is picked up at the next refresh', async () => {
    const { commit, registry } = forgeRepo();
    const first = commit('main', { '.orch/workflow.md': GOOD });
    await registry.runOnce();
    expect(registry.current('ET')?.templates.developer).toBe('Build {{work_item.id}}.');
    expect(registry.status().ET).toMatchObject({ state: 'ok', sha: first, error: null });

    commit('feature/ET-1-x', {
      '.orch/workflow.md': GOOD.replace('Build', 'Branch edit:'),
    });
    await registry.runOnce();
    expect(registry.current('ET')?.templates.developer).toBe('Build {{work_item.id}}.');

    const second = commit('main', { '.orch/workflow.md': GOOD.replace('Build', 'Ship') });
    expect(registry.current('ET')?.templates.developer).toBe('Build {{work_item.id}}.');
    await registry.runOnce();
    expect(registry.current('ET')?.templates.developer).toBe('Ship {{work_item.id}}.');
    expect(registry.status().ET?.sha).toBe(second);
  });

  it('keeps the last valid version on a bad edit and exposes the error until it is fixed', async () => {
    const { commit, registry, clock } = forgeRepo();
    const good = commit('main', { '.orch/workflow.md': GOOD });
    await registry.runOnce();
    clock.advance(5000);
    const bad = commit('main', {
      '.orch/workflow.md': GOOD.replace('{{work_item.id}}', '{{work_item.owner}}'),
    });
    await registry.runOnce();
    expect(registry.current('ET')).toMatchObject({
      testCommand: ['make', 'check'],
      templates: { developer: 'Build {{work_item.id}}.' },
    });
    const status = registry.status().ET!;
    expect(status).toMatchObject({ state: 'invalid', sha: good });
    expect(status.error).toMatchObject({ sha: bad, atMs: clock.now() });
    expect(status.error?.message).toContain('unknown variable "{{work_item.owner}}"');
    expect(registry.block().projects.ET).toMatchObject({
      state: 'invalid',
      sha: good,
      error: { sha: bad, at_ms: clock.now() },
    });

    const fixed = commit('main', { '.orch/workflow.md': GOOD.replace('Build', 'Fixed') });
    await registry.runOnce();
    expect(registry.status().ET).toMatchObject({ state: 'ok', sha: fixed, error: null });
    expect(registry.current('ET')?.templates.developer).toBe('Fixed {{work_item.id}}.');

    commit('main', { '.orch/workflow.md': null });
    await registry.runOnce();
    expect(registry.current('ET')).toBeUndefined();
    expect(registry.status().ET).toMatchObject({ state: 'none', error: null });
  });

  it('keeps the last valid version when an edit names an agent profile that is not configured', async () => {
    const { commit, registry } = forgeRepo();
    commit('main', { '.orch/workflow.md': `---\nagents:\n  developer: dev-alt\n---\n` });
    await registry.runOnce();
    expect(registry.current('ET')?.agents).toEqual({ developer: 'dev-alt' });
    const bad = commit('main', {
      '.orch/workflow.md': `---\nagents:\n  developer: dev-typo\n---\n`,
    });
    await registry.runOnce();
    expect(registry.current('ET')?.agents).toEqual({ developer: 'dev-alt' });
    expect(registry.status().ET).toMatchObject({
      state: 'invalid',
      error: {
        sha: bad,
        message:
          'front matter: agents.developer: unknown agent profile "dev-typo" (configured: developer, reviewer, dev-alt)',
      },
    });
  });

  it('records an unreadable repository as an error and keeps what it had', async () => {
    const clock = new ManualClock();
    const registry = new WorkflowRegistry({
      sources: () => [{ key: 'ET', cloneUrl: '/nonexistent/repo.git', baseBranch: 'main' }],
      read: gitWorkflowReader(
        new WorktreeManager({
          reposDir: mkdtempSync(join(tmpdir(), 'orch-wf-repos-')),
          worktreesDir: mkdtempSync(join(tmpdir(), 'orch-wf-wt-')),
        }),
      ),
      clock,
      log: silentLogger,
      intervalMs: 60_000,
    });
    await registry.runOnce();
    expect(registry.current('ET')).toBeUndefined();
    expect(registry.status().ET).toMatchObject({ state: 'none', error: { sha: null } });
    registry.start();
    await registry.stop();
  });

  it("after a restart on a bad edit, uses the newest valid version of the history and reports the head's error", async () => {
    const { commit, registry, restart } = forgeRepo();
    commit('main', { '.orch/workflow.md': GOOD });
    commit('main', { '.orch/workflow.md': BAD.replace('Build', 'Older bad') });
    const good = commit('main', { '.orch/workflow.md': GOOD.replace('Build', 'Ship') });
    await registry.runOnce();
    expect(registry.status().ET).toMatchObject({ state: 'ok', sha: good });
    commit('main', { '.orch/workflow.md': BAD });
    const head = commit('main', { 'README.md': '# app, again\n' });

    const { log, lines } = recordingLogger();
    const restarted = restart(log);
    await restarted.runOnce();
    expect(restarted.current('ET')).toMatchObject({
      testCommand: ['make', 'check'],
      templates: { developer: 'Ship {{work_item.id}}.' },
    });
    const status = restarted.status().ET!;
    expect(status).toMatchObject({ state: 'invalid', sha: good });
    expect(status.error).toMatchObject({ sha: head });
    expect(status.error?.message).toContain('unknown variable "{{work_item.owner}}"');
    expect(restarted.block().projects.ET).toMatchObject({
      state: 'invalid',
      sha: good,
      error: { sha: head },
    });
    expect(lines).toContainEqual(
      expect.objectContaining({
        msg: 'workflow file invalid: keeping the last valid version',
        keptSha: good,
      }),
    );

    const fixed = commit('main', { '.orch/workflow.md': GOOD.replace('Build', 'Fixed') });
    await restarted.runOnce();
    expect(restarted.status().ET).toMatchObject({ state: 'ok', sha: fixed, error: null });
    expect(restarted.current('ET')?.templates.developer).toBe('Fixed {{work_item.id}}.');
  });

  it('after a restart on a bad edit, has no workflow when the file was deleted since its last valid version', async () => {
    const { commit, restart } = forgeRepo();
    commit('main', { '.orch/workflow.md': GOOD });
    commit('main', { '.orch/workflow.md': null });
    const bad = commit('main', { '.orch/workflow.md': BAD });

    const { log, lines } = recordingLogger();
    const restarted = restart(log);
    await restarted.runOnce();
    expect(restarted.current('ET')).toBeUndefined();
    expect(restarted.status().ET).toMatchObject({
      state: 'invalid',
      sha: null,
      error: { sha: bad },
    });
    expect(lines).toContainEqual(
      expect.objectContaining({
        msg: 'workflow file invalid: no valid version to keep',
        keptSha: null,
      }),
    );
  });

  it('after a restart, has no workflow and reports the error when no version of the file was ever valid', async () => {
    const { commit, restart } = forgeRepo();
    commit('main', { '.orch/workflow.md': BAD });
    const bad = commit('main', { '.orch/workflow.md': BAD.replace('Build', 'Still bad') });

    const restarted = restart();
    await restarted.runOnce();
    expect(restarted.current('ET')).toBeUndefined();
    const status = restarted.status().ET!;
    expect(status).toMatchObject({ state: 'invalid', sha: null, loadedAtMs: null });
    expect(status.error).toMatchObject({ sha: bad });
    expect(status.error?.message).toContain('unknown variable "{{work_item.owner}}"');
  });
});
