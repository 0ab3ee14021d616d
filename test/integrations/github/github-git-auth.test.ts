import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/clock.js';
import { basicAuthorization } from '../../../src/git/git-auth.js';
import { git } from '../../../src/git/git.js';
import { GithubClient } from '../../../src/integrations/github/github-client.js';
import { GithubForge } from '../../../src/integrations/github/github-forge.js';
import { GithubStub } from '../../helpers/stubs/github-stub.js';
import { appKeys, tokenClient } from './github-setup.js';

const FULL = 'acme/widgets';

/** Git over HTTP against the stub's real bare repositories, which check `Authorization`. */
describe('GitHub git credentials stay out of clones', () => {
  let stub: GithubStub;
  let root: string;
  let forge: GithubForge | undefined;

  beforeEach(async () => {
    root = mkdtempSync(join(tmpdir(), 'orch-gh-git-'));
    stub = await new GithubStub().start();
    stub.enableGit(join(root, 'remote'));
    stub.addRepo(FULL);
  });

  afterEach(async () => {
    forge?.close();
    forge = undefined;
    await stub.close();
    rmSync(root, { recursive: true, force: true });
  });

  /** Clone through the forge's URL, commit, push a branch: as the pipeline's git does. */
  async function cloneAndPush(url: string, branch: string): Promise<string> {
    const clone = join(root, `clone-${branch.replace(/\W/g, '-')}`);
    await git(['clone', '--quiet', url, clone], { cwd: root });
    writeFileSync(join(clone, 'work.txt'), `${branch}\n`);
    await git(['add', '-A'], { cwd: clone });
    await git(['commit', '--quiet', '-m', branch], { cwd: clone });
    await git(['push', '--quiet', 'origin', `HEAD:refs/heads/${branch}`], { cwd: clone });
    return clone;
  }

  it('a PAT: plain clone URL, no token in .git/config, fetch and push authenticate', async () => {
    forge = new GithubForge({ client: tokenClient(stub) });
    const url = forge.cloneUrl(FULL);
    expect(url).toBe(`${stub.url}/${FULL}.git`);
    const clone = await cloneAndPush(url, 'orch/1-work');
    const config = readFileSync(join(clone, '.git', 'config'), 'utf8');
    expect(config).toContain(url);
    expect(config).not.toContain(stub.token);
    expect(config).not.toContain(basicAuthorization('x-access-token', stub.token).slice(6));
    expect(config).not.toMatch(/extraheader|x-access-token/i);
    const head = await git(['rev-parse', 'HEAD'], { cwd: clone });
    expect(stub.git!.branches(FULL).get('orch/1-work')).toBe(head);
    await git(['fetch', '--quiet', 'origin'], { cwd: clone });
    // An agent's hook in the shared .git/hooks never runs inside a git process holding the token.
    const marker = join(root, 'hook-ran');
    writeFileSync(join(clone, '.git', 'hooks', 'pre-push'), `#!/bin/sh\nenv > ${marker}\n`);
    chmodSync(join(clone, '.git', 'hooks', 'pre-push'), 0o755);
    await git(['push', '--quiet', 'origin', 'HEAD:refs/heads/orch/1-again'], { cwd: clone });
    expect(() => readFileSync(marker)).toThrow();
    // Without the registered credential, the same fetch is refused: the header did the work.
    forge.close();
    await expect(git(['fetch', '--quiet', 'origin'], { cwd: clone })).rejects.toMatchObject({
      code: 'GIT_FAILED',
    });
  });

  it('an App: the installation token is fetched before the clone and replaced once it expires', async () => {
    const clock = new ManualClock(Date.parse('2026-03-01T10:00:00Z'));
    stub.now = () => clock.now();
    stub.enableApp({ publicKeyPem: appKeys().publicKeyPem, tokenTtlMs: 3_600_000 });
    forge = new GithubForge({
      client: new GithubClient({
        apiUrl: stub.url,
        auth: { kind: 'app', appId: '1234', privateKeyPem: appKeys().privateKeyPem },
        clock,
        sleep: () => Promise.resolve(),
      }),
    });
    const url = forge.cloneUrl(FULL); // no token cached yet: the clone's refresh fetches one
    const clone = await cloneAndPush(url, 'orch/2-app');
    expect(stub.installationTokens.size).toBe(1);
    const [first] = [...stub.installationTokens.keys()];
    expect(readFileSync(join(clone, '.git', 'config'), 'utf8')).not.toContain(first);
    clock.advance(3_600_000 + 1);
    await git(['fetch', '--quiet', 'origin'], { cwd: clone });
    expect(stub.installationTokens.size).toBe(2);
  });

  it('the stub merges for real: a merge commit of the pinned head, 409 once the head moved', async () => {
    forge = new GithubForge({ client: tokenClient(stub) });
    const clone = await cloneAndPush(forge.cloneUrl(FULL), 'orch/3-merge');
    const pushed = await git(['rev-parse', 'HEAD'], { cwd: clone });
    const pr = await forge.ensurePullRequest(FULL, {
      head: 'orch/3-merge',
      base: 'main',
      title: 'Merge me',
      body: '',
    });
    expect((await forge.getPullRequest(FULL, pr.number)).headSha).toBe(pushed);
    const moved = stub.push(FULL, 'orch/3-merge'); // someone else's commit on the branch
    expect(await forge.merge(FULL, pr.number, { headSha: pushed })).toMatchObject({
      kind: 'head_moved',
    });
    // GitHub recomputes mergeability after a push; the merge gate reads the PR first
    expect((await forge.getPullRequest(FULL, pr.number)).headSha).toBe(moved);
    const merged = await forge.merge(FULL, pr.number, { headSha: moved });
    expect(merged.kind).toBe('merged');
    const mergeSha = merged.kind === 'merged' ? merged.mergeSha : '';
    expect(stub.git!.branches(FULL).get('main')).toBe(mergeSha);
    const parents = stub.git!.run(FULL, ['rev-list', '--parents', '-n', '1', mergeSha]).split(' ');
    expect(parents.slice(1)).toContain(moved);
    expect(stub.git!.run(FULL, ['show', `${mergeSha}:work.txt`])).toBe('orch/3-merge');
  });
});
