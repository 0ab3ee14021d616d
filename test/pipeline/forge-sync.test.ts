import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { syncForgeBase } from '../../src/pipeline/forge-sync.js';

const g = (cwd: string, ...args: string[]) =>
  execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', ...args], {
    cwd,
    encoding: 'utf8',
    stdio: 'pipe',
  }).trim();

/** The user's repository (main checked out, one commit) and the forge seeded from it. */
function setup() {
  const root = mkdtempSync(join(tmpdir(), 'orch-forgesync-'));
  const user = join(root, 'user');
  const forge = join(root, 'forge', 'user.git');
  execFileSync('git', ['init', '--quiet', '--initial-branch', 'main', user]);
  commit(user, 'README.md', '# app\n');
  execFileSync('git', ['clone', '--quiet', '--bare', user, forge]);
  return { root, user, forge };
}

function commit(cwd: string, file: string, text: string): string {
  writeFileSync(join(cwd, file), text);
  g(cwd, 'add', '-A');
  g(cwd, 'commit', '--quiet', '-m', `add ${file}`);
  return g(cwd, 'rev-parse', 'HEAD');
}

describe('the forge base branch following the user repository', () => {
  const roots: string[] = [];
  afterEach(() => {
    for (const r of roots.splice(0)) rmSync(r, { recursive: true, force: true });
  });

  it('fast-forwards the forge to a commit the user made on main', async () => {
    const { root, user, forge } = setup();
    roots.push(root);
    execFileSync('git', ['-C', user, 'checkout', '--quiet', 'main']);
    const sha = commit(user, 'workflow.md', '# flow\n');
    const r = await syncForgeBase({ forgeRepo: forge, from: user, baseBranch: 'main' });
    expect(r).toEqual({ kind: 'synced' });
    expect(g(forge, 'rev-parse', 'main')).toBe(sha);
    expect(g(forge, 'show', 'main:workflow.md')).toBe('# flow');
  });

  it('leaves the forge as it is when both moved (no forced update)', async () => {
    const { root, user, forge } = setup();
    roots.push(root);
    const scratch = join(root, 'scratch');
    g(root, 'clone', '--quiet', forge, scratch);
    const forgeSha = commit(scratch, 'feature.txt', 'f\n');
    g(scratch, 'push', '--quiet', 'origin', 'HEAD:main');
    commit(user, 'local.txt', 'l\n');
    const r = await syncForgeBase({ forgeRepo: forge, from: user, baseBranch: 'main' });
    expect(r.kind).toBe('not_fast_forward');
    expect(g(forge, 'rev-parse', 'main')).toBe(forgeSha);
  });

  it('reports a source that is not a repository as failed, without throwing', async () => {
    const { root, forge } = setup();
    roots.push(root);
    const before = g(forge, 'rev-parse', 'main');
    const r = await syncForgeBase({
      forgeRepo: forge,
      from: join(root, 'nope'),
      baseBranch: 'main',
    });
    expect(r.kind).toBe('failed');
    expect(g(forge, 'rev-parse', 'main')).toBe(before);
  });
});
