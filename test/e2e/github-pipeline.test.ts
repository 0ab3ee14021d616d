import { randomUUID } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { parseConfigFile } from '../../src/config/config-file.js';
import { createSampleRepo } from '../../src/demo/sample-repo.js';
import { serverForRuntime } from '../../src/http/runtime-server.js';
import { STATUS_MARKER } from '../../src/integrations/github/github-labels.js';
import { hmacSha256Hex } from '../../src/integrations/webhooks/signature.js';
import { silentLogger } from '../../src/log.js';
import { createRuntime, type Runtime } from '../../src/runtime.js';
import { GithubStub } from '../helpers/stubs/github-stub.js';
import { describeEachDialect } from '../helpers/test-db.js';

/**
 * A labelled GitHub issue to a merged pull request, end to end: GitHub's API and git (smart HTTP,
 * Basic auth with the token: no ORCH_GITHUB_GIT_URL, the credentials of src/git/git-auth.ts) are
 * the loopback stub with real bare repositories; deliveries are GitHub's own webhook examples,
 * signed; agents are scripted. Branch protection holds the merge on a failing required check
 * until it turns green.
 */
type Example = Record<string, unknown> & { action?: string };
const require = createRequire(import.meta.url);
const INDEX = require('@octokit/webhooks-examples/api.github.com/index.json') as {
  name: string;
  examples: Example[];
}[];

const REPO = 'Codertocat/Hello-World';
const SECRET = 'github-webhook-secret-0123456789';
const APPROVER = 'Codertocat';
const ADMIN_TOKEN = 'github-e2e-admin-token';
const REQUIRED = 'ci/build';

function example(event: string, pick: (e: Example) => boolean): Example {
  const e = INDEX.find((x) => x.name === event)?.examples.find(pick);
  if (!e) throw new Error(`no matching ${event} example`);
  return structuredClone(e);
}

function delivery(event: string, body: unknown) {
  const rawBody = Buffer.from(JSON.stringify(body));
  return {
    headers: {
      'content-type': 'application/json',
      'x-github-event': event,
      'x-github-delivery': randomUUID(),
      'x-hub-signature-256': `sha256=${hmacSha256Hex(SECRET, rawBody)}`,
      'user-agent': 'GitHub-Hookshot/test',
    },
    rawBody,
  };
}

async function waitFor<T>(
  probe: () => Promise<T | undefined>,
  what: string,
  timeoutMs = 150_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The sample repository as the stub repository's `main` (a real bare repository). */
async function seedGit(root: string, gh: GithubStub): Promise<void> {
  const seed = join(root, 'seed');
  mkdirSync(seed, { recursive: true });
  await createSampleRepo(seed);
  execFileSync('git', ['push', '--quiet', '--force', gh.git!.dir(REPO), 'HEAD:refs/heads/main'], {
    cwd: seed,
  });
}

describeEachDialect('pipeline driven by GitHub issues and pull requests', ({ current }) => {
  it('takes a labelled issue by webhook, approves it by comment, and merges its PR behind protection', async () => {
    const root = mkdtempSync(join(tmpdir(), 'orch-gh-e2e-'));
    const gh = await new GithubStub().start();
    let rt: Runtime | undefined;
    try {
      gh.enableGit(join(root, 'remote'));
      const repo = gh.addRepo(REPO);
      await seedGit(root, gh);
      repo.requiredChecks = [REQUIRED];
      const issue = gh.addIssue(REPO, {
        title: 'Spelling error in the README file',
        body: 'Fix it',
        labels: ['orch'],
      });
      rt = await createRuntime({
        config: loadConfig(
          {
            ORCH_DATA_DIR: join(root, 'data'),
            ORCH_QUEUE_POLL_INTERVAL_MS: '100',
            ORCH_ADMIN_TOKEN: ADMIN_TOKEN,
            ORCH_GITHUB_TOKEN: gh.token,
            ORCH_GITHUB_API_URL: gh.url,
            ORCH_GITHUB_WEBHOOK_SECRET: SECRET,
            ORCH_GITHUB_BOT_LOGIN: 'orch-bot',
            ORCH_MERGE_DEFER_DELAY_S: '1',
            ORCH_MERGE_DEFER_MAX_ATTEMPTS: '100',
          },
          { dbUrl: current().url },
        ),
        configFile: parseConfigFile({
          agents: { defaults: { adapter: 'scripted' } },
          projects: [
            {
              key: 'HW',
              repo: 'hello-world',
              tracker: { kind: 'github', repo: REPO, approvers: [APPROVER] },
              forge: { kind: 'github', repo: REPO },
              testCommand: ['node', '--test'],
              testTimeoutS: 60,
            },
          ],
        }),
        log: silentLogger,
      });
      const app = serverForRuntime(rt);
      await rt.start();
      const post = async (event: string, body: unknown) => {
        const d = delivery(event, body);
        const res = await app.inject({
          method: 'POST',
          url: '/webhook/github',
          headers: d.headers,
          payload: d.rawBody,
        });
        expect(res.statusCode, res.body).toBe(202);
      };

      // issues.opened for the stub's issue, labelled `orch`
      const opened = example('issues', (e) => e.action === 'opened');
      Object.assign(opened.issue as object, {
        number: issue.number,
        title: issue.title,
        body: issue.body,
        labels: [{ id: 1, name: 'orch' }],
      });
      await post('issues', opened);
      const itemId = String(issue.number);
      const task = await waitFor(async () => {
        const t = await rt!.tasks.byTrackerItem('github', REPO, itemId);
        return t?.state === 'awaiting_approval' ? t : undefined;
      }, 'analysis approval request');

      const comment = example('issue_comment', (x) => x.action === 'created');
      Object.assign(comment.comment as object, { body: 'Ship it :approved:', id: 9_100_001 });
      (comment.sender as { login: string }).login = APPROVER;
      (comment.issue as { number: number }).number = issue.number;
      await post('issue_comment', comment);

      // Branch protection: the required check fails on whatever the PR's head is, until the item
      // waits at the merge gate naming it.
      const prOf = () => repo.pulls.find((p) => p.head === task.branch);
      const failRequired = () => {
        const pr = prOf();
        if (!pr || pr.state !== 'open') return;
        const mine = repo.statuses.get(pr.headSha) ?? [];
        if (mine.some((s) => s.context === REQUIRED)) return;
        gh.addStatus(REPO, pr.headSha, REQUIRED, 'failure');
      };
      // A re-check on a head the failing status has not reached yet says only "rules not met";
      // the next one (1 s later) names the check.
      const naming = `waits for branch protection: branch protection: required checks not green yet: ${REQUIRED}`;
      const waiting = await waitFor(async () => {
        failRequired();
        const events = await rt!.tasks.events(task.id);
        const hit = events.find((e) => JSON.stringify(e).includes(naming));
        const t = await rt!.tasks.get(task.id);
        if (t?.state === 'done' || t?.state === 'blocked') throw new Error(`item ${t.state}`);
        return hit;
      }, 'the merge to wait for branch protection');
      expect(JSON.stringify(waiting)).toContain(`required checks not green yet: ${REQUIRED}`);
      // explain says it too, once the deployer's job that ran the gate has finished
      const explained = await waitFor(async () => {
        const res = await app.inject({
          url: `/api/tasks/${task.id}/explain`,
          headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
        });
        expect(res.statusCode).toBe(200);
        const text = res.json<{ reasons: { code: string; text: string }[] }>().reasons;
        return text.find((r) => r.code === 'scheduled' && r.text.includes(REQUIRED));
      }, 'explain to name the required check');
      expect(explained.text).toMatch(/waits because merge_gate: .*not green yet: ci\/build/);
      expect(prOf()!.merged).toBe(false);

      // The check turns green: the next re-check merges.
      const headAtMerge = prOf()!.headSha;
      gh.addStatus(REPO, headAtMerge, REQUIRED, 'success');
      const done = await waitFor(async () => {
        const t = await rt!.tasks.get(task.id);
        return t?.state === 'done' || t?.state === 'blocked' ? t : undefined;
      }, 'the item to finish');
      expect(done).toMatchObject({ stage: 'done', state: 'done' });

      // One PR from the item's branch, linked to the issue, merged pinned to its head.
      const prs = repo.pulls.filter((p) => p.head === task.branch);
      expect(prs).toHaveLength(1);
      const pr = prs[0]!;
      expect(pr).toMatchObject({ merged: true, base: 'main', headSha: headAtMerge });
      expect(pr.body).toContain(`Closes ${REPO}#${issue.number}`);
      const merges = gh.requestsTo('PUT', /\/pulls\/\d+\/merge$/);
      expect((merges.at(-1)!.body as { sha: string }).sha).toBe(headAtMerge);
      expect(done.mergedSha).toBe(pr.mergeSha);
      // The stub's base branch is the real merge commit of that head.
      const main = gh.git!.branches(REPO).get('main');
      expect(main).toBe(pr.mergeSha);
      const parents = gh.git!.run(REPO, ['rev-list', '--parents', '-n', '1', main!]).split(' ');
      expect(parents.slice(1)).toContain(headAtMerge);

      // Orch's statuses on the head; tracker updates follow the commit: wait for them.
      const contexts = () => [...repo.statuses.values()].flat().map((s) => s.context);
      await waitFor(
        () =>
          Promise.resolve(
            contexts().includes('orch/tests') && contexts().includes('orch/review')
              ? true
              : undefined,
          ),
        'the tests and review statuses',
        20_000,
      );
      expect(
        contexts()
          .filter((c) => c !== REQUIRED)
          .every((c) => c.startsWith('orch/')),
      ).toBe(true);
      await waitFor(
        () =>
          Promise.resolve(
            issue.state === 'closed' && issue.labels.includes('orch:done') ? true : undefined,
          ),
        'the issue closed and labelled orch:done',
        20_000,
      );
      expect(issue.labels.filter((l) => l.startsWith('orch:'))).toEqual(['orch:done']);
      const statusComments = repo.comments.filter(
        (c) => c.issue === issue.number && c.body.includes(STATUS_MARKER),
      );
      expect(statusComments).toHaveLength(1);

      // The token never reached a clone's .git/config (credentials travel in git's environment).
      const reposDir = join(root, 'data', 'repos');
      const clones = readdirSync(reposDir).filter((d) => existsSync(join(reposDir, d, '.git')));
      expect(clones.length).toBeGreaterThan(0);
      for (const d of clones) {
        const config = readFileSync(join(reposDir, d, '.git', 'config'), 'utf8');
        expect(config).toContain(`${gh.url}/${REPO}.git`);
        expect(config).not.toContain(gh.token);
      }
    } finally {
      await rt?.stop();
      await gh.close();
      rmSync(root, { recursive: true, force: true });
    }
  }, 300_000);
});
