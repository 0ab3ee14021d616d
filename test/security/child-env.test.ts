import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { agentBaseEnv, childBaseEnv } from '../../src/config/child-env.js';
import { secretMasker, secretValues } from '../../src/config/secret-masker.js';
import { basicAuthorization, registerGitCredential } from '../../src/git/git-auth.js';
import { fakeRole, makeHarness, type Harness } from '../agents/agent-harness.js';
import { describeEachDialect } from '../helpers/test-db.js';
import { dashboardEnv } from '../http/dashboard-env.js';
import { ADMIN } from '../http/http-helpers.js';

/** Orch's secrets, as an operator's environment would hold them. */
const SECRETS = {
  ORCH_ADMIN_TOKEN: 'admin-secret-5f2c9a7e1b',
  ORCH_VIEWER_TOKEN: 'viewer-secret-8d3e0c4a',
  ORCH_DB_URL: 'postgres://orch:db-pass-71c0e2@db.internal:5432/orch',
  ORCH_PLANE_API_TOKEN: 'plane-secret-0a9b8c7d',
  ORCH_PLANE_WEBHOOK_SECRET: 'plane-hook-secret-1234',
  ORCH_GITEA_TOKEN: 'gitea-secret-6e5f4d3c',
  ORCH_GITEA_WEBHOOK_SECRET: 'gitea-hook-secret-5678',
  ORCH_TELEGRAM_BOT_TOKEN: '123456:telegram-secret-AbCdEf',
  ORCH_GITHUB_TOKEN: 'ghp_github-secret-9f8e7d6c',
  ORCH_GITHUB_WEBHOOK_SECRET: 'github-hook-secret-2468',
  ORCH_GITHUB_APP_PRIVATE_KEY:
    '-----BEGIN RSA PRIVATE KEY-----\nMIIEgithubappkeyline1secret\n-----END RSA PRIVATE KEY-----',
};
/** Host variables that are not Orch's but must not reach agents either. */
const HOST = {
  IS_SANDBOX: '1',
  DATABASE_URL: 'postgres://app:host-db-pass-99@h/db',
  PGPASSWORD: 'pg-password-abc',
  GITEA_TOKEN: 'other-gitea-token-xyz',
  GITHUB_TOKEN: 'ghp_host-github-token-abc',
  GH_TOKEN: 'gho_host-gh-cli-token-def',
};
/** Values that must appear nowhere (IS_SANDBOX's "1" is checked by name instead). */
const SECRET_VALUES = [
  ...Object.values(SECRETS),
  'db-pass-71c0e2',
  HOST.DATABASE_URL,
  HOST.PGPASSWORD,
  HOST.GITEA_TOKEN,
  HOST.GITHUB_TOKEN,
  HOST.GH_TOKEN,
];

describe('child environments', () => {
  it('gives test commands the base allowlist only, and agents their CLI credentials too', () => {
    const parent = {
      ...SECRETS,
      ...HOST,
      PATH: '/usr/bin',
      HOME: '/home/orch',
      LANG: 'C.UTF-8',
      LC_ALL: 'C.UTF-8',
      TMPDIR: '/tmp',
      ANTHROPIC_API_KEY: 'sk-ant-agent-key',
      ORCH_SIM_SCENARIO: 'happy',
    };
    expect(childBaseEnv(parent)).toEqual({
      PATH: '/usr/bin',
      HOME: '/home/orch',
      LANG: 'C.UTF-8',
      LC_ALL: 'C.UTF-8',
      TMPDIR: '/tmp',
      ORCH_SIM_SCENARIO: 'happy',
    });
    expect(agentBaseEnv(parent)).toEqual({
      ...childBaseEnv(parent),
      ANTHROPIC_API_KEY: 'sk-ant-agent-key',
    });
  });

  it('masks every configured secret, the database URL whole and its password alone', () => {
    const mask = secretMasker(secretValues(SECRETS));
    const text = [
      `admin ${SECRETS.ORCH_ADMIN_TOKEN}`,
      `url ${SECRETS.ORCH_DB_URL}`,
      'pw db-pass-71c0e2',
      `bot ${SECRETS.ORCH_TELEGRAM_BOT_TOKEN}`,
    ].join('\n');
    expect(mask(text)).toBe('admin [masked]\nurl [masked]\npw [masked]\nbot [masked]');
    expect(mask('nothing secret here')).toBe('nothing secret here');
    // git's Authorization header for the GitHub token, should git ever quote it
    const basic = basicAuthorization('x-access-token', SECRETS.ORCH_GITHUB_TOKEN);
    expect(mask(`AUTHORIZATION: ${basic}`)).toBe('AUTHORIZATION: Basic [masked]');
  });
});

describeEachDialect('agents and test commands get no Orch secret', ({ current }) => {
  let h: Harness | undefined;
  let env: Awaited<ReturnType<typeof dashboardEnv>> | undefined;
  afterEach(async () => {
    h?.cleanup();
    h = undefined;
    await env?.app.close();
    env = undefined;
    vi.unstubAllEnvs();
  });

  it('an agent process sees the allowlist, its profile env and the per-run ids, nothing else', async () => {
    // Orch's own git commands hold a forge token (src/git/git-auth.ts); an agent never does.
    const gitToken = 'ghs_installation-token-3c2b1a';
    const unregister = registerGitCredential('https://github.example/acme/', {
      username: 'x-access-token',
      token: () => gitToken,
    });
    h = makeHarness(current().db, {
      agents: {
        roles: {
          developer: fakeRole('env_dump', {
            env: { FAKE_SCENARIO: 'env_dump', MY_TOOL_FLAG: 'on' },
          }),
        },
      },
      parentEnv: {
        ...SECRETS,
        ...HOST,
        // as a host might set them: env-only git config is not in the allowlist either
        GIT_CONFIG_COUNT: '1',
        GIT_CONFIG_KEY_0: 'http.https://github.example/.extraheader',
        GIT_CONFIG_VALUE_0: `AUTHORIZATION: ${basicAuthorization('x-access-token', gitToken)}`,
      },
    });
    const { job } = await h.enqueue('developer');
    await h.tick();
    const [run] = await h.runs.listForJob(job.id);
    const dump = readFileSync(run!.logPath, 'utf8');
    unregister();
    const names = [...dump.matchAll(/^ENV ([^=]+)=/gm)].map((m) => m[1]!);
    expect(names).toEqual(expect.arrayContaining(['PATH', 'MY_TOOL_FLAG', 'ORCH_JOB_ID']));
    for (const value of SECRET_VALUES) expect(dump).not.toContain(value);
    expect(names.filter((n) => n.startsWith('GIT_CONFIG'))).toEqual([]);
    expect(dump).not.toContain(gitToken);
    expect(dump).not.toContain(basicAuthorization('x-access-token', gitToken).slice(6));
    expect(names.filter((n) => n.startsWith('ORCH_')).sort()).toEqual(
      expect.arrayContaining(['ORCH_ATTEMPT', 'ORCH_JOB_ID', 'ORCH_ROLE', 'ORCH_RUN_ID']),
    );
    const orchNames = names.filter((n) => n.startsWith('ORCH_') && !n.startsWith('ORCH_SIM_'));
    expect(orchNames.sort()).toEqual([
      'ORCH_ATTEMPT',
      'ORCH_JOB_ID',
      'ORCH_ROLE',
      'ORCH_RUN_ID',
      'ORCH_TASK_FILE',
      'ORCH_WORKTREE',
    ]);
    expect(names).not.toContain('IS_SANDBOX');
  });

  it('the tests-local gate runs the repo tests without Orch secrets and stores their output masked', async () => {
    for (const [k, v] of Object.entries({ ...SECRETS, ...HOST })) vi.stubEnv(k, v);
    const mask = secretMasker(secretValues(SECRETS));
    env = await dashboardEnv(current().db, {}, { mask });
    const { task } = await env.newItem();
    await env.workspace.ensure(task, env.project);
    const wt = env.worktree(task);
    // The (agent-written) test suite dumps its environment and prints a token it found somewhere.
    writeFileSync(
      join(wt, 'test.sh'),
      `env | sed 's/^/ENV /'\necho "found ${SECRETS.ORCH_ADMIN_TOKEN} in a file"\nexit 1\n`,
    );
    const result = await env.core.deps.gates.evaluate('check_tests_local', {
      workItemId: task.workItemId,
      taskId: task.id,
      repo: 'demo',
      branch: task.branch,
      baseBranch: 'main',
      worktree: wt,
      testCommand: ['sh', 'test.sh'],
      testTimeoutMs: 20_000,
      forge: env.forge,
    });
    expect(result.passed).toBe(false);
    expect(result.evidence).toContain('ENV PATH=');
    expect(result.evidence).toContain('found [masked] in a file');
    await env.tasks.addGateResult(current().db, task.id, task.stage, {
      ...result,
      evidence: result.evidence ?? null,
      evaluatedAtMs: 1,
    });
    const [stored] = await env.tasks.gateResults(task.id);
    const served = await env.app.inject({ url: `/api/tasks/${task.id}`, headers: ADMIN });
    for (const text of [stored!.evidence!, served.body]) {
      for (const value of SECRET_VALUES) expect(text).not.toContain(value);
      expect(text).not.toMatch(/ENV (ORCH_|IS_SANDBOX|DATABASE_URL|PGPASSWORD)/);
    }
    expect(stored!.evidence).toContain('found [masked] in a file');
  });

  it('the log API masks a secret an agent printed', async () => {
    env = await dashboardEnv(current().db, { mask: secretMasker(secretValues(SECRETS)) });
    const run = await env.agentRun(null);
    writeFileSync(run.logPath, `token is ${SECRETS.ORCH_GITEA_TOKEN}\n`);
    const res = await env.app.inject({ url: `/api/runs/${run.id}/log`, headers: ADMIN });
    expect(res.json()).toMatchObject({ lines: ['token is [masked]'] });
    const stream = await env.app.inject({ url: `/api/runs/${run.id}/log/stream`, headers: ADMIN });
    expect(stream.body).toContain('data: token is [masked]');
    expect(stream.body).not.toContain(SECRETS.ORCH_GITEA_TOKEN);
  });
});
