import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { silentLogger } from '../../src/log.js';
import { gitWorkflowReader, WorkflowRegistry } from '../../src/pipeline/workflow-registry.js';
import { ANALYSIS, pipelineEnv } from '../helpers/pipeline-env.js';
import { describeEachDialect } from '../helpers/test-db.js';

type Env = Awaited<ReturnType<typeof pipelineEnv>>;

const WORKFLOW = `---
testCommand: [sh, -c, 'echo workflow tests']
---
## developer
WF-DEV {{work_item.id}} "{{ work_item.title }}" in {{stage}}, attempt [{{attempt}}].
{{findings}}
`;

/** Commits the workflow file to the project's base branch on the forge (a person's edit). */
function commitWorkflow(env: Env, text: string): void {
  const dir = mkdtempSync(join(tmpdir(), 'orch-wf-edit-'));
  const g = (...a: string[]) => execFileSync('git', a, { cwd: dir, stdio: 'pipe' });
  g('clone', '-q', env.forge.cloneUrl('demo'), '.');
  mkdirSync(join(dir, '.orch'), { recursive: true });
  writeFileSync(join(dir, '.orch', 'workflow.md'), text);
  g('add', '-f', '-A');
  g('-c', 'user.name=o', '-c', 'user.email=o@o', 'commit', '-q', '-m', 'workflow');
  g('push', '-q', 'origin', 'HEAD:main');
}

/** The prompt of the task's newest queued job for `role`. */
async function queuedPrompt(env: Env, taskId: number, role: string): Promise<string> {
  const jobs = await env.admin.list({ taskId, status: 'queued' });
  const job = jobs
    .filter((j) => j.kind === role)
    .sort((a, b) => a.id - b.id)
    .at(-1);
  expect(job, `a queued ${role} job`).toBeDefined();
  return (job!.payload as { prompt: string }).prompt;
}

describeEachDialect('workflow file prompts', ({ current }) => {
  it("puts the workflow's rendered developer template into the developer's job, also on a rollback", async () => {
    // The registry reads through the env's clones, so it is made after the env that asks it.
    const late: { registry?: WorkflowRegistry } = {};
    const env = await pipelineEnv(current().db, {
      workflows: { current: (key) => late.registry?.current(key) },
    });
    commitWorkflow(env, WORKFLOW);
    const registry = new WorkflowRegistry({
      sources: () => [{ key: 'ET', cloneUrl: env.forge.cloneUrl('demo'), baseBranch: 'main' }],
      read: gitWorkflowReader(env.worktrees),
      clock: env.clock,
      log: silentLogger,
      intervalMs: 60_000,
    });
    late.registry = registry;
    await registry.runOnce();
    expect(registry.status().ET).toMatchObject({ state: 'ok', error: null });

    const { task } = await env.newItem('GPX export');
    // No analyst section: the analyst keeps the built-in ask.
    expect(await queuedPrompt(env, task.id, 'analyst')).toContain('Write 01-brd.md');
    await env.agent(task.id, 'analyst', ANALYSIS(env));
    await env.pipeline.approve(task.id, 'alice');
    await env.agent(task.id, 'architect', (t) => env.artifact(t, '06-adr/ADR-001.md', '# ADR\n'));

    const dev = await queuedPrompt(env, task.id, 'developer');
    expect(dev).toContain(`Work item: ${task.workItemId}\nTitle: GPX export\n`);
    expect(dev).toContain('Stage: development\n');
    expect(dev).toContain(`WF-DEV ${task.workItemId} "GPX export" in development, attempt [].`);
    expect(dev).not.toContain('Implement the work item with tests');
    // The gates run the workflow's test command instead of the project's.
    const ctx = await env.core.gateContext(await env.task(task.id));
    expect(ctx.testCommand).toEqual(['sh', '-c', 'echo workflow tests']);

    await env.agent(task.id, 'developer', (t) => env.file(t, 'gpx.txt', 'gpx\n'));
    await env.agent(task.id, 'reviewer', (t) =>
      env.artifact(
        t,
        '12-review.md',
        '---\nverdict: REQUEST_CHANGES\n---\n## Findings\n- FINDING-42: no GPX schema check\n',
      ),
    );
    const retry = await queuedPrompt(env, task.id, 'developer');
    expect(retry).toContain(
      `WF-DEV ${task.workItemId} "GPX export" in development, attempt [1/3].`,
    );
    expect(retry).toContain('FINDING-42');
    // Placed by the template, so not repeated after it.
    expect(retry.split('FINDING-42').length).toBe(2);
  });
});
