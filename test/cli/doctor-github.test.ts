import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkWebhookSecrets } from '../../src/cli/doctor-checks.js';
import { checkGithubProjects } from '../../src/cli/doctor-github.js';
import { integrationSettings } from '../../src/config/integrations.js';
import { parseEnv } from '../../src/config/env.js';
import { parseProjects } from '../../src/config/projects.js';
import { GithubClient } from '../../src/integrations/github/github-client.js';
import { GithubStub } from '../helpers/stubs/github-stub.js';

const projects = parseProjects([
  {
    key: 'GH',
    repo: 'trails',
    tracker: { kind: 'github', repo: 'acme/trails' },
    forge: { kind: 'github', repo: 'acme/trails' },
  },
]).projects;

describe('orch doctor on GitHub', () => {
  let gh: GithubStub;

  beforeAll(async () => {
    gh = await new GithubStub().start();
    gh.addRepo('acme/trails');
  });

  afterAll(async () => {
    await gh.close();
  });

  const settings = (token: string, secret = 'github-hook-secret-0123') =>
    integrationSettings(
      parseEnv({
        ORCH_GITHUB_TOKEN: token,
        ORCH_GITHUB_API_URL: gh.url,
        ORCH_GITHUB_WEBHOOK_SECRET: secret,
      }),
    );
  const client = (token: string) =>
    new GithubClient({
      apiUrl: gh.url,
      auth: { kind: 'token', token },
      rateLimit: { maxRetries: 0, maxWaitMs: 0 },
    });

  it('passes with a good token that may push, merge and write issues on the repository', async () => {
    const checks = await checkGithubProjects(settings(gh.token).github, client(gh.token), projects);
    expect(checks.length).toBeGreaterThan(1);
    expect(checks.filter((c) => c.status !== 'ok')).toEqual([]);
    expect(JSON.stringify(checks)).not.toContain(gh.token);
  });

  it('fails on a bad token, saying so without printing it', async () => {
    const bad = 'ghp_not-a-real-token-123';
    const checks = await checkGithubProjects(settings(bad).github, client(bad), projects);
    expect(checks.find((c) => c.name === 'github auth')).toMatchObject({ status: 'fail' });
    expect(JSON.stringify(checks)).not.toContain(bad);
  });

  it('fails without credentials, and skips when no project uses GitHub', async () => {
    const none = integrationSettings(parseEnv({}));
    expect(await checkGithubProjects(none.github, null, projects)).toEqual([
      {
        name: 'github',
        status: 'fail',
        detail: expect.stringContaining('ORCH_GITHUB_TOKEN') as unknown,
      },
    ]);
    expect(await checkGithubProjects(none.github, null, [])).toMatchObject([{ status: 'skip' }]);
  });

  it('wants a webhook secret of at least 16 characters when a project uses GitHub', () => {
    const line = (secret: string) =>
      checkWebhookSecrets(settings(gh.token, secret), projects).find(
        (c) => c.name === 'webhook secret github',
      );
    expect(line('github-hook-secret-0123')).toMatchObject({ status: 'ok' });
    expect(line('short')).toMatchObject({
      status: 'fail',
      detail: expect.stringMatching(/at least 16/) as unknown,
    });
    expect(line('')).toMatchObject({
      status: 'fail',
      detail: expect.stringMatching(/is not set/) as unknown,
    });
  });
});
