import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { orchInProcess as orch } from '../helpers/run-cli.js';

/**
 * Which store and config file a command uses (`--verbose`), and no new SQLite database by
 * accident: outside `serve`, `demo`, `db migrate` (and `init`) a missing file is refused unless
 * `--create` is given. The runs clear ORCH_DB_URL / ORCH_CONFIG so the defaults apply.
 */
let dir: string;
const defaults = { ORCH_DB_URL: '', ORCH_CONFIG: '', ORCH_DATA_DIR: '' };
const inDir = (...args: string[]) => orch(args, defaults, dir);

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'orch-store-cli-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('a command run where there is no Orch database', () => {
  it('refuses with STORE_NOT_FOUND naming the path, exits 1 and creates nothing', async () => {
    for (const args of [['task', 'list'], ['jobs', 'list'], ['token', 'list'], ['doctor']]) {
      const r = await inDir(...args);
      expect([r.code, r.stderr], args.join(' ')).toEqual([
        1,
        expect.stringContaining(
          `STORE_NOT_FOUND: no Orch database at ${join(dir, '.orch', 'orch.db')}; run this in your Orch directory, set ORCH_DB_URL, or pass --create`,
        ),
      ]);
    }
    expect(readdirSync(dir)).toEqual([]);
  });

  it('creates the database with --create (before or after the command)', async () => {
    const r = await inDir('task', 'list', '--create', '--json');
    expect([r.code, r.stdout]).toEqual([0, '[]\n']);
    expect(existsSync(join(dir, '.orch', 'orch.db'))).toBe(true);
    expect((await inDir('task', 'list')).code).toBe(0);
    const other = join(dir, 'other.db');
    expect((await inDir('--create', 'jobs', 'list', '--db', `sqlite:${other}`)).code).toBe(0);
    expect(existsSync(other)).toBe(true);
  });

  it('lets db migrate create it', async () => {
    const r = await inDir('db', 'migrate');
    expect(r.code).toBe(0);
    expect(existsSync(join(dir, '.orch', 'orch.db'))).toBe(true);
  });

  it('does not stop serve or demo (they fail later, on their config file here)', async () => {
    const missing = join(dir, 'absent.yaml');
    for (const cmd of ['serve', 'demo']) {
      const r = await inDir(cmd, '--db', `sqlite:${join(dir, 'x.db')}`, '--config', missing);
      expect([r.code, r.stderr], cmd).toEqual([1, expect.stringContaining('CONFIG_NOT_FOUND')]);
      expect(r.stderr).not.toContain('STORE_NOT_FOUND');
    }
  });
});

describe('--verbose', () => {
  it('prints the store and the config file a command uses, one line each on stderr', async () => {
    expect((await inDir('db', 'migrate')).code).toBe(0);
    const none = await inDir('task', 'list', '--verbose');
    expect(none.code).toBe(0);
    expect(none.stderr).toContain(`store: sqlite:${join(dir, '.orch', 'orch.db')}\n`);
    expect(none.stderr).toContain('config: none (defaults)\n');

    writeFileSync(join(dir, 'orch.config.yaml'), 'projects:\n  - key: VB\n    repo: vb\n');
    const found = await inDir('--verbose', 'task', 'list');
    expect(found.stderr).toContain(`config: ${join(dir, 'orch.config.yaml')}\n`);
    const named = join(dir, 'named.yaml');
    writeFileSync(named, 'agents: {}\n');
    const fromEnv = await orch(
      ['task', 'list', '--verbose'],
      { ...defaults, ORCH_CONFIG: named },
      dir,
    );
    expect(fromEnv.stderr).toContain(`config: ${named}\n`);
    expect((await inDir('task', 'list')).stderr).not.toContain('store:');
  });

  it('masks the database password', async () => {
    const url = 'postgres://orch:s3cret-pw@127.0.0.1:1/orch';
    const r = await inDir('jobs', 'list', '--verbose', '--db', url);
    expect(r.stderr).toContain('store: postgres://orch:***@127.0.0.1:1/orch\n');
    expect(r.stderr).not.toContain('s3cret-pw');
  });
});

describe('unknown ORCH_* variables', () => {
  it('are a warning naming the closest setting, not an error', async () => {
    expect((await inDir('db', 'migrate')).code).toBe(0);
    const r = await orch(['task', 'list'], { ...defaults, ORCH_DB_ULR: 'sqlite:/x.db' }, dir);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(
      'orch: warning: ORCH_DB_ULR is not an Orch setting and is ignored (closest: ORCH_DB_URL)',
    );
  });
});
