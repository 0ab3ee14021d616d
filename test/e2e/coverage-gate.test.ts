import { expect, it } from 'vitest';
import { serverForRuntime } from '../../src/http/runtime-server.js';
import { describeEachDialect } from '../helpers/test-db.js';
import {
  APPROVER,
  commitOnMain,
  fileItem,
  matrixRuntime,
  type Scenario,
  waitForTask,
} from './failure-matrix-harness.js';

/**
 * Coverage gate with ratchet (issue 16, ORCH-027), measured for real: the project's test command
 * is Node's own test runner writing an lcov report, so the numbers are what the code's tests
 * cover. A done item sets the baseline; code nobody tests makes the next item's coverage drop and
 * its development gate fail with both numbers; after an operator lowers the baseline the item
 * passes, and being done raises the baseline to what it measured.
 */
const PROJECT: Scenario = {
  key: 'CV',
  scenario: {},
  maxDeveloperRetries: 0,
  labels: { tracks: { quick: 'quick' }, autoApprove: ['quick'] },
  tracks: { quick: ['created', 'analysis', 'development', 'deploy-staging', 'done'] },
  testCommand: [
    'node',
    '--test',
    '--experimental-test-coverage',
    '--test-reporter=spec',
    '--test-reporter-destination=stdout',
    '--test-reporter=lcov',
    '--test-reporter-destination=lcov.info',
  ],
  coverage: { report: 'lcov.info', format: 'auto', policy: 'ratchet', epsilon: 0.5, floor: 0 },
};

describeEachDialect('coverage gate', ({ current }) => {
  it('a drop fails the gate with both numbers; a done item raises the baseline', async () => {
    const { rt } = await matrixRuntime(current().url, [PROJECT], {
      env: { ORCH_ADMIN_TOKEN: 'coverage-admin-token' },
    });
    const app = serverForRuntime(rt);
    const auth = { authorization: 'Bearer coverage-admin-token' };
    const baseline = async () =>
      (await app.inject({ method: 'GET', url: '/coverage/baseline?repo=cv', headers: auth })).json<{
        baseline: { pct: number; set_by: string } | null;
      }>().baseline;
    // The ratchet moves just after the item's done transition commits, so read it once it has.
    const baselineSetBy = async (workItemId: string) => {
      const deadline = Date.now() + 30_000;
      for (;;) {
        const b = await baseline();
        if (b?.set_by === workItemId || Date.now() > deadline) return b;
        await new Promise((r) => setTimeout(r, 100));
      }
    };
    try {
      await rt.start({ daemons: false });
      expect(await baseline()).toBeNull();
      const a = await fileItem(rt, 'CV', ['quick']);
      await waitForTask(rt, a.id, (t) => t.state === 'done');
      expect(await baselineSetBy(a.workItemId)).toEqual({
        pct: 100,
        set_by: a.workItemId,
        updated_at: expect.any(String) as string,
      });

      // Someone lands code no test covers in a module the tests load; the next item measures
      // less than the baseline.
      commitOnMain(rt, 'cv', {
        'src/trails.js':
          'export function distanceKm(points) {\n  return points.reduce((sum, p) => sum + p.km, 0);\n}\n' +
          'export function miles(km) {\n  if (km < 0) {\n    throw new Error("negative");\n  }\n  return km * 0.621371;\n}\n',
      });
      const b = await fileItem(rt, 'CV', ['quick']);
      const blocked = await waitForTask(rt, b.id, (t) => t.state === 'blocked');
      const gates = await rt.tasks.gateResults(b.id);
      const failed = gates.filter((g) => g.gate === 'check_tests_local' && !g.passed).at(-1)!;
      expect(failed.reason).toMatch(
        /coverage dropped from 100% to (\d+(\.\d+)?)% \(more than 0\.5 points/,
      );
      const measured = Number(/to ([\d.]+)%/.exec(failed.reason)![1]);
      expect(measured).toBeLessThan(100);
      expect(blocked.lastError).toContain('coverage dropped');
      expect((await baseline())!.pct).toBe(100);

      // An operator accepts the lower coverage; the item then passes, and its measurement becomes
      // the baseline when it is done (the ratchet only raises).
      const set = await app.inject({
        method: 'POST',
        url: '/coverage/baseline?repo=cv&pct=50&by=bob',
        headers: auth,
      });
      expect(set.statusCode).toBe(200);
      expect((await baseline())!).toMatchObject({ pct: 50, set_by: 'bob' });
      await rt.pipeline.resume(b.id, { by: APPROVER });
      await waitForTask(rt, b.id, (t) => t.state === 'done');
      expect(await baselineSetBy(b.workItemId)).toMatchObject({
        pct: measured,
        set_by: b.workItemId,
      });
      const queue = await app.inject({ method: 'GET', url: '/queue', headers: auth });
      const block = queue.json<{ coverage: { baselines: { repo: string; pct: number }[] } }>()
        .coverage;
      expect(block.baselines).toEqual([expect.objectContaining({ repo: 'cv', pct: measured })]);
      const bad = await app.inject({
        method: 'POST',
        url: '/coverage/baseline?repo=cv&pct=101',
        headers: auth,
      });
      expect(bad.statusCode).toBe(400);
      const unknown = await app.inject({
        method: 'POST',
        url: '/coverage/baseline?repo=nosuch&pct=80',
        headers: auth,
      });
      expect([unknown.statusCode, unknown.json<{ error: { code: string } }>().error.code]).toEqual([
        404,
        'REPO_NOT_FOUND',
      ]);
    } finally {
      await app.close();
      await rt.stop();
    }
  }, 300_000);
});
