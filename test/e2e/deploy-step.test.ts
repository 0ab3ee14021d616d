import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync, readFileSync } from 'node:fs';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { describeEachDialect } from '../helpers/test-db.js';
import { fileItem, matrixRuntime, type Scenario, waitForTask } from './failure-matrix-harness.js';

/**
 * Deploy stages that deploy (issue 16): the project's staging and production commands run after
 * the deployer agent, then a health check against a real HTTP server; Orch writes the stage logs
 * itself. A production deploy whose health check fails is Blocked, never done.
 */
let server: Server;
let healthy = true;
let probes = 0;
let url = '';

beforeEach(async () => {
  healthy = true;
  probes = 0;
  server = createServer((_req, res) => {
    probes++;
    res.writeHead(healthy ? 200 : 503, { 'content-type': 'text/plain' });
    res.end(healthy ? 'status: ok' : 'status: down');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/health`;
});

afterEach(async () => {
  await new Promise((r) => server.close(r));
});

const project = (): Scenario => ({
  key: 'DP',
  scenario: {},
  maxDeveloperRetries: 0,
  labels: { tracks: { ship: 'ship' }, autoApprove: ['ship'] },
  tracks: { ship: ['created', 'analysis', 'development', 'deploy-staging', 'deploy', 'done'] },
  deploy: {
    staging: {
      command: ['node', '-e', 'console.log("staging rollout of", process.cwd().length > 0)'],
      timeoutMs: 30_000,
      health: { url, status: 200, body: 'status: ok', retries: 0, intervalMs: 0, timeoutMs: 5000 },
    },
    production: {
      command: ['node', '-e', 'console.log("production rollout")'],
      timeoutMs: 30_000,
      health: { url, status: 200, body: 'status: ok', retries: 2, intervalMs: 50, timeoutMs: 5000 },
    },
  },
});

describeEachDialect('deploy stages with a command and a health check', ({ current }) => {
  it('deploys, checks health, writes the logs itself; an unhealthy production is not done', async () => {
    const { rt } = await matrixRuntime(current().url, [project()]);
    try {
      await rt.start({ daemons: false });
      const a = await fileItem(rt, 'DP', ['ship']);
      await waitForTask(rt, a.id, (t) => t.state === 'done', 150_000);
      const worktree = await rt.workspace.ensure(a, rt.projects.get('DP'));
      const staging = readFileSync(
        `${worktree}/docs/work-items/${a.workItemId}/15-staging-log.md`,
        'utf8',
      );
      expect(staging).toMatch(/^---\nstaging_status: SUCCESS\nwritten_by: orch\n/);
      expect(staging).toContain('staging rollout of true');
      expect(staging).toContain('healthy after 1 probe(s)');

      // Production goes down: the deploy stage's health check fails after its retries.
      const b = await fileItem(rt, 'DP', ['ship']);
      await waitForTask(rt, b.id, (t) => t.stage === 'deploy', 150_000);
      healthy = false;
      const before = probes;
      const blocked = await waitForTask(rt, b.id, (t) => t.state === 'blocked', 150_000);
      expect(blocked.stage).toBe('deploy');
      expect(blocked.lastError).toContain('check_deploy_status failed in deploy');
      // The reason says what failed, not only the verdict field.
      expect(blocked.lastError).toContain('health check http://');
      expect(blocked.lastError).toContain('HTTP 503 (expected 200)');
      expect(probes - before).toBe(3); // one probe and two retries
      const wt = await rt.workspace.ensure(b, rt.projects.get('DP'));
      const log = readFileSync(`${wt}/docs/work-items/${b.workItemId}/14-deploy-log.md`, 'utf8');
      expect(log).toMatch(/^---\ndeploy_status: FAILED\nwritten_by: orch\n/);
      expect(log).toContain('HTTP 503 (expected 200)');
    } finally {
      await rt.stop();
    }
  }, 300_000);

  it('never deploys to production what was not merged: a track without deploy-staging is Blocked', async () => {
    const hotfix: Scenario = {
      ...project(),
      key: 'HF',
      tracks: { ship: ['created', 'analysis', 'development', 'deploy', 'done'] },
    };
    const { rt } = await matrixRuntime(current().url, [hotfix]);
    try {
      await rt.start({ daemons: false });
      const before = probes;
      const t = await fileItem(rt, 'HF', ['ship']);
      const blocked = await waitForTask(rt, t.id, (x) => x.state === 'blocked', 150_000);
      expect(blocked.stage).toBe('deploy');
      expect(blocked.lastError).toMatch(/^not merged: production deploys only merged code/);
      expect(probes).toBe(before); // the production step never ran
      const wt = await rt.workspace.ensure(t, rt.projects.get('HF'));
      const logPath = `${wt}/docs/work-items/${t.workItemId}/14-deploy-log.md`;
      expect(existsSync(logPath) && readFileSync(logPath, 'utf8')).not.toMatch(/written_by: orch/);
    } finally {
      await rt.stop();
    }
  }, 300_000);
});
