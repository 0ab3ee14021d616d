import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfigFile } from '../../src/config/config-file.js';
import { currentVersion, latestVersion } from '../../src/store/migrate.js';
import { openDb } from '../../src/store/open-db.js';
import { orchInProcess as orch } from '../helpers/run-cli.js';
import { describeEachDialect } from '../helpers/test-db.js';

/**
 * Onboarding (issue 18): `orch init` sets up a directory, `orch project add` registers the user's
 * repository and seeds the local forge from it, and `serve` / `doctor` refuse a project whose
 * forge repository is missing. Runs use the defaults (ORCH_DB_URL etc. cleared) in a temp dir.
 */
let dir: string;
const defaults = { ORCH_DB_URL: '', ORCH_CONFIG: '', ORCH_DATA_DIR: '' };
const inDir = (...args: string[]) => orch(args, defaults, dir);
const config = () => join(dir, 'orch.config.yaml');

const git = (cwd: string, ...args: string[]) =>
  execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', ...args], {
    cwd,
    encoding: 'utf8',
    stdio: 'pipe',
  }).trim();

/** The user's own repository: main with two commits, and a feature branch. */
function userRepo(): { path: string; head: string } {
  const path = join(dir, 'my-app');
  mkdirSync(path);
  git(path, 'init', '--quiet', '--initial-branch', 'main');
  writeFileSync(join(path, 'package.json'), '{"scripts":{"test":"node -e 0"}}\n');
  git(path, 'add', '-A');
  git(path, 'commit', '--quiet', '-m', 'first');
  writeFileSync(join(path, 'index.js'), 'export const x = 1;\n');
  git(path, 'add', '-A');
  git(path, 'commit', '--quiet', '-m', 'second');
  git(path, 'branch', 'feature');
  return { path, head: git(path, 'rev-parse', 'HEAD') };
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'orch-onboard-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('orch init', () => {
  it('writes a config the real loader accepts, an .env.example and a migrated store', async () => {
    const r = await inDir('init');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('orch project add');
    expect(r.stdout).toContain('orch serve');
    const file = loadConfigFile(config());
    expect(file.projects).toEqual([]);
    expect(file.agents.defaults.adapter).toBe('claude-code');
    expect(readFileSync(join(dir, '.env.example'), 'utf8')).toContain('# ORCH_DATA_DIR=./.orch');
    const db = openDb(`sqlite:${join(dir, '.orch', 'orch.db')}`);
    try {
      expect(await currentVersion(db)).toBe(latestVersion(db));
    } finally {
      await db.close();
    }
    expect((await inDir('task', 'list', '--json')).code).toBe(0);
  });

  it('fits the env example to Plane and Gitea, and the config still loads', async () => {
    const target = join(dir, 'sub');
    const r = await inDir('init', '--tracker', 'plane', '--forge', 'gitea', '--dir', target);
    expect(r.code, r.stderr).toBe(0);
    expect(loadConfigFile(join(target, 'orch.config.yaml')).projects).toEqual([]);
    const env = readFileSync(join(target, '.env.example'), 'utf8');
    expect(env).toContain('# ORCH_PLANE_URL=');
    expect(env).toContain('# ORCH_GITEA_TOKEN=');
    expect(existsSync(join(target, '.orch', 'orch.db'))).toBe(true);
  });

  it('refuses to overwrite existing files without --force (INIT_FILE_EXISTS, exit 1)', async () => {
    writeFileSync(config(), 'projects: []\n');
    const r = await inDir('init');
    expect([r.code, r.stderr]).toEqual([1, expect.stringContaining('INIT_FILE_EXISTS')]);
    expect(readFileSync(config(), 'utf8')).toBe('projects: []\n');
    expect(existsSync(join(dir, '.env.example'))).toBe(false);
    expect((await inDir('init', '--force')).code).toBe(0);
    expect(readFileSync(config(), 'utf8')).toContain('# Orch configuration');
  });

  it('rejects an unknown tracker as a usage error', async () => {
    expect((await inDir('init', '--tracker', 'jira')).code).toBe(2);
  });
});

describeEachDialect('orch init --db', ({ current }) => {
  it('migrates the named store and writes the files', async () => {
    const r = await inDir('init', '--db', current().url);
    expect(r.code, r.stderr).toBe(0);
    expect(loadConfigFile(config()).projects).toEqual([]);
    const db = openDb(current().url);
    try {
      expect(await currentVersion(db)).toBe(latestVersion(db));
    } finally {
      await db.close();
    }
  });
});

describe('orch project add', () => {
  it('seeds the local forge with every branch of the repository and appends a valid project, keeping comments', async () => {
    const user = userRepo();
    expect((await inDir('init')).code).toBe(0);
    const r = await inDir(
      'project',
      'add',
      'APP',
      '--repo',
      user.path,
      '--test-command',
      'npm test',
      '--approver',
      'alice',
      'bob',
    );
    expect(r.code, r.stderr).toBe(0);
    const bare = join(dir, '.orch', 'forge', 'my-app.git');
    expect(git(bare, 'rev-parse', 'refs/heads/main')).toBe(user.head);
    expect(git(bare, 'rev-parse', 'refs/heads/feature')).toBe(user.head);
    expect(git(bare, 'symbolic-ref', 'HEAD')).toBe('refs/heads/main');
    const text = readFileSync(config(), 'utf8');
    expect(text).toContain('# One entry per repository Orch works on');
    expect(text).toContain('# Which agent CLI runs each pipeline role');
    const [p] = loadConfigFile(config()).projects;
    expect(p).toMatchObject({
      key: 'APP',
      repo: 'my-app',
      tracker: { kind: 'local', approvers: ['alice', 'bob'] },
      forge: { kind: 'local', baseBranch: 'main', pushTo: user.path },
      testCommand: ['npm', 'test'],
    });
    const doctor = await inDir('doctor', '--json');
    const checks = (JSON.parse(doctor.stdout) as { checks: { name: string; status: string }[] })
      .checks;
    expect(checks.find((c) => c.name === 'project repo')?.status).toBe('ok');
  });

  it('makes the caller the approver when --approver is not given (an item must be approvable)', async () => {
    const user = userRepo();
    expect((await inDir('init')).code).toBe(0);
    const r = await inDir('project', 'add', 'APP', '--repo', user.path);
    expect(r.code, r.stderr).toBe(0);
    const me = userInfo().username;
    expect(r.stdout).toContain(`approvers: ${me} (orch task approve <ID> --as ${me})`);
    const [p] = loadConfigFile(config()).projects;
    expect(p?.tracker).toMatchObject({ kind: 'local', approvers: [me] });
  });

  it('refuses a duplicate key (PROJECT_EXISTS) and leaves the file as it was', async () => {
    const user = userRepo();
    expect((await inDir('init')).code).toBe(0);
    expect((await inDir('project', 'add', 'APP', '--repo', user.path)).code).toBe(0);
    const before = readFileSync(config(), 'utf8');
    const r = await inDir('project', 'add', 'app', '--repo', user.path, '--name', 'other');
    expect([r.code, r.stderr]).toEqual([1, expect.stringContaining('PROJECT_EXISTS')]);
    const verbose = await inDir('--verbose', 'project', 'add', 'APP', '--repo', user.path);
    expect(verbose.stderr).toContain(`config: ${config()}\n`);
    expect(readFileSync(config(), 'utf8')).toBe(before);
    expect(existsSync(join(dir, '.orch', 'forge', 'other.git'))).toBe(false);
  });

  it('refuses a repository without the base branch and creates nothing', async () => {
    const user = userRepo();
    expect((await inDir('init')).code).toBe(0);
    const before = readFileSync(config(), 'utf8');
    const r = await inDir('project', 'add', 'APP', '--repo', user.path, '--base-branch', 'trunk');
    expect([r.code, r.stderr]).toEqual([1, expect.stringContaining('FORGE_SEED_FAILED')]);
    expect(readFileSync(config(), 'utf8')).toBe(before);
    expect(existsSync(join(dir, '.orch', 'forge', 'my-app.git'))).toBe(false);
  });
});

describe('start-up check of project repositories', () => {
  const missingProject = [
    'projects:',
    '  - key: APP',
    '    repo: my-app',
    '    forge: { kind: local, pushTo: /srv/my-app }',
    '',
  ].join('\n');

  it('serve refuses to start when a local-forge repository is missing, naming the project', async () => {
    expect((await inDir('init')).code).toBe(0);
    writeFileSync(config(), missingProject);
    const r = await inDir('serve', '--port', '0');
    expect([r.code, r.stderr]).toEqual([1, expect.stringContaining('FORGE_REPO_MISSING')]);
    expect(r.stderr).toContain('project APP');
    expect(r.stderr).toContain(`git clone --bare /srv/my-app ${join(dir, '.orch', 'forge')}`);
  });

  it('doctor reports the missing repository as a failure', async () => {
    expect((await inDir('init')).code).toBe(0);
    writeFileSync(config(), missingProject);
    const r = await inDir('doctor', '--json');
    expect(r.code).toBe(1);
    const checks = (
      JSON.parse(r.stdout) as { checks: { name: string; status: string; detail: string }[] }
    ).checks;
    const line = checks.find((c) => c.name === 'project repo');
    expect(line?.status).toBe('fail');
    expect(line?.detail).toContain('project APP');
  });
});
