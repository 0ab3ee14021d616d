import { expect, it } from 'vitest';
import type { Budget } from '../../src/config/budget.js';
import { createProjectsConfig, projectSchema } from '../../src/config/projects.js';
import { itemBudgetGate } from '../../src/pipeline/item-budget.js';
import type { Workflow } from '../../src/pipeline/workflow-file.js';
import { AgentRunStore } from '../../src/store/agent-runs/agent-run-store.js';
import { pipelineEnv } from '../helpers/pipeline-env.js';
import { describeEachDialect } from '../helpers/test-db.js';

/** The workflow file's `budget:` overrides the project's, and applies with none configured. */
describeEachDialect('workflow file budget', ({ current }) => {
  async function setup(project: Budget | undefined, workflow: Workflow | undefined) {
    const { db } = current();
    const env = await pipelineEnv(db);
    const runs = new AgentRunStore(db);
    const projects = createProjectsConfig([
      projectSchema.parse({ key: 'ET', repo: 'demo', budget: project }),
    ]);
    const { task, jobId } = await env.newItem();
    const run = await runs.create({
      jobId: jobId!,
      taskId: task.id,
      attempt: 1,
      kind: 'analyst',
      adapter: 'claude-code',
      startedAtMs: env.clock.now(),
    });
    await runs.finish(run.id, {
      finishedAtMs: env.clock.now(),
      exitCode: 0,
      outcome: 'success',
      isError: false,
      subtype: 'success',
      sessionId: null,
      costUsd: 1.2,
      inputTokens: null,
      outputTokens: null,
      killReason: null,
      error: null,
    });
    const workflows = { current: (key: string) => (key === 'ET' ? workflow : undefined) };
    const gate = itemBudgetGate({ core: env.core, runs, global: undefined, projects, workflows });
    const job = (await env.admin.list({ taskId: task.id }))[0]!;
    return { gate, job };
  }

  it("blocks on the workflow's perItemUsd over the project's", async () => {
    const { gate, job } = await setup(
      { perItemUsd: 10 },
      { templates: {}, budget: { perItemUsd: 1 } },
    );
    expect(await gate!.check(job)).toMatchObject({ kind: 'item_exhausted', limitUsd: 1 });
  });

  it('checks a workflow budget even when orch.config.yaml sets none, and passes without one', async () => {
    const limited = await setup(undefined, { templates: {}, budget: { perItemUsd: 1 } });
    expect(limited.gate).not.toBeNull();
    expect(await limited.gate!.check(limited.job)).toMatchObject({ kind: 'item_exhausted' });
    const free = await setup(undefined, undefined);
    expect(await free.gate!.check(free.job)).toMatchObject({ kind: 'ok' });
  });
});
