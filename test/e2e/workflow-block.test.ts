import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { serverForRuntime } from '../../src/http/runtime-server.js';
import type { Runtime } from '../../src/runtime.js';
import { describeEachDialect } from '../helpers/test-db.js';
import { fileItem, matrixRuntime } from './failure-matrix-harness.js';

/** Commits `.orch/workflow.md` to the base branch of a repository of the runtime's local forge. */
function commitWorkflow(rt: Runtime, repo: string, text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'orch-wf-block-'));
  const g = (...a: string[]) => execFileSync('git', a, { cwd: dir, encoding: 'utf8' }).trim();
  g('clone', '-q', rt.forge.cloneUrl(repo), '.');
  mkdirSync(join(dir, '.orch'), { recursive: true });
  writeFileSync(join(dir, '.orch', 'workflow.md'), text);
  g('add', '-f', '-A');
  g('-c', 'user.name=o', '-c', 'user.email=o@o', 'commit', '-q', '-m', 'workflow');
  g('push', '-q', 'origin', 'HEAD:main');
  return g('rev-parse', 'HEAD');
}

/**
 * The runtime wires the workflow files in: the analyst's job of a new item gets the workflow's
 * template, a bad edit keeps it in use, and `/queue` shows each project's file in `workflow`.
 */
describeEachDialect('workflow files on a runtime', ({ current }) => {
  let rt: Runtime | undefined;
  afterEach(async () => {
    await rt?.stop();
    rt = undefined;
  });

  it('uses the last valid workflow after a bad edit and shows the error in /queue', async () => {
    const setup = await matrixRuntime(
      current().url,
      [
        { key: 'WA', scenario: {} },
        { key: 'WB', scenario: {} },
      ],
      {
        env: { ORCH_ADMIN_TOKEN: 'wf-admin-token' },
      },
    );
    rt = setup.rt;
    const good = commitWorkflow(rt, 'wa', '## analyst\nWF-ANALYST {{work_item.id}}\n');
    await rt.workflows.runOnce();
    const bad = commitWorkflow(rt, 'wa', '## analyst\nWF-ANALYST {{work_item.idd}}\n');
    await rt.workflows.runOnce();

    const task = await fileItem(rt, 'WA');
    const [job] = await rt.admin.list({ taskId: task.id, status: 'queued' });
    expect((job!.payload as { prompt: string }).prompt).toContain(`WF-ANALYST ${task.workItemId}`);

    const app = serverForRuntime(rt);
    const res = await app.inject({
      method: 'GET',
      url: '/queue',
      headers: { authorization: 'Bearer wf-admin-token' },
    });
    await app.close();
    expect(res.statusCode).toBe(200);
    const block = res.json<{ workflow: { projects: Record<string, unknown> } }>().workflow;
    expect(block).toMatchObject({ path: '.orch/workflow.md', refresh_ms: 5000 });
    expect(block.projects.WA).toMatchObject({
      state: 'invalid',
      sha: good,
      error: { sha: bad, message: expect.stringContaining('"{{work_item.idd}}"') as string },
    });
    expect(block.projects.WB).toEqual({
      state: 'none',
      sha: null,
      loaded_at_ms: expect.any(Number) as number,
      error: null,
    });
  });
});
