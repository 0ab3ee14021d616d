/**
 * Real git behind the GitHub stub (`GithubStub.enableGit`): one bare repository per stub repo at
 * `<root>/<owner>/<name>.git`, branch heads read from and written to it, real merge, squash and
 * rebase merges (`git merge-tree --write-tree`, git ≥ 2.38), and git's smart HTTP protocol served
 * through `git http-backend` (CGI) on the stub's own port, behind GitHub's Basic auth
 * (`x-access-token:<token>`).
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { dirname } from 'node:path';

const IDENT = {
  GIT_AUTHOR_NAME: 'GitHub',
  GIT_AUTHOR_EMAIL: 'noreply@github.example',
  GIT_COMMITTER_NAME: 'GitHub',
  GIT_COMMITTER_EMAIL: 'noreply@github.example',
};

export class StubGit {
  constructor(readonly root: string) {}

  dir(fullName: string): string {
    return `${this.root}/${fullName}.git`;
  }

  run(fullName: string, args: string[], input?: string): string {
    return execFileSync('git', args, {
      cwd: this.dir(fullName),
      encoding: 'utf8',
      env: { ...process.env, ...IDENT },
      ...(input === undefined ? {} : { input }),
      stdio: ['pipe', 'pipe', 'pipe'],
    }).trim();
  }

  /** A bare repository whose `branch` holds one commit with a README. */
  init(fullName: string, branch: string): string {
    const dir = this.dir(fullName);
    mkdirSync(dirname(dir), { recursive: true });
    execFileSync('git', ['init', '--quiet', '--bare', '--initial-branch', branch, dir]);
    const blob = this.run(fullName, ['hash-object', '-w', '--stdin'], `# ${fullName}\n`);
    const tree = this.run(fullName, ['mktree'], `100644 blob ${blob}\tREADME.md\n`);
    const sha = this.run(fullName, ['commit-tree', tree, '-m', 'Initial commit']);
    this.run(fullName, ['update-ref', `refs/heads/${branch}`, sha]);
    return sha;
  }

  /** branch → head sha. */
  branches(fullName: string): Map<string, string> {
    const out = this.run(fullName, [
      'for-each-ref',
      '--format=%(refname:short) %(objectname)',
      'refs/heads',
    ]);
    return new Map(
      out
        .split('\n')
        .filter(Boolean)
        .map((l) => l.split(' ') as [string, string]),
    );
  }

  /** Whether `sha` names a commit in the repository. */
  hasCommit(fullName: string, sha: string): boolean {
    try {
      this.run(fullName, ['cat-file', '-e', `${sha}^{commit}`]);
      return true;
    } catch {
      return false;
    }
  }

  setBranch(fullName: string, branch: string, sha: string): void {
    this.run(fullName, ['update-ref', `refs/heads/${branch}`, sha]);
  }

  /** A new empty commit on top of `branch` (a push by someone else); its sha. */
  commitOn(fullName: string, branch: string, message = 'pushed'): string {
    const parent = this.run(fullName, ['rev-parse', `refs/heads/${branch}`]);
    const sha = this.run(fullName, [
      'commit-tree',
      `${parent}^{tree}`,
      '-p',
      parent,
      '-m',
      message,
    ]);
    this.setBranch(fullName, branch, sha);
    return sha;
  }

  /**
   * Merges `head` into branch `base` as GitHub's merge button does; the new base sha, or null on a
   * conflict. `merge`: a merge commit; `squash`: one commit with the PR's changes; `rebase`: each
   * commit of the PR replayed onto the base.
   */
  merge(
    fullName: string,
    o: { base: string; head: string; method: string; title: string },
  ): string | null {
    const baseSha = this.run(fullName, ['rev-parse', `refs/heads/${o.base}`]);
    let sha: string | null;
    if (o.method === 'rebase') sha = this.#rebase(fullName, baseSha, o.head);
    else {
      const tree = this.#mergeTree(fullName, baseSha, o.head);
      if (tree === null) return null;
      const parents = o.method === 'merge' ? ['-p', baseSha, '-p', o.head] : ['-p', baseSha];
      sha = this.run(fullName, ['commit-tree', tree, ...parents, '-m', o.title]);
    }
    if (sha !== null) this.setBranch(fullName, o.base, sha);
    return sha;
  }

  #mergeTree(fullName: string, ours: string, theirs: string): string | null {
    try {
      const args = ['merge-tree', '--write-tree', '--no-messages', ours, theirs];
      return this.run(fullName, args).split('\n')[0]!;
    } catch {
      return null; // exit 1: conflicts
    }
  }

  #rebase(fullName: string, baseSha: string, head: string): string | null {
    const commits = this.run(fullName, [
      'rev-list',
      '--reverse',
      '--no-merges',
      `${baseSha}..${head}`,
    ])
      .split('\n')
      .filter(Boolean);
    let tip = baseSha;
    for (const c of commits) {
      // (`--merge-base` needs git ≥ 2.40) the fork point as base: the tree of tip + c's changes
      const tree = this.#mergeTree(fullName, tip, c);
      if (tree === null) return null;
      const message = this.run(fullName, ['log', '-1', '--format=%B', c]);
      tip = this.run(fullName, ['commit-tree', tree, '-p', tip, '-m', message || 'rebased']);
    }
    return tip;
  }
}

/**
 * Serves `/<owner>/<name>.git/…` (git's smart HTTP) from the bare repositories through
 * `git http-backend`; false when the path is not a git one. `authorized` decides on the
 * `Authorization` header (401 with a Basic challenge otherwise, as GitHub answers).
 */
export function serveGitHttp(
  git: StubGit,
  req: IncomingMessage,
  body: Buffer,
  res: ServerResponse,
  authorized: (authorization: string | undefined) => boolean,
): boolean {
  const url = new URL(req.url ?? '/', 'http://stub');
  if (!/^\/[^/]+\/[^/]+\.git\//.test(url.pathname)) return false;
  if (!authorized(req.headers.authorization)) {
    res.writeHead(401, { 'www-authenticate': 'Basic realm="GitHub"' });
    res.end('Bad credentials');
    return true;
  }
  const encoding = req.headers['content-encoding'];
  const protocol = req.headers['git-protocol'];
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    GIT_PROJECT_ROOT: git.root,
    GIT_HTTP_EXPORT_ALL: '1',
    REMOTE_USER: 'x-access-token',
    REQUEST_METHOD: req.method ?? 'GET',
    PATH_INFO: decodeURIComponent(url.pathname),
    QUERY_STRING: url.search.replace(/^\?/, ''),
    CONTENT_TYPE: req.headers['content-type'] ?? '',
    CONTENT_LENGTH: String(body.length),
  };
  if (typeof encoding === 'string') env.HTTP_CONTENT_ENCODING = encoding;
  if (typeof protocol === 'string') env.GIT_PROTOCOL = protocol;
  const child = spawn('git', ['http-backend'], { env, stdio: ['pipe', 'pipe', 'pipe'] });
  const out: Buffer[] = [];
  child.stdout.on('data', (c: Buffer) => out.push(c));
  child.stderr.resume();
  child.on('close', () => {
    const all = Buffer.concat(out);
    let split = all.indexOf('\r\n\r\n');
    let sep = 4;
    if (split < 0) {
      split = all.indexOf('\n\n');
      sep = 2;
    }
    const head = all.subarray(0, Math.max(split, 0)).toString('utf8');
    const headers: Record<string, string> = {};
    let status = 200;
    for (const line of head.split(/\r?\n/).filter(Boolean)) {
      const i = line.indexOf(':');
      const name = line.slice(0, i).trim().toLowerCase();
      const value = line.slice(i + 1).trim();
      if (name === 'status') status = Number(value.split(' ')[0]);
      else headers[name] = value;
    }
    res.writeHead(status, headers);
    res.end(split < 0 ? all : all.subarray(split + sep));
  });
  // git http-backend may exit before reading the whole body (it answers from what it read): its
  // stdin then fails with EPIPE, which is not the test's business — the answer comes from stdout.
  child.stdin.on('error', () => undefined);
  child.stdin.end(body);
  return true;
}
