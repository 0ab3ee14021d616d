import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GiteaClient } from '../../src/integrations/gitea/gitea-client.js';
import { GiteaStub, type GiteaStubPull } from '../helpers/stubs/gitea-stub.js';
import type { RecordedRequest } from '../helpers/stubs/stub-server.js';
import { TEST_PROJECTS } from './intake-setup.js';

/** The part of Gitea's own OpenAPI document Orch relies on (source and commit in `x-source`). */
interface Param {
  name: string;
  in: string;
  required?: boolean;
  schema?: { $ref: string };
}
interface Schema {
  required?: string[];
  properties?: Record<string, { $ref?: string }>;
}
interface Doc {
  basePath: string;
  paths: Record<string, Record<string, { parameters?: Param[] }>>;
  definitions: Record<string, Schema>;
}
const DOC = JSON.parse(
  readFileSync(new URL('../fixtures/gitea/openapi-excerpt.json', import.meta.url), 'utf8'),
) as Doc;

const REPO = 'et-app';
const FULL = 'gordon/hello-world';

/**
 * A path template as a regex. `{head}` may hold slashes: Gitea routes that operation as
 * `/pulls/{base}/*`. Templates with more literal segments win (`/pulls/{index}/merge` over
 * `/pulls/{base}/{head}`), as in Gitea's router.
 */
function templates(): { template: string; re: RegExp; literals: number }[] {
  return Object.keys(DOC.paths)
    .map((template) => {
      const body = template
        .split('/')
        .map((seg) => (seg === '{head}' ? '.+' : /^\{.+\}$/.test(seg) ? '[^/]+' : seg))
        .join('/');
      const literals = template.split('/').filter((s) => s !== '' && !s.startsWith('{')).length;
      return { template, re: new RegExp(`^${DOC.basePath}${body}$`), literals };
    })
    .sort((a, b) => b.literals - a.literals);
}

function operationOf(req: RecordedRequest) {
  for (const t of templates()) {
    if (!t.re.test(req.path)) continue;
    const op = DOC.paths[t.template]![req.method.toLowerCase()];
    if (op) return { template: t.template, op };
  }
  return null;
}

function schemaOf(ref: string): Schema {
  return DOC.definitions[ref.replace('#/definitions/', '')]!;
}

/** Every request Orch's Gitea client can make, driven against the stub. */
async function exercise(stub: GiteaStub): Promise<void> {
  const noWait = () => Promise.resolve();
  const client = new GiteaClient({
    baseUrl: stub.url,
    token: stub.token,
    projects: TEST_PROJECTS,
    sleep: noWait,
  });
  await client.currentUser();
  await client.defaultBranch(REPO);
  await client.ensureBranch(REPO, 'feature/ET-1-x', 'main');
  const sha = stub.push(FULL, 'feature/ET-1-x');
  const pr = await client.ensurePullRequest(REPO, {
    head: 'feature/ET-1-x',
    base: 'main',
    title: 'ET-1',
    body: 'x',
  });
  await client.findPullRequest(REPO, 'feature/ET-1-x'); // without a base: the list scan
  await client.setStatus(REPO, sha, {
    context: 'orch/tests',
    state: 'success',
    description: 'ok',
    targetUrl: 'http://orch/t/1',
  });
  await client.combinedStatus(REPO, sha);
  stub.addReview(FULL, pr.number, { state: 'REQUEST_CHANGES', body: 'fix it', login: 'ann' });
  await client.listReviews(REPO, pr.number);
  const repo = stub.repos.get(FULL)!;
  const pull: GiteaStubPull = repo.pulls[0]!;
  pull.status = 'checking';
  pull.checkReads = 1;
  repo.settings.allow_merge_commits = false;
  repo.settings.requiredContexts = ['ci/build'];
  await client.merge(REPO, pr.number, { headSha: sha }); // try later → not ready (+ combined status)
  repo.settings.requiredContexts = [];
  await client.merge(REPO, pr.number, { headSha: sha }); // style not allowed → repo → squash
  await client.merge(REPO, pr.number, { headSha: sha }); // already merged → GET …/merge
}

describe("Gitea calls Orch makes, checked against Gitea's OpenAPI document", () => {
  let stub: GiteaStub;

  beforeAll(async () => {
    stub = await new GiteaStub().start();
    stub.addRepo(FULL);
    await exercise(stub);
  });

  afterAll(async () => {
    await stub.close();
  });

  it('every call is a documented operation (method and path)', () => {
    const unknown = stub.requests
      .filter((r) => operationOf(r) === null)
      .map((r) => `${r.method} ${r.path}`);
    expect(unknown).toEqual([]);
    const used = new Set(stub.requests.map((r) => `${r.method} ${operationOf(r)!.template}`));
    expect([...used].sort()).toEqual([
      'GET /repos/{owner}/{repo}',
      'GET /repos/{owner}/{repo}/commits/{ref}/status',
      'GET /repos/{owner}/{repo}/pulls',
      'GET /repos/{owner}/{repo}/pulls/{base}/{head}',
      'GET /repos/{owner}/{repo}/pulls/{index}',
      'GET /repos/{owner}/{repo}/pulls/{index}/merge',
      'GET /repos/{owner}/{repo}/pulls/{index}/reviews',
      'GET /user',
      'POST /repos/{owner}/{repo}/branches',
      'POST /repos/{owner}/{repo}/pulls',
      'POST /repos/{owner}/{repo}/pulls/{index}/merge',
      'POST /repos/{owner}/{repo}/statuses/{sha}',
    ]);
  });

  it('every body has the required fields and only fields the schema declares', () => {
    for (const req of stub.requests) {
      const { template, op } = operationOf(req)!;
      const bodyParam = op.parameters?.find((p) => p.in === 'body');
      if (!bodyParam) {
        expect(req.rawBody.length, `${req.method} ${template} takes no body`).toBe(0);
        continue;
      }
      const schema = schemaOf(bodyParam.schema!.$ref);
      const sent = Object.keys(req.body as object);
      for (const field of schema.required ?? []) {
        expect(sent, `${req.method} ${template} requires ${field}`).toContain(field);
      }
      for (const field of sent) {
        expect(
          Object.keys(schema.properties ?? {}),
          `${req.method} ${template}: ${field}`,
        ).toContain(field);
      }
    }
  });

  it('every query parameter is declared, and merge styles are ones Gitea knows', () => {
    for (const req of stub.requests) {
      const { template, op } = operationOf(req)!;
      const declared = (op.parameters ?? []).filter((p) => p.in === 'query').map((p) => p.name);
      for (const key of req.query.keys()) {
        expect(declared, `${req.method} ${template} ?${key}`).toContain(key);
      }
    }
    const styles = stub.requestsTo('POST', /\/merge$/).map((r) => (r.body as { Do: string }).Do);
    const known = (
      schemaOf('MergePullRequestOption').properties!.Do as unknown as { enum: string[] }
    ).enum;
    expect(styles.length).toBeGreaterThan(0);
    for (const s of styles) expect(known).toContain(s);
  });

  it('the reply fields Orch reads exist in the documented definitions', () => {
    const reads: Record<string, string[]> = {
      PullRequest: [
        'number',
        'state',
        'merged',
        'mergeable',
        'merge_commit_sha',
        'html_url',
        'title',
        'head',
        'base',
      ],
      PRBranchInfo: ['ref', 'sha'],
      PullReview: ['id', 'state', 'dismissed', 'body', 'user', 'submitted_at'],
      Repository: [
        'default_branch',
        'default_merge_style',
        'allow_merge_commits',
        'allow_rebase',
        'allow_rebase_explicit',
        'allow_squash_merge',
        'allow_fast_forward_only_merge',
      ],
      CombinedStatus: ['state', 'statuses'],
      CommitStatus: ['context', 'status'],
      User: ['login'],
    };
    for (const [def, fields] of Object.entries(reads)) {
      expect(Object.keys(DOC.definitions[def]!.properties!), def).toEqual(
        expect.arrayContaining(fields),
      );
    }
  });
});

describe('branch-protection docs', () => {
  it('list exactly the status contexts Orch posts', async () => {
    const { STATUS_CONTEXTS } = await import('../../src/integrations/forge/status-contexts.js');
    const doc = readFileSync(new URL('../../docs/integrations.md', import.meta.url), 'utf8');
    const section = doc.slice(
      doc.indexOf('**Branch protection**'),
      doc.indexOf('Pitfalls:', doc.indexOf('**Branch protection**')),
    );
    const documented = [...new Set([...section.matchAll(/`(orch\/[a-z-]+)`/g)].map((m) => m[1]))];
    expect(documented.sort()).toEqual(Object.values(STATUS_CONTEXTS).sort());
  });
});
