import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/log.js';
import { scanSecrets, type SecretScanOptions } from '../../src/gates/security/secret-scan.js';
import { FAKE, git, makeRepo, taskBranch, type TestRepo } from './helpers.js';

const ALLOWLIST = [
  '[extend]',
  'useDefault = true',
  '[allowlist]',
  "paths = ['''(^|/)\\.env\\.example$''', '''(^|/)test/fixtures/''']",
  "regexes = ['''(?i)(changeme|dummy|placeholder|xxxxx+)''']",
  '',
].join('\n');

describe('built-in secret scan on real git repos (target..HEAD)', () => {
  let repo: TestRepo;
  const opts = (): SecretScanOptions => ({
    worktree: repo.dir,
    targetRef: 'main',
    scanner: 'builtin',
    searchPath: '',
    timeoutMs: 20_000,
    log: silentLogger,
  });

  beforeEach(() => {
    repo = makeRepo();
  });
  afterEach(() => repo.dispose());

  it('finds cloud keys, a private key and tokens the task branch adds, masked', async () => {
    taskBranch(repo);
    repo.commit({
      'src/aws.ts': `export const id = '${FAKE.awsAccessKeyId}';\nexport const aws_secret_access_key = '${FAKE.awsSecretKey}';\n`,
      'deploy/id_rsa': `${FAKE.privateKey}\n`,
    });
    repo.commit({ 'src/ci.yml': `token: ${FAKE.githubToken}\nslack: ${FAKE.slackToken}\n` });
    const r = await scanSecrets(opts());
    expect(r).toMatchObject({ status: 'found', scanner: 'builtin', detail: '5 secret(s) found' });
    expect(r.findings.map((f) => `${f.rule} ${f.file}:${f.line}`).sort()).toEqual([
      'aws-access-key-id src/aws.ts:1',
      'aws-secret-access-key src/aws.ts:2',
      'github-token src/ci.yml:1',
      'private-key deploy/id_rsa:1',
      'slack-token src/ci.yml:2',
    ]);
    const text = JSON.stringify(r);
    for (const raw of [FAKE.awsAccessKeyId, FAKE.awsSecretKey, FAKE.githubToken, FAKE.slackToken]) {
      expect(text).not.toContain(raw);
    }
    expect(text).not.toContain('MIIEpAIBAAKCAQEA');
  });

  it('does not report a secret that is already on the target branch', async () => {
    repo.commit({ 'legacy.env': `DB_PASSWORD=${FAKE.dbPassword}\n` });
    taskBranch(repo);
    repo.commit({ 'src/app.ts': 'export const ok = true;\n' });
    expect(await scanSecrets(opts())).toMatchObject({
      status: 'clean',
      detail: 'no secrets found',
    });
  });

  it('G-1: a secret deleted in a later commit is still found (history is scanned)', async () => {
    taskBranch(repo);
    repo.commit({ 'config.env': `DB_PASSWORD=${FAKE.dbPassword}\n` });
    repo.remove(['config.env']);
    const r = await scanSecrets(opts());
    expect(r.status).toBe('found');
    expect(r.findings[0]).toMatchObject({
      file: 'config.env',
      line: 1,
      rule: 'generic-secret-assignment',
    });
  });

  it('G-16: an empty range (HEAD is the target) is clean', async () => {
    taskBranch(repo);
    expect((await scanSecrets(opts())).status).toBe('clean');
  });

  it('honours the target branch allowlist: paths and secret regexes', async () => {
    repo.commit({ '.gitleaks.toml': ALLOWLIST });
    taskBranch(repo);
    repo.commit({
      '.env.example': `DB_PASSWORD=${FAKE.dbPassword}\n`,
      'test/fixtures/keys.txt': `${FAKE.githubToken}\n`,
      'src/a.ts': `const token = "dummy-${FAKE.dbPassword}";\n`,
    });
    expect(await scanSecrets(opts())).toMatchObject({ status: 'clean' });
  });

  it('G-2: an allowlist the task branch adds does not bless its own leak', async () => {
    taskBranch(repo);
    repo.commit({ '.gitleaks.toml': "[allowlist]\npaths = ['''^src/''']\n" });
    repo.commit({ 'src/leak.ts': `export const t = '${FAKE.githubToken}';\n` });
    const r = await scanSecrets(opts());
    expect(r.status).toBe('found');
    expect(r.findings.map((f) => f.file)).toEqual(['src/leak.ts']);
  });

  it('fails closed on an unresolvable target, an invalid allowlist, or a missing gitleaks', async () => {
    taskBranch(repo);
    expect(await scanSecrets({ ...opts(), targetRef: 'origin/nope' })).toMatchObject({
      status: 'error',
      detail: 'cannot resolve target ref origin/nope',
    });
    expect(await scanSecrets({ ...opts(), worktree: `${repo.dir}/missing` })).toMatchObject({
      status: 'error',
    });
    expect(await scanSecrets({ ...opts(), scanner: 'gitleaks' })).toMatchObject({
      status: 'error',
      scanner: 'gitleaks',
      detail: 'gitleaks binary not found',
    });
    git(repo.dir, 'checkout', '--quiet', 'main');
    repo.commit({ '.gitleaks.toml': "[allowlist]\nregexes = ['''(?P<name>x)''']\n" });
    repo.checkout('feature/SEC-1-x');
    git(repo.dir, 'rebase', '--quiet', 'main');
    const r = await scanSecrets(opts());
    expect(r.status).toBe('error');
    expect(r.detail).toMatch(/^invalid allowlist regex in \.gitleaks\.toml/);
  });

  it('scans against a fetched remote target (origin/main)', async () => {
    const clone = `${repo.dir}-clone`;
    git(repo.dir, 'clone', '--quiet', repo.dir, clone);
    git(clone, 'config', 'user.email', 't@orch.invalid');
    git(clone, 'config', 'user.name', 'T');
    git(clone, 'checkout', '--quiet', '-b', 'feature/SEC-2-y');
    git(clone, 'commit', '--quiet', '--allow-empty', '-m', 'empty');
    const r = await scanSecrets({ ...opts(), worktree: clone, targetRef: 'origin/main' });
    expect(r.status).toBe('clean');
  });
});
