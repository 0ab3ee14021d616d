import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { checkWorkflowFiles } from '../../src/cli/doctor-checks.js';
import { parseProjects } from '../../src/config/projects.js';

/** A local-forge bare repository `<dataDir>/forge/<repo>.git` whose main has `files`. */
function bareRepo(dataDir: string, repo: string, files: Record<string, string>): string {
  const work = mkdtempSync(join(tmpdir(), 'orch-doc-wf-'));
  const g = (cwd: string, ...a: string[]) =>
    execFileSync('git', a, { cwd, encoding: 'utf8', stdio: 'pipe' }).trim();
  g(work, 'init', '--quiet', '--initial-branch', 'main');
  for (const [path, text] of Object.entries({ 'README.md': '# r\n', ...files })) {
    mkdirSync(join(work, path, '..'), { recursive: true });
    writeFileSync(join(work, path), text);
  }
  g(work, 'add', '-f', '-A');
  g(work, '-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '--quiet', '-m', 'seed');
  mkdirSync(join(dataDir, 'forge'), { recursive: true });
  g(dataDir, 'clone', '--quiet', '--bare', work, join(dataDir, 'forge', `${repo}.git`));
  return g(work, 'rev-parse', 'HEAD');
}

it("orch doctor reports each project's workflow file: none, ok at a commit, invalid with the error", async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'orch-doc-data-'));
  bareRepo(dataDir, 'plain', {});
  const good = bareRepo(dataDir, 'good', { '.orch/workflow.md': '## developer\nGo.\n' });
  const bad = bareRepo(dataDir, 'bad', {
    '.orch/workflow.md': '---\nagents:\n  developer: dev-typo\n---\n',
  });
  const projects = parseProjects(
    ['plain', 'good', 'bad', 'gone'].map((repo) => ({ key: repo.toUpperCase(), repo })),
  ).projects;
  const checks = await checkWorkflowFiles(projects, {
    dataDir,
    reposDir: join(dataDir, 'repos'),
    profiles: ['developer', 'dev-alt'],
  });
  expect(checks).toEqual([
    { name: 'workflow file', status: 'ok', detail: 'PLAIN: none (built-in prompts)' },
    { name: 'workflow file', status: 'ok', detail: `GOOD: ok at ${good.slice(0, 12)}` },
    {
      name: 'workflow file',
      status: 'fail',
      detail: `BAD: invalid at ${bad.slice(0, 12)}: front matter: agents.developer: unknown agent profile "dev-typo" (configured: developer, dev-alt)`,
    },
    {
      name: 'workflow file',
      status: 'skip',
      detail: `GONE: no repository at ${join(dataDir, 'forge', 'gone.git')} yet`,
    },
  ]);
});

it('reads a GitHub project (forge repo `owner/name`) from the clone Orch made of it', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'orch-doc-gh-'));
  const sha = bareRepo(dataDir, 'trails', { '.orch/workflow.md': '## developer\nGo.\n' });
  const reposDir = join(dataDir, 'repos');
  mkdirSync(reposDir, { recursive: true });
  // Orch's clone of https://github.com/acme/trails.git is <reposDir>/trails
  execFileSync('git', ['clone', '--quiet', '--no-checkout', join(dataDir, 'forge', 'trails.git')], {
    cwd: reposDir,
    stdio: 'pipe',
  });
  const projects = parseProjects([
    { key: 'TR', repo: 'trails', forge: { kind: 'github', repo: 'acme/trails' } },
    { key: 'NO', repo: 'other', forge: { kind: 'github', repo: 'acme/other' } },
  ]).projects;
  expect(await checkWorkflowFiles(projects, { dataDir, reposDir })).toEqual([
    { name: 'workflow file', status: 'ok', detail: `TR: ok at ${sha.slice(0, 12)}` },
    {
      name: 'workflow file',
      status: 'skip',
      detail: `NO: no repository at ${join(reposDir, 'other')} yet`,
    },
  ]);
});
