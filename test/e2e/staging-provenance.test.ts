import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { describeEachDialect } from '../helpers/test-db.js';
import {
  fileItem,
  matrixRuntime,
  remoteHead,
  type Scenario,
  waitForTask,
} from './failure-matrix-harness.js';

/**
 * Staging provenance (ORCH-058) end to end: the project's staging reports its revision as JSON on
 * a real HTTP server; the runtime's merge gate reads `build.sha` before merging. A staging that
 * runs another revision stops the merge (nothing lands, the item ends Blocked with the reason);
 * one that runs the branch head lets the item through to done.
 */
const STALE = '1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b';
let server: Server;
let url = '';
let reported: () => string = () => STALE;
let asked = 0;

beforeEach(async () => {
  reported = () => STALE;
  asked = 0;
  server = createServer((_req, res) => {
    asked++;
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ service: 'trails', build: { sha: reported() } }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/version`;
});

afterEach(async () => {
  await new Promise((r) => server.close(r));
});

const project = (): Scenario => ({
  key: 'PV',
  scenario: {},
  maxDeveloperRetries: 0,
  labels: { tracks: { ship: 'ship' }, autoApprove: ['ship'] },
  tracks: { ship: ['created', 'analysis', 'development', 'deploy-staging', 'deploy', 'done'] },
  deploy: {
    // No staging command: the deployer agent deploys, Orch only verifies what staging runs.
    staging: {
      timeoutMs: 30_000,
      provenance: { kind: 'url', url, jsonField: 'build.sha', timeoutMs: 5000 },
    },
  },
});

describeEachDialect('staging provenance before the merge', ({ current }) => {
  it('blocks an item whose staging runs another revision, unmerged; merges one that runs the head', async () => {
    const { rt } = await matrixRuntime(current().url, [project()]);
    try {
      await rt.start({ daemons: false });
      const mainBefore = remoteHead(rt, 'pv', 'main');

      // Staging is stale: the merge gate stops before merging; no retries left → Blocked.
      const a = await fileItem(rt, 'PV', ['ship']);
      const blocked = await waitForTask(
        rt,
        a.id,
        (t) => t.state === 'blocked' || t.state === 'done',
        150_000,
      );
      expect(blocked).toMatchObject({ stage: 'deploy-staging', state: 'blocked' });
      expect(blocked.lastError).toContain('Staging provenance FAILED');
      const failed = (await rt.tasks.gateResults(a.id)).at(-1)!;
      const head = remoteHead(rt, 'pv', a.branch)!;
      expect(failed).toMatchObject({
        gate: 'staging_provenance',
        passed: false,
        reason: `staging provenance: staging runs 1a2b3c4… but the branch head is ${head.slice(0, 7)}…`,
      });
      expect(asked).toBe(1);
      expect((await rt.forge.findPullRequest('pv', a.branch))?.merged).toBe(false);
      expect(remoteHead(rt, 'pv', 'main')).toBe(mainBefore);

      // Staging runs the branch head (as pushed to the forge): merged, then done.
      const b = await fileItem(rt, 'PV', ['ship']);
      reported = () => remoteHead(rt, 'pv', b.branch) ?? 'none';
      const done = await waitForTask(
        rt,
        b.id,
        (t) => t.state === 'done' || t.state === 'blocked',
        150_000,
      );
      expect(done.state).toBe('done');
      const merge = (await rt.tasks.gateResults(b.id)).find((g) => g.gate === 'merge_gate')!;
      expect(merge.passed).toBe(true);
      expect(merge.reason).toMatch(/\(staging provenance verified at [0-9a-f]{7}\)$/);
      expect((await rt.forge.findPullRequest('pv', b.branch))?.merged).toBe(true);
      expect(remoteHead(rt, 'pv', 'main')).not.toBe(mainBefore);
    } finally {
      await rt.stop();
    }
  }, 300_000);
});
