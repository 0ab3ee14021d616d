import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkGithub } from '../../../src/integrations/github/github-doctor.js';
import { GithubClient } from '../../../src/integrations/github/github-client.js';
import { GithubForge } from '../../../src/integrations/github/github-forge.js';
import { GithubTracker } from '../../../src/integrations/github/github-tracker.js';
import { GithubStub } from '../../helpers/stubs/github-stub.js';
import { appKeys, recordingFetch, tokenClient, type Exchange } from './github-setup.js';

/** GitHub's published OpenAPI description (api.github.com), from `@octokit/openapi`. */
interface Schema {
  $ref?: string;
  type?: string;
  required?: string[];
  properties?: Record<string, unknown>;
  items?: Schema;
  oneOf?: Schema[];
  anyOf?: Schema[];
  allOf?: Schema[];
}
interface Param {
  $ref?: string;
  name?: string;
  in?: string;
}
interface Operation {
  parameters?: Param[];
  requestBody?: { content: Record<string, { schema: Schema }> };
  responses: Record<string, { $ref?: string; content?: Record<string, { schema: Schema }> }>;
}
interface Doc {
  paths: Record<string, Record<string, Operation>>;
  components: {
    schemas: Record<string, Schema>;
    parameters: Record<string, Param>;
    responses: Record<string, { content?: Record<string, { schema: Schema }> }>;
  };
}

const require = createRequire(import.meta.url);
const DOC = JSON.parse(
  readFileSync(require.resolve('@octokit/openapi/generated/api.github.com.json'), 'utf8'),
) as Doc;

const FULL = 'acme/widgets';

const TEMPLATES = Object.keys(DOC.paths)
  .map((template) => {
    const body = template
      .split('/')
      .map((seg) => (seg === '{ref}' ? '.+' : /^\{.+\}$/.test(seg) ? '[^/]+' : seg))
      .join('/');
    const literals = template.split('/').filter((s) => s !== '' && !s.startsWith('{')).length;
    return { template, re: new RegExp(`^${body}$`), literals };
  })
  .sort((a, b) => b.literals - a.literals);

function operationOf(x: { method: string; path: string }) {
  for (const t of TEMPLATES) {
    if (!t.re.test(x.path)) continue;
    const op = DOC.paths[t.template]![x.method.toLowerCase()];
    if (op) return { template: t.template, op };
  }
  return null;
}

function resolve(s: Schema): Schema {
  return s.$ref ? resolve(DOC.components.schemas[s.$ref.split('/').pop()!]!) : s;
}

/** Missing required top-level properties of `value` against `schema` (oneOf: the best fit). */
function missingRequired(schema: Schema, value: unknown): string[] {
  const s = resolve(schema);
  const alts = s.oneOf ?? s.anyOf;
  if (alts) {
    const misses = alts.map((a) => missingRequired(a, value));
    return misses.reduce((best, m) => (m.length < best.length ? m : best));
  }
  if (s.allOf) return s.allOf.flatMap((a) => missingRequired(a, value));
  if (s.type === 'array' || s.items) {
    return Array.isArray(value) ? value.flatMap((v) => missingRequired(s.items!, v)) : ['<array>'];
  }
  const o = (value ?? {}) as Record<string, unknown>;
  return (s.required ?? []).filter((k) => !(k in o));
}

/** Properties a schema declares at the top level (oneOf/allOf merged), null if it allows any. */
function declared(schema: Schema): string[] | null {
  const s = resolve(schema);
  const parts = s.oneOf ?? s.anyOf ?? s.allOf;
  if (parts) return parts.flatMap((p) => declared(p) ?? []);
  return s.properties ? Object.keys(s.properties) : null;
}

function queryParams(op: Operation): string[] {
  return (op.parameters ?? [])
    .map((p) => (p.$ref ? DOC.components.parameters[p.$ref.split('/').pop()!]! : p))
    .filter((p) => p.in === 'query')
    .map((p) => p.name!);
}

function responseSchema(op: Operation, status: number): Schema | null | undefined {
  const r = op.responses[String(status)];
  if (!r) return undefined;
  const content = r.$ref ? DOC.components.responses[r.$ref.split('/').pop()!]!.content : r.content;
  return content?.['application/json']?.schema ?? null;
}

/** Every kind of call Orch's GitHub forge, tracker and doctor make, as a PAT and as an App. */
async function exercise(stub: GithubStub, log: Exchange[]): Promise<void> {
  const client = tokenClient(stub, { fetch: recordingFetch(log) });
  const forge = new GithubForge({ client });
  const tracker = new GithubTracker({ client, assignee: 'orch-bot' });
  const ref = { projectId: FULL, itemId: '1' };
  stub.addIssue(FULL, { title: 'Export CSV', labels: ['orch'], assignees: ['orch-bot'] });
  await checkGithub(client, { repos: [FULL] });
  await forge.defaultBranch(FULL);
  await forge.ensureBranch(FULL, 'orch/1-export', 'main');
  const sha = stub.push(FULL, 'orch/1-export');
  const pr = await forge.ensurePullRequest(FULL, {
    head: 'orch/1-export',
    base: 'main',
    title: 'Export CSV',
    body: 'Closes #1',
  });
  await forge.findPullRequest(FULL, 'orch/1-export');
  await forge.setStatus(FULL, sha, {
    context: 'orch/tests',
    state: 'success',
    description: 'ok',
    targetUrl: 'http://orch/t/1',
  });
  stub.addCheckRun(FULL, sha, { name: 'ci', status: 'in_progress', conclusion: null });
  await forge.combinedStatus(FULL, sha);
  stub.addReview(FULL, pr.number, { state: 'APPROVED', login: 'ann' });
  await forge.listReviews(FULL, pr.number);
  const pull = stub.pull(FULL, pr.number);
  pull.mergeable = true;
  pull.mergeableState = 'blocked';
  await forge.merge(FULL, pr.number, { headSha: sha }); // 405 → PR, status, check runs
  pull.mergeableState = 'clean';
  stub.repo(FULL).settings.allow_merge_commit = false;
  await forge.merge(FULL, pr.number, { headSha: sha }); // method refused → repo → squash, merged
  await forge.merge(FULL, pr.number, { headSha: sha }); // already merged
  await tracker.getItem(ref);
  await tracker.comment(ref, 'Plan ready', { author: 'analyst', externalId: 'plan-1' });
  await tracker.upsertStatusComment(ref, 'status: building');
  await tracker.upsertStatusComment(ref, 'status: in review');
  await tracker.listComments(ref, Date.parse('2020-01-01T00:00:00Z'));
  await tracker.setState(ref, 'in_progress');
  await tracker.setState(ref, 'done');
  await tracker.listItems(FULL, { createdSinceMs: 0 });
  await tracker.userIdentities(FULL, 'ann');
  await tracker.userIdentities(FULL, '42');
  await tracker.blockedBy(ref);

  const keys = appKeys();
  stub.enableApp({ publicKeyPem: keys.publicKeyPem });
  const app = new GithubClient({
    apiUrl: stub.url,
    auth: { kind: 'app', appId: '1234', privateKeyPem: keys.privateKeyPem },
    fetch: recordingFetch(log),
  });
  await checkGithub(app, { repos: [FULL] });
  await new GithubForge({ client: app }).defaultBranch(FULL);
  await new GithubTracker({ client: app }).listComments(ref);
}

describe("GitHub calls Orch makes, checked against GitHub's OpenAPI description", () => {
  let stub: GithubStub;
  const log: Exchange[] = [];

  beforeAll(async () => {
    stub = await new GithubStub().start();
    stub.addRepo(FULL);
    await exercise(stub, log);
  });

  afterAll(async () => {
    await stub.close();
  });

  it('every call is a documented operation (method and path template)', () => {
    const unknown = log.filter((x) => operationOf(x) === null).map((x) => `${x.method} ${x.path}`);
    expect(unknown).toEqual([]);
    const used = new Set(log.map((x) => `${x.method} ${operationOf(x)!.template}`));
    expect([...used].sort()).toEqual([
      'DELETE /repos/{owner}/{repo}/issues/{issue_number}/labels/{name}',
      'GET /app',
      'GET /repos/{owner}/{repo}',
      'GET /repos/{owner}/{repo}/commits/{ref}/check-runs',
      'GET /repos/{owner}/{repo}/commits/{ref}/status',
      'GET /repos/{owner}/{repo}/git/ref/{ref}',
      'GET /repos/{owner}/{repo}/installation',
      'GET /repos/{owner}/{repo}/issues',
      'GET /repos/{owner}/{repo}/issues/{issue_number}',
      'GET /repos/{owner}/{repo}/issues/{issue_number}/comments',
      'GET /repos/{owner}/{repo}/labels/{name}',
      'GET /repos/{owner}/{repo}/pulls',
      'GET /repos/{owner}/{repo}/pulls/{pull_number}',
      'GET /repos/{owner}/{repo}/pulls/{pull_number}/reviews',
      'GET /user',
      'GET /user/{account_id}',
      'GET /users/{username}',
      'PATCH /repos/{owner}/{repo}/issues/comments/{comment_id}',
      'PATCH /repos/{owner}/{repo}/issues/{issue_number}',
      'POST /app/installations/{installation_id}/access_tokens',
      'POST /repos/{owner}/{repo}/git/refs',
      'POST /repos/{owner}/{repo}/issues/{issue_number}/comments',
      'POST /repos/{owner}/{repo}/issues/{issue_number}/labels',
      'POST /repos/{owner}/{repo}/labels',
      'POST /repos/{owner}/{repo}/pulls',
      'POST /repos/{owner}/{repo}/statuses/{sha}',
      'PUT /repos/{owner}/{repo}/pulls/{pull_number}/merge',
    ]);
  });

  it('every body has the required fields and no property the operation does not declare', () => {
    for (const x of log) {
      const { template, op } = operationOf(x)!;
      const what = `${x.method} ${template}`;
      const schema = op.requestBody?.content['application/json']?.schema;
      if (!schema) {
        expect(x.requestBody, `${what} takes no body`).toBeUndefined();
        continue;
      }
      if (x.requestBody === undefined) continue; // an optional body left out
      expect(missingRequired(schema, x.requestBody), what).toEqual([]);
      const known = declared(schema);
      if (known === null) continue;
      for (const field of Object.keys(x.requestBody as object)) {
        expect(known, `${what}: ${field}`).toContain(field);
      }
    }
  });

  it('every query parameter is declared', () => {
    for (const x of log) {
      const { template, op } = operationOf(x)!;
      for (const key of x.query.keys()) {
        expect(queryParams(op), `${x.method} ${template} ?${key}`).toContain(key);
      }
    }
  });

  it("the stub's replies are documented statuses with the schema's required properties", () => {
    for (const x of log) {
      const { template, op } = operationOf(x)!;
      const what = `${x.method} ${template} → ${x.status}`;
      const schema = responseSchema(op, x.status);
      expect(schema, `${what} is a documented status`).not.toBeUndefined();
      if (!schema || x.status >= 400) continue;
      expect(missingRequired(schema, x.responseBody), what).toEqual([]);
    }
  });
});
