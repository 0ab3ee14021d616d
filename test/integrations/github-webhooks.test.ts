import { randomUUID } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { parseConfigFile } from '../../src/config/config-file.js';
import { createSampleRepo } from '../../src/demo/sample-repo.js';
import { serverForRuntime } from '../../src/http/runtime-server.js';
import { hmacSha256Hex } from '../../src/integrations/webhooks/signature.js';
import { silentLogger } from '../../src/log.js';
import { createRuntime, type Runtime } from '../../src/runtime.js';
import { GithubStub } from '../helpers/stubs/github-stub.js';
import { describeEachDialect } from '../helpers/test-db.js';

/**
 * GitHub deliveries through the real route, runtime and store, with GitHub's own example payloads
 * (@octokit/webhooks-examples, api.github.com). Every example names `Codertocat/Hello-World`, the
 * configured repository, except a few `check_run` and `ping` ones (electron/electron,
 * github/hello-world, Octocoders/Hello-World): their `repository.full_name` is rewritten to it so
 * they go the whole way (an unknown repository would only be `ignored`).
 */
type Example = Record<string, unknown> & { action?: string };
const require = createRequire(import.meta.url);
const INDEX = require('@octokit/webhooks-examples/api.github.com/index.json') as {
  name: string;
  examples: Example[];
}[];

const EVENTS = [
  'ping',
  'issues',
  'issue_comment',
  'pull_request',
  'pull_request_review',
  'push',
  'status',
  'check_suite',
  'check_run',
] as const;
const REPO = 'Codertocat/Hello-World';
const SECRET = 'github-webhook-secret-0123456789';
const APPROVER = 'Codertocat';

function examples(event: string): Example[] {
  const found = INDEX.find((e) => e.name === event);
  if (!found) throw new Error(`no ${event} examples`);
  return found.examples.map((e) => structuredClone(e));
}

function first(event: string, pick: (e: Example) => boolean): Example {
  const e = examples(event).find(pick);
  if (!e) throw new Error(`no matching ${event} example`);
  return e;
}

function withRepo(e: Example): Example {
  const repo = e.repository as { full_name?: string } | undefined;
  if (repo) repo.full_name = REPO;
  return e;
}

function delivery(event: string, body: unknown, secret = SECRET) {
  const rawBody = Buffer.from(JSON.stringify(body));
  return {
    headers: {
      'content-type': 'application/json',
      'x-github-event': event,
      'x-github-delivery': randomUUID(),
      'x-hub-signature-256': `sha256=${hmacSha256Hex(secret, rawBody)}`,
      'user-agent': 'GitHub-Hookshot/test',
    },
    rawBody,
  };
}

async function waitFor<T>(probe: () => Promise<T | undefined>, what: string, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A bare repository `<root>/git/Codertocat/Hello-World.git` (ORCH_GITHUB_GIT_URL=<root>/git). */
async function seedGit(root: string): Promise<void> {
  const seed = join(root, 'seed');
  mkdirSync(seed, { recursive: true });
  await createSampleRepo(seed);
  const bare = join(root, 'git', REPO + '.git');
  mkdirSync(join(root, 'git', 'Codertocat'), { recursive: true });
  execFileSync('git', ['init', '--quiet', '--bare', '--initial-branch', 'main', bare]);
  execFileSync('git', ['push', '--quiet', bare, 'HEAD:refs/heads/main'], { cwd: seed });
}

async function count(rt: Runtime, table: 'jobs' | 'webhook_inbox', where = ''): Promise<number> {
  const row = await rt.db.get<{ n: number | string }>(
    `select count(*) as n from ${table} ${where}`,
  );
  return Number(row?.n ?? 0);
}

describeEachDialect('GitHub webhooks', ({ current }) => {
  /** GitHub's API is the loopback stub; git goes to a bare repository on disk. */
  const setup = async (root: string, gh: GithubStub) => {
    await seedGit(root);
    gh.addRepo(REPO);
    gh.addIssue(REPO, { title: 'Spelling error in the README file', labels: ['orch'] });
    const rt = await createRuntime({
      config: loadConfig(
        {
          ORCH_DATA_DIR: join(root, 'data'),
          ORCH_QUEUE_POLL_INTERVAL_MS: '100',
          ORCH_GITHUB_TOKEN: gh.token,
          ORCH_GITHUB_API_URL: gh.url,
          ORCH_GITHUB_GIT_URL: join(root, 'git'),
          ORCH_GITHUB_WEBHOOK_SECRET: SECRET,
          ORCH_GITHUB_BOT_LOGIN: 'orch-bot',
        },
        { dbUrl: current().url },
      ),
      configFile: parseConfigFile({
        agents: { defaults: { adapter: 'scripted' } },
        projects: [
          {
            key: 'HW',
            repo: 'hello-world',
            tracker: { kind: 'github', repo: REPO, approvers: [APPROVER], assignee: 'orch-bot' },
            forge: { kind: 'github', repo: REPO },
            testCommand: ['node', '--test'],
            testTimeoutS: 60,
          },
        ],
      }),
      log: silentLogger,
    });
    const app = serverForRuntime(rt);
    const post = (event: string, body: unknown, secret?: string) => {
      const d = delivery(event, body, secret);
      return app.inject({
        method: 'POST',
        url: '/webhook/github',
        headers: d.headers,
        payload: d.rawBody,
      });
    };
    return { rt, app, post };
  };

  const withRuntime = async (
    body: (s: Awaited<ReturnType<typeof setup>>) => Promise<void>,
  ): Promise<void> => {
    const root = mkdtempSync(join(tmpdir(), 'orch-gh-'));
    const gh = await new GithubStub().start();
    let s: Awaited<ReturnType<typeof setup>> | undefined;
    try {
      s = await setup(root, gh);
      await body(s);
    } finally {
      await s?.app.close();
      await s?.rt.stop();
      await gh.close();
      rmSync(root, { recursive: true, force: true });
    }
  };

  it('answers 2xx to every GitHub example of the handled events, 401 to a bad signature', async () => {
    await withRuntime(async ({ rt, post }) => {
      const seen: Record<string, string[]> = {};
      for (const event of EVENTS) {
        for (const example of examples(event)) {
          const res = await post(event, withRepo(example));
          const action = example.action ?? '-';
          expect([200, 202], `${event}/${action}: ${res.body}`).toContain(res.statusCode);
          const { status, reason } = res.json<{ status: string; reason?: string }>();
          (seen[event] ??= []).push([action, status, ...(reason ? [reason] : [])].join(':'));
        }
      }
      // What matters is accepted; the rest is ignored with a reason.
      expect(seen.ping!.every((s) => s.endsWith('ignored:ping'))).toBe(true);
      expect(seen.issues).toContain('opened:ignored:not_labelled');
      expect(seen.issues).toContain('edited:accepted');
      expect(seen.issues).toContain('assigned:ignored:not_assigned');
      expect(seen.issue_comment).toContain('created:accepted');
      expect(seen.issue_comment).toContain('deleted:ignored:unsupported_event');
      expect(seen.pull_request).toContain('closed:accepted');
      expect(seen.pull_request).toContain('synchronize:accepted');
      expect(seen.pull_request).toContain('labeled:ignored:unsupported_event');
      expect(seen.pull_request_review).toContain('submitted:accepted');
      expect(seen.pull_request_review).toContain('dismissed:ignored:unsupported_event');
      expect(seen.push!.some((s) => s.endsWith('accepted'))).toBe(true);
      expect(seen.status!.every((s) => s.endsWith('accepted'))).toBe(true);
      expect(seen.check_suite).toContain('completed:accepted');
      expect(seen.check_suite).toContain('requested:ignored:unsupported_event');
      expect(seen.check_run).toContain('completed:accepted');
      expect(seen.check_run).toContain('created:ignored:unsupported_event');

      // Every accepted delivery is one webhook.github job; none is anything else.
      const accepted = await count(rt, 'webhook_inbox', "where outcome = 'accepted'");
      expect(accepted).toBeGreaterThan(10);
      expect(await count(rt, 'jobs', "where kind = 'webhook.github'")).toBe(accepted);
      expect(await count(rt, 'webhook_inbox', "where source <> 'github'")).toBe(0);

      // A wrong (or missing) signature is 401 and writes nothing.
      const [inbox, jobs] = [await count(rt, 'webhook_inbox'), await count(rt, 'jobs')];
      const issue = first('issues', (e) => e.action === 'opened');
      const forged = await post('issues', issue, 'not-the-secret-0123456789');
      expect(forged.statusCode).toBe(401);
      expect(forged.json()).toMatchObject({ error: { code: 'WEBHOOK_SIGNATURE_INVALID' } });
      const d = delivery('issues', issue);
      const unsigned = await rt.webhookIntake.receive({
        source: 'github',
        headers: { ...d.headers, 'x-hub-signature-256': undefined },
        rawBody: d.rawBody,
      });
      expect(unsigned).toMatchObject({ kind: 'rejected', status: 401 });
      expect([await count(rt, 'webhook_inbox'), await count(rt, 'jobs')]).toEqual([inbox, jobs]);
    });
  });

  it("takes in a labelled issue and approves it on an approver's :approved: comment", async () => {
    await withRuntime(async ({ rt, post }) => {
      await rt.start();
      // GitHub's `issues.opened` example carries the label `bug`; the project's label is `orch`.
      const opened = first('issues', (e) => e.action === 'opened');
      const issue = opened.issue as { number: number; labels: { name: string }[] };
      issue.labels = [{ ...issue.labels[0]!, name: 'orch' }];
      expect((await post('issues', opened)).statusCode).toBe(202);
      const itemId = String(issue.number);
      const task = await waitFor(async () => {
        const t = await rt.tasks.byTrackerItem('github', REPO, itemId);
        return t?.state === 'awaiting_approval' ? t : undefined;
      }, 'analysis approval request').catch(async (err: unknown) => {
        const t = await rt.tasks.byTrackerItem('github', REPO, itemId);
        const jobs = await rt.db.all('select id, kind, status, error from jobs');
        console.error(JSON.stringify({ t, jobs }, null, 1));
        if (t) console.error(JSON.stringify(await rt.tasks.events(t.id), null, 1));
        throw err;
      });
      expect(task).toMatchObject({ stage: 'analysis', repo: 'hello-world' });

      // Someone else's :approved: does nothing; the approver's (a real `created` example) does.
      // Two comments: two comment ids (one id is acted on once, whoever delivers it).
      let commentId = 7_000_000;
      const comment = (login: string, body: string) => {
        const e = first('issue_comment', (x) => x.action === 'created');
        Object.assign(e.comment as object, { body, id: ++commentId });
        (e.sender as { login: string }).login = login;
        (e.issue as { number: number }).number = issue.number;
        return e;
      };
      const stranger = await post('issue_comment', comment('mallory', ':approved:'));
      const strangerJob = stranger.json<{ jobId: number }>().jobId;
      const noop = await waitFor(async () => {
        const j = await rt.queue.get(strangerJob);
        return j?.status === 'done' ? j : undefined;
      }, 'the stranger comment to be handled');
      expect(noop.result).toMatchObject({ kind: 'pipeline', result: { kind: 'noop' } });
      const approval = await post('issue_comment', comment(APPROVER, 'Ship it :approved:'));
      expect(approval.statusCode).toBe(202);
      const moved = await waitFor(async () => {
        const t = await rt.tasks.get(task.id);
        return t && t.stage !== 'analysis' ? t : undefined;
      }, 'the item to leave analysis');
      expect(moved.stage).toBe('architecture');
    });
  }, 120_000);

  it("hands pull request, review, status and check events to Gitea's handling", async () => {
    await withRuntime(async ({ rt, post }) => {
      const run = async (event: string, body: Example) => {
        const res = await post(event, body);
        expect(res.statusCode, res.body).toBe(202);
        const jobId = res.json<{ jobId: number }>().jobId;
        const claimed = await rt.webhookHandlers.runOnce();
        expect(claimed?.id).toBe(jobId);
        const job = await rt.queue.get(jobId);
        expect(job).toMatchObject({ kind: 'webhook.github', status: 'done' });
        return job!;
      };
      const opened = first('issues', (e) => e.action === 'opened');
      (opened.issue as { labels: { name: string }[] }).labels.push({ name: 'orch' });
      expect((await run('issues', opened)).result).toMatchObject({
        kind: 'intake',
        created: true,
      });
      // An unlabelled issue assigned to the configured login (GitHub's `assigned` example, with
      // the assignee changed to it) is taken in too.
      const assigned = first('issues', (e) => e.action === 'assigned');
      const bot = { ...(assigned.assignee as object), login: 'orch-bot' };
      Object.assign(assigned, { assignee: bot });
      Object.assign(assigned.issue as object, { labels: [], assignees: [bot], number: 4242 });
      expect((await run('issues', assigned)).result).toMatchObject({
        kind: 'intake',
        created: true,
      });
      expect(await rt.tasks.byTrackerItem('github', REPO, '4242')).toMatchObject({
        stage: 'analysis',
      });
      const task = (await rt.tasks.byTrackerItem('github', REPO, '1'))!;

      // The examples' PR branch is `changes`: point it at the task's branch. GitHub's examples
      // have no approved review and no merged close: set them.
      const pr = (e: Example) => {
        const p = e.pull_request as { head: { ref: string }; merged?: boolean };
        p.head.ref = task.branch;
        return p;
      };
      const review = first('pull_request_review', (e) => e.action === 'submitted');
      pr(review);
      (review.review as { state: string }).state = 'approved';
      expect((await run('pull_request_review', review)).result).toMatchObject({
        kind: 'pipeline',
        workItemId: task.workItemId,
      });

      const merged = first('pull_request', (e) => e.action === 'closed');
      pr(merged).merged = true;
      expect((await run('pull_request', merged)).result).toEqual({
        kind: 'recorded',
        workItemId: task.workItemId,
        note: 'merged',
      });

      // A success status, and a completed check run, re-evaluate items waiting on CI (none here).
      const status = first('status', (e) => e.state === 'success');
      expect((await run('status', status)).result).toMatchObject({
        kind: 'ignored',
        reason: expect.stringMatching(/^status: no item waits on CI at 6113728f27ae/) as unknown,
      });
      const check = first(
        'check_run',
        (e) =>
          e.action === 'completed' &&
          (e.check_run as { conclusion: string }).conclusion === 'success',
      );
      expect((await run('check_run', check)).result).toMatchObject({
        kind: 'ignored',
        reason: expect.stringMatching(/^status: no item waits on CI at ec26c3e57ca3/) as unknown,
      });
    });
  });
});
