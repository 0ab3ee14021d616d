import { expect, it } from 'vitest';
import { parseWorkflowFile, type Workflow } from '../../src/pipeline/workflow-file.js';
import { ANALYSIS, pipelineEnv } from '../helpers/pipeline-env.js';
import { describeEachDialect } from '../helpers/test-db.js';

/** A workflow file's `pipeline:` replaces the project's stage machine for its items. */
const NO_ARCHITECTURE = `---
pipeline:
  tracks:
    full: [created, analysis, development, review, testing, deploy-staging, deploy, done]
---
`;

describeEachDialect('workflow file pipeline', ({ current }) => {
  it("moves items by the workflow's tracks, and an item in a stage they lack by the project's", async () => {
    const late: { workflow?: Workflow } = {};
    const env = await pipelineEnv(current().db, {
      workflows: { current: (key) => (key === 'ET' ? late.workflow : undefined) },
    });
    const queuedKinds = async (taskId: number) =>
      (await env.admin.list({ taskId, status: 'queued' })).map((j) => j.kind);

    // Under the project's stage machine: analysis → architecture.
    const before = (await env.newItem('Before the workflow')).task;
    await env.agent(before.id, 'analyst', ANALYSIS(env));
    await env.pipeline.approve(before.id, 'alice');
    expect((await env.task(before.id)).stage).toBe('architecture');

    const parsed = parseWorkflowFile(NO_ARCHITECTURE, { gates: () => true });
    if (!parsed.ok) throw new Error(parsed.error);
    late.workflow = parsed.workflow;

    // A new item follows the workflow's track: analysis → development, no architect.
    const after = (await env.newItem('After the workflow')).task;
    await env.agent(after.id, 'analyst', ANALYSIS(env));
    await env.pipeline.approve(after.id, 'alice');
    expect((await env.task(after.id)).stage).toBe('development');
    expect(await queuedKinds(after.id)).toContain('developer');
    expect(await queuedKinds(after.id)).not.toContain('architect');

    // The item already in architecture (not on the workflow's track) is not stuck: it goes on
    // under the project's stage machine, and from development on the workflow's applies.
    await env.agent(before.id, 'architect', (t) => env.artifact(t, '06-adr/ADR-001.md', '# ADR\n'));
    expect((await env.task(before.id)).stage).toBe('development');
    expect(await queuedKinds(before.id)).toContain('developer');
  });
});
