import { createPublicKey, verify } from 'node:crypto';
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/clock.js';
import { isOrchError } from '../../../src/errors.js';
import { basicAuthorization, gitAuthEnv } from '../../../src/git/git-auth.js';
import { GithubClient } from '../../../src/integrations/github/github-client.js';
import { GithubForge } from '../../../src/integrations/github/github-forge.js';
import { integrationRetry } from '../../../src/integrations/http/integration-error.js';
import { GithubStub } from '../../helpers/stubs/github-stub.js';
import { appKeys, tokenClient } from './github-setup.js';

const FULL = 'acme/widgets';

describe('GithubClient: GitHub App auth', () => {
  let stub: GithubStub;
  let clock: ManualClock;
  let client: GithubClient;

  beforeEach(async () => {
    stub = await new GithubStub().start();
    stub.addRepo(FULL);
    clock = new ManualClock(Date.UTC(2026, 0, 1));
    stub.now = () => clock.now();
    stub.enableApp({ publicKeyPem: appKeys().publicKeyPem, appId: '1234' });
    client = new GithubClient({
      apiUrl: stub.url,
      auth: { kind: 'app', appId: '1234', privateKeyPem: appKeys().privateKeyPem },
      clock,
    });
  });

  afterEach(async () => {
    await stub.close();
  });

  it('signs an RS256 JWT the public key verifies: iss, iat − 60 s, exp within 10 minutes', async () => {
    await client.request('GET', '/app');
    const jwt = stub
      .requestsTo('GET', /^\/app$/)[0]!
      .headers.authorization!.slice('Bearer '.length);
    const [h, p, s] = jwt.split('.') as [string, string, string];
    expect(JSON.parse(Buffer.from(h, 'base64url').toString())).toEqual({
      alg: 'RS256',
      typ: 'JWT',
    });
    const ok = verify(
      'sha256',
      Buffer.from(`${h}.${p}`),
      createPublicKey(appKeys().publicKeyPem),
      Buffer.from(s, 'base64url'),
    );
    expect(ok).toBe(true);
    const claims = JSON.parse(Buffer.from(p, 'base64url').toString()) as Record<string, number>;
    const nowS = clock.now() / 1000;
    expect(claims).toMatchObject({ iss: '1234', iat: nowS - 60 });
    expect(claims.exp! - nowS).toBeGreaterThan(0);
    expect(claims.exp! - claims.iat!).toBeLessThanOrEqual(600);
  });

  it('finds the installation from the repo, caches its token, refreshes it 5 minutes before expiry', async () => {
    const forge = new GithubForge({ client });
    await forge.defaultBranch(FULL);
    await forge.defaultBranch(FULL);
    expect(stub.requestsTo('GET', /\/installation$/)).toHaveLength(1);
    expect(stub.requestsTo('POST', /access_tokens$/)).toHaveLength(1);
    const first = stub.requestsTo('GET', /^\/repos\/acme\/widgets$/)[0]!.headers.authorization;
    expect(first).toMatch(/^Bearer ghs_/);
    // the clone URL is plain; git's environment carries the installation token
    expect(forge.cloneUrl(FULL)).toBe(`${stub.url}/${FULL}.git`);
    const basic = basicAuthorization('x-access-token', first!.slice('Bearer '.length));
    expect(Object.values(gitAuthEnv())).toContain(`Authorization: ${basic}`);
    forge.close();
    expect(gitAuthEnv()).toEqual({});

    clock.advance(54 * 60_000); // 6 minutes left: still used
    await forge.defaultBranch(FULL);
    expect(stub.requestsTo('POST', /access_tokens$/)).toHaveLength(1);
    clock.advance(2 * 60_000); // 4 minutes left: replaced
    await forge.defaultBranch(FULL);
    expect(stub.requestsTo('POST', /access_tokens$/)).toHaveLength(2);
    const last = stub.requestsTo('GET', /^\/repos\/acme\/widgets$/).at(-1)!.headers.authorization;
    expect(last).not.toBe(first);
    expect(stub.requestsTo('GET', /\/installation$/)).toHaveLength(1);
    expect(await client.botLogin()).toBe('orch-app[bot]');
  });

  it('uses a configured installation id without looking it up; concurrent calls share one token', async () => {
    const configured = new GithubClient({
      apiUrl: stub.url,
      auth: {
        kind: 'app',
        appId: '1234',
        privateKeyPem: appKeys().privateKeyPem,
        installationId: 77,
      },
      clock,
    });
    await Promise.all([1, 2, 3].map(() => configured.request('GET', `/repos/${FULL}`)));
    expect(stub.requestsTo('GET', /\/installation$/)).toHaveLength(0);
    expect(stub.requestsTo('POST', /access_tokens$/)).toHaveLength(1);
  });
});

describe('GithubClient: rate limits', () => {
  let stub: GithubStub;
  let sleeps: number[];
  let clock: ManualClock;
  const lines: string[] = [];
  const log = pino(
    { level: 'warn' },
    new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(chunk.toString());
        done();
      },
    }),
  );

  beforeEach(async () => {
    stub = await new GithubStub().start();
    stub.addRepo(FULL);
    sleeps = [];
    lines.length = 0;
    clock = new ManualClock(Date.UTC(2026, 0, 1));
  });

  afterEach(async () => {
    await stub.close();
  });

  const client = (maxWaitMs = 10_000) =>
    tokenClient(stub, {
      clock,
      log,
      rateLimit: { maxRetries: 2, maxWaitMs },
      sleep: (ms) => {
        sleeps.push(ms);
        clock.advance(ms);
        return Promise.resolve();
      },
    });

  const primary = (resetInS: number) => ({
    status: 403,
    body: { message: 'API rate limit exceeded for user ID 42.' },
    headers: {
      'x-ratelimit-remaining': '0',
      'x-ratelimit-limit': '5000',
      'x-ratelimit-reset': String(Math.floor(clock.now() / 1000) + resetInS),
    },
  });

  it('primary limit (remaining 0): waits until the reset, then retries', async () => {
    stub.failNext(primary(3));
    const res = await client().request('GET', `/repos/${FULL}`);
    expect(res.status).toBe(200);
    expect(sleeps).toEqual([4000]);
  });

  it('primary limit with a long reset: throws RATE_LIMITED, retryable, with retryAfterMs', async () => {
    stub.failNext(primary(1800));
    const err = await client()
      .request('GET', `/repos/${FULL}`, { errorPrefix: 'FORGE' })
      .catch((e: unknown) => e);
    expect(isOrchError(err, 'FORGE_RATE_LIMITED')).toBe(true);
    expect(integrationRetry(err)).toEqual({ retryable: true, retryAfterMs: 1_801_000 });
    expect(sleeps).toEqual([]);
  });

  it('secondary limit: honours retry-after; 429 as well', async () => {
    stub.failNext({
      status: 403,
      body: { message: 'You have exceeded a secondary rate limit.' },
      headers: { 'retry-after': '2' },
    });
    stub.failNext({ status: 429, body: { message: 'slow down' }, headers: { 'retry-after': '1' } });
    expect((await client().request('GET', `/repos/${FULL}`)).status).toBe(200);
    expect(sleeps).toEqual([2000, 1000]);
    stub.failNext({ status: 403, body: { message: 'You have exceeded a secondary rate limit.' } });
    const err = await client()
      .request('GET', `/repos/${FULL}`)
      .catch((e: unknown) => e);
    expect(integrationRetry(err)).toEqual({ retryable: true, retryAfterMs: 60_000 });
  });

  it('a plain 403 is an auth failure, not a rate limit; 404 and 5xx map like the other clients', async () => {
    stub.failNext({ status: 403, body: { message: 'Resource not accessible by integration' } });
    const c = client();
    const denied = await c.request('GET', `/repos/${FULL}`).catch((e: unknown) => e);
    expect(isOrchError(denied, 'GITHUB_AUTH_FAILED')).toBe(true);
    const missing = await c
      .request('GET', '/repos/acme/nope', { errorPrefix: 'TRACKER' })
      .catch((e: unknown) => e);
    expect(isOrchError(missing, 'TRACKER_NOT_FOUND')).toBe(true);
    stub.failNext({ status: 502, body: { message: 'bad gateway' } });
    const down = await c.request('GET', `/repos/${FULL}`).catch((e: unknown) => e);
    expect(isOrchError(down, 'GITHUB_UNAVAILABLE')).toBe(true);
    expect(integrationRetry(down).retryable).toBe(true);
    expect(String((down as Error).message)).not.toContain(stub.token);
  });

  it('warns once when under 5 % of the quota is left, never logging the token', async () => {
    stub.quota = { limit: 5000, remaining: 100, resetSec: 2_000_000_000 };
    const c = client();
    await c.request('GET', `/repos/${FULL}`);
    await c.request('GET', `/repos/${FULL}`);
    const warnings = lines.filter((l) => l.includes('quota nearly used up'));
    expect(warnings).toHaveLength(1);
    expect(lines.join('')).not.toContain(stub.token);
  });

  it('sends the API version, GitHub media type and a User-Agent', async () => {
    await tokenClient(stub, { userAgent: 'orch-test' }).request('GET', `/repos/${FULL}`);
    const h = stub.requests.at(-1)!.headers;
    expect(h['x-github-api-version']).toBe('2022-11-28');
    expect(h.accept).toBe('application/vnd.github+json');
    expect(h['user-agent']).toBe('orch-test');
    expect(h.authorization).toBe(`Bearer ${stub.token}`);
  });
});
