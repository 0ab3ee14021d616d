import { expect, it } from 'vitest';
import { describeEachDialect } from '../helpers/test-db.js';
import { ANALYSIS, pipelineEnv } from '../helpers/pipeline-env.js';
import { RECHECK_JOB_KIND } from '../../src/pipeline/engine.js';
import type { Task } from '../../src/pipeline/task.js';

const review = (verdict: string, findings = '') =>
  `---\ntype: review\nwork_item_id: ET-001\nverdict: ${verdict}\nversion: 1\n---\n# Review\n${findings}\n`;

describeEachDialect('pipeline engine', ({ current }) => {
  /** Drives a fresh item to the given stage through the happy path. */
  async function upTo(
    env: Awaited<ReturnType<typeof pipelineEnv>>,
    stage: string,
    taskId?: number,
  ) {
    const id = taskId ?? (await env.newItem()).task.id;
    const steps: [string, string, (t: Task) => void][] = [
      ['analysis', 'analyst', ANALYSIS(env)],
      ['architecture', 'architect', (t) => env.artifact(t, '06-adr/ADR-001-gpx.md', '# ADR\n')],
      ['development', 'developer', (t) => env.file(t, 'src/gpx.txt', 'gpx\n')],
      ['review', 'reviewer', (t) => env.artifact(t, '12-review.md', review('APPROVED'))],
      [
        'testing',
        'tester',
        (t) => env.artifact(t, '13-test-report.md', '---\nresult: PASS\n---\n'),
      ],
      [
        'deploy-staging',
        'deployer',
        (t) => env.artifact(t, '15-staging-log.md', '---\nstaging_status: SUCCESS\n---\n'),
      ],
      [
        'deploy',
        'deployer',
        (t) => env.artifact(t, '14-deploy-log.md', '---\ndeploy_status: SUCCESS\n---\n'),
      ],
    ];
    for (const [s, role, write] of steps) {
      if ((await env.task(id)).stage === stage) break;
      const r = await env.agent(id, role, write);
      if (s === 'analysis') {
        expect(r).toEqual({ kind: 'awaiting_approval' });
        expect((await env.pipeline.approve(id, 'alice')).kind).toBe('advanced');
      }
    }
    return env.task(id);
  }

  it('takes a work item from intake to done, launching each stage’s agent and merging once', async () => {
    const env = await pipelineEnv(current().db);
    const { task, created, jobId } = await env.newItem();
    expect(created).toBe(true);
    expect(task).toMatchObject({
      workItemId: 'ET-001',
      stage: 'analysis',
      branch: 'feature/ET-001-export-trails-as-gpx',
    });
    expect((await env.queue.get(jobId!))?.kind).toBe('analyst');

    const done = await upTo(env, 'done', task.id);
    expect(done).toMatchObject({ stage: 'done', state: 'done' });
    const kinds = (await env.admin.list({ taskId: task.id, limit: 100 }))
      .map((j) => j.kind)
      .reverse();
    // The agent launched on each advance is the agent of the stage being left (architect after analysis).
    expect(kinds).toEqual([
      'analyst',
      'architect',
      'developer',
      'reviewer',
      'tester',
      'deployer',
      'deployer',
    ]);
    const pr = await env.forge.findPullRequest('demo', task.branch);
    expect(pr?.merged).toBe(true);
    const gates = await env.tasks.gateResults(task.id);
    expect(gates.filter((g) => g.gate === 'merge_gate')).toHaveLength(1);
    expect(gates.every((g) => g.passed)).toBe(true);
    await env.effects();
    expect(env.notifier.ofType('task_done')).toHaveLength(1);
    expect(
      (await env.tracker.getItem({ projectId: 'ET', itemId: task.trackerItemId })).stateName,
    ).toBe('Done');
  });

  it('allocates work-item ids per project and never creates a task twice for one tracker item', async () => {
    const env = await pipelineEnv(current().db);
    const a = await env.newItem('First');
    const b = await env.newItem('Second');
    expect([a.task.workItemId, b.task.workItemId]).toEqual(['ET-001', 'ET-002']);
    const { intake } = await import('../../src/pipeline/intake.js');
    const { silentLogger } = await import('../../src/log.js');
    const again = await intake(
      env.core,
      env.workspace,
      env.project,
      { trackerItemId: a.task.trackerItemId, title: 'First', description: '' },
      silentLogger,
    );
    expect(again).toMatchObject({ created: false, jobId: null, task: { id: a.task.id } });
  });

  it('asks for approval after complete analysis and does not advance by itself', async () => {
    const env = await pipelineEnv(current().db);
    const { task } = await env.newItem();
    expect(await env.agent(task.id, 'analyst', ANALYSIS(env))).toEqual({
      kind: 'awaiting_approval',
    });
    expect(await env.task(task.id)).toMatchObject({
      stage: 'analysis',
      state: 'awaiting_approval',
    });
    await env.effects();
    expect(
      (await env.tracker.getItem({ projectId: 'ET', itemId: task.trackerItemId })).stateName,
    ).toBe('In Review');
    expect(env.notifier.ofType('approval_requested')).toHaveLength(1);
    // A second approval is a no-op: only one architect job.
    expect((await env.pipeline.approve(task.id, 'alice')).kind).toBe('advanced');
    expect((await env.pipeline.approve(task.id, 'alice')).kind).toBe('noop');
    expect((await env.admin.list({ taskId: task.id, kind: 'architect' })).length).toBe(1);
  });

  it('moves to Needs Input on questions, and an answer reruns the analyst', async () => {
    const env = await pipelineEnv(current().db);
    const { task } = await env.newItem();
    const r = await env.agent(task.id, 'analyst', (t) =>
      env.artifact(t, '01-questions.md', 'Which GPX version?'),
    );
    expect(r).toEqual({ kind: 'needs_input' });
    await env.effects();
    const comments = await env.tracker.listComments({
      projectId: 'ET',
      itemId: task.trackerItemId,
    });
    expect(comments.at(-1)?.body).toContain('Which GPX version?');
    const { result } = await env.pipeline.onComment(task.id, {
      body: 'GPX 1.1 please',
      authorIds: ['bob'],
    });
    expect(result).toMatchObject({ kind: 'rerun', role: 'analyst' });
    const analystJobs = await env.admin.list({ taskId: task.id, kind: 'analyst' });
    expect(analystJobs).toHaveLength(2);
    expect(JSON.stringify(analystJobs[0]!.payload)).toContain('GPX 1.1 please');
    expect((await env.task(task.id)).state).toBe('active');
  });

  it('warns when the analyst leaves neither artifacts nor questions', async () => {
    const env = await pipelineEnv(current().db);
    const { task } = await env.newItem();
    expect((await env.agent(task.id, 'analyst')).kind).toBe('warning');
    await env.effects();
    expect(env.notifier.ofType('pipeline_warning')).toHaveLength(1);
  });

  it('takes approval and rejection only from approvers, by comment', async () => {
    const env = await pipelineEnv(current().db);
    const { task } = await env.newItem();
    await env.agent(task.id, 'analyst', ANALYSIS(env));
    const stranger = await env.pipeline.onComment(task.id, {
      body: ':approved:',
      authorIds: ['mallory'],
    });
    expect(stranger.result.kind).toBe('noop');
    const rejected = await env.pipeline.onComment(task.id, {
      body: ':rejected: the BRD misses exports',
      authorIds: ['alice'],
    });
    expect(rejected.result).toMatchObject({ kind: 'rolled_back', to: 'analysis' });
    const analyst = (await env.admin.list({ taskId: task.id, kind: 'analyst' }))[0]!;
    expect(JSON.stringify(analyst.payload)).toContain('the BRD misses exports');
    await env.agent(task.id, 'analyst', ANALYSIS(env));
    expect(
      (await env.pipeline.onComment(task.id, { body: 'LGTM :approved:', authorIds: ['Alice'] }))
        .result.kind,
    ).toBe('advanced');
    expect((await env.task(task.id)).stage).toBe('architecture');
  });

  it('sends REQUEST_CHANGES back to development with the verbatim findings', async () => {
    const env = await pipelineEnv(current().db);
    const t = await upTo(env, 'review');
    const r = await env.agent(t.id, 'reviewer', (x) =>
      env.artifact(
        x,
        '12-review.md',
        // A long summary first: the must-fix finding lies past the first 1,500 characters.
        review(
          'REQUEST_CHANGES',
          `## Summary\n${'The track import works for the sample files. '.repeat(40)}\n\n## Findings\n- P3: a typo in the help text.\n- P1: GPX timestamps lack the timezone.\n`,
        ),
      ),
    );
    expect(r).toMatchObject({ kind: 'rolled_back', from: 'review', to: 'development' });
    expect(await env.task(t.id)).toMatchObject({ stage: 'development', devRetries: 1 });
    const dev = (await env.admin.list({ taskId: t.id, kind: 'developer', limit: 1 }))[0]!;
    expect(JSON.stringify(dev.payload)).toContain('P1: GPX timestamps lack the timezone.');
    expect(JSON.stringify(dev.payload)).not.toMatch(/typo in the help text|sample files/);
    expect(JSON.stringify(dev.payload)).toContain(
      'REQUEST_CHANGES from reviewer (developer retry 1/3)',
    );
  });

  it('sends failed tests back to development and blocks when the shared cap is spent', async () => {
    const env = await pipelineEnv(current().db, { maxDeveloperRetries: 2 });
    const t = await upTo(env, 'review');
    // Rollback 1: reviewer; rollback 2: tester; then the cap (2) is spent and the next failure blocks.
    await env.agent(t.id, 'reviewer', (x) =>
      env.artifact(x, '12-review.md', review('REQUEST_CHANGES')),
    );
    await env.agent(t.id, 'developer');
    await env.agent(t.id, 'reviewer', (x) => env.artifact(x, '12-review.md', review('APPROVED')));
    const fail = '---\nresult: FAIL\n---\nTC-01 failed: expected 3 points, got 2\n';
    const r2 = await env.agent(t.id, 'tester', (x) => env.artifact(x, '13-test-report.md', fail));
    expect(r2).toMatchObject({ kind: 'rolled_back', from: 'testing', to: 'development' });
    const dev = (await env.admin.list({ taskId: t.id, kind: 'developer', limit: 1 }))[0]!;
    expect(JSON.stringify(dev.payload)).toContain('expected 3 points, got 2');
    await env.agent(t.id, 'developer');
    await env.agent(t.id, 'reviewer', (x) => env.artifact(x, '12-review.md', review('APPROVED')));
    const r3 = await env.agent(t.id, 'tester', (x) => env.artifact(x, '13-test-report.md', fail));
    expect(r3.kind).toBe('blocked');
    expect(await env.task(t.id)).toMatchObject({
      state: 'blocked',
      stage: 'testing',
      devRetries: 2,
    });
    await env.effects();
    expect(env.notifier.ofType('task_blocked')).toHaveLength(1);
    expect(
      (await env.tracker.getItem({ projectId: 'ET', itemId: t.trackerItemId })).stateName,
    ).toBe('Blocked');
    // A blocked task ignores further agent results.
    expect(
      (await env.pipeline.onAgentFinished({ taskId: t.id, role: 'tester', stage: 'testing' })).kind,
    ).toBe('noop');
  });

  it('reruns the developer when local tests are red, sharing the cap', async () => {
    const env = await pipelineEnv(current().db);
    const t = await upTo(env, 'development');
    const r = await env.agent(t.id, 'developer', (x) => env.file(x, 'BROKEN', 'x'));
    expect(r).toMatchObject({ kind: 'rolled_back', to: 'development' });
    const dev = (await env.admin.list({ taskId: t.id, kind: 'developer', limit: 1 }))[0]!;
    expect(JSON.stringify(dev.payload)).toContain('FAIL: BROKEN present');
    const gates = await env.tasks.gateResults(t.id);
    expect(gates.at(-1)).toMatchObject({ gate: 'check_tests_local', passed: false });
  });

  it('sends a staging FAIL back to development with the staging log', async () => {
    const env = await pipelineEnv(current().db);
    const t = await upTo(env, 'deploy-staging');
    const log = '---\nstaging_status: FAILED\n---\nHealth check /api/trails answered 502\n';
    const r = await env.agent(t.id, 'deployer', (x) => env.artifact(x, '15-staging-log.md', log));
    expect(r).toMatchObject({ kind: 'rolled_back', from: 'deploy-staging', to: 'development' });
    expect(await env.task(t.id)).toMatchObject({ stage: 'development', devRetries: 1 });
    const dev = (await env.admin.list({ taskId: t.id, kind: 'developer', limit: 1 }))[0]!;
    expect(JSON.stringify(dev.payload)).toContain('Staging FAILED');
    expect(JSON.stringify(dev.payload)).toContain('Health check /api/trails answered 502');
  });

  it('blocks a failed deploy with the reason and never marks it done', async () => {
    const env = await pipelineEnv(current().db);
    const t = await upTo(env, 'deploy');
    const log = '---\ndeploy_status: FAILED\n---\nrollout timed out\n';
    const r = await env.agent(t.id, 'deployer', (x) => env.artifact(x, '14-deploy-log.md', log));
    expect(r.kind).toBe('blocked');
    const after = await env.task(t.id);
    expect(after).toMatchObject({ stage: 'deploy', state: 'blocked' });
    expect(after.lastError).toContain('check_deploy_status failed in deploy');
    await env.effects();
    expect(env.notifier.ofType('task_blocked')).toHaveLength(1);
    expect(env.notifier.ofType('task_done')).toHaveLength(0);
  });

  it('a rejection at a later stage goes back one stage with the reason', async () => {
    const env = await pipelineEnv(current().db);
    const t = await upTo(env, 'testing');
    const r = await env.pipeline.onComment(t.id, {
      body: ':rejected: the review missed the export path',
      authorIds: ['alice'],
    });
    expect(r.result).toMatchObject({ kind: 'rolled_back', from: 'testing', to: 'review' });
    expect(await env.task(t.id)).toMatchObject({ stage: 'review', state: 'active' });
    const reviewer = (await env.admin.list({ taskId: t.id, kind: 'reviewer', limit: 1 }))[0]!;
    expect(JSON.stringify(reviewer.payload)).toContain('the review missed the export path');
  });

  it('changes requested on the pull request send review back to development', async () => {
    const env = await pipelineEnv(current().db);
    const t = await upTo(env, 'testing');
    const r = await env.pipeline.changesRequested(t.id, 'Please handle empty GPX files.', 'carol');
    expect(r).toMatchObject({ kind: 'rolled_back', to: 'development' });
    expect(await env.task(t.id)).toMatchObject({ stage: 'development', devRetries: 1 });
    const dev = (await env.admin.list({ taskId: t.id, kind: 'developer', limit: 1 }))[0]!;
    expect(JSON.stringify(dev.payload)).toContain('Please handle empty GPX files.');
    // Before review the developer is still at work: the request is recorded, nothing moves.
    const early = await upTo(env, 'architecture');
    const noop = await env.pipeline.changesRequested(early.id, 'too early', 'carol');
    expect(noop.kind).toBe('noop');
    expect((await env.task(early.id)).stage).toBe('architecture');
  });

  it('sends an architecture conflict back to analysis with an analyst rerun', async () => {
    const env = await pipelineEnv(current().db);
    const t = await upTo(env, 'architecture');
    const r = await env.agent(t.id, 'architect', (x) =>
      env.artifact(x, '10-conflict.md', 'TRZ says offline, BRD says live sync.'),
    );
    expect(r).toMatchObject({ kind: 'rolled_back', to: 'analysis' });
    const analyst = (await env.admin.list({ taskId: t.id, kind: 'analyst', limit: 1 }))[0]!;
    expect(JSON.stringify(analyst.payload)).toContain('Architect conflict. Revise TRZ.');
  });

  it('ignores a finished job for a stage the task has already left', async () => {
    const env = await pipelineEnv(current().db);
    const t = await upTo(env, 'development');
    expect(
      await env.pipeline.onAgentFinished({
        taskId: t.id,
        role: 'architect',
        stage: 'architecture',
      }),
    ).toMatchObject({ kind: 'noop' });
    expect((await env.task(t.id)).stage).toBe('development');
  });

  it('runs the bug track past architecture', async () => {
    const env = await pipelineEnv(current().db);
    const item = await env.tracker.createItem('ET', { title: 'Crash on empty trail' });
    const { intake } = await import('../../src/pipeline/intake.js');
    const { silentLogger } = await import('../../src/log.js');
    const { task } = await intake(
      env.core,
      env.workspace,
      env.project,
      { trackerItemId: item.ref.itemId, title: 'Crash', description: '', track: 'bug' },
      silentLogger,
    );
    await env.agent(task.id, 'analyst', ANALYSIS(env));
    expect(await env.pipeline.approve(task.id, 'alice')).toMatchObject({
      kind: 'advanced',
      to: 'development',
    });
    expect((await env.admin.list({ taskId: task.id, limit: 1 }))[0]?.kind).toBe('developer');
  });

  it('a deferred gate that names what it waits for can be woken before its re-check delay', async () => {
    const env = await pipelineEnv(current().db);
    const { task } = await env.newItem();
    const busy = {
      gate: 'merge_gate',
      passed: false,
      reason: 'merge-lock busy for r',
      retryAfterMs: 60_000,
      waitsFor: 'merge-lease:r',
    };
    expect(await env.core.defer(task, [busy], 60_000)).toMatchObject({ kind: 'deferred' });
    const recheck = { kinds: [RECHECK_JOB_KIND], leaseMs: 1000, owner: 't' };
    expect(await env.queue.claim(recheck)).toEqual([]);
    // A task that no longer waits (here: Blocked meanwhile) is not the one woken.
    const setState = (state: string) =>
      current().db.run('update tasks set state = $1 where id = $2', [state, task.id]);
    await setState('blocked');
    expect(await env.queue.wakeWaiting(RECHECK_JOB_KIND, 'merge-lease:r')).toBeNull();
    await setState('active');
    // The lease holder's release wakes it: due now, not in 60 s.
    const woken = await env.queue.wakeWaiting(RECHECK_JOB_KIND, 'merge-lease:r');
    expect(woken).not.toBeNull();
    const [job] = await env.queue.claim(recheck);
    expect(job).toMatchObject({
      id: woken,
      payload: { taskId: task.id, stage: task.stage, waitsFor: 'merge-lease:r' },
    });
  });

  it('runs a deferred re-check at once when what it waits for was freed before it was written', async () => {
    const asked: string[] = [];
    const free = new Set(['merge-lease:free']);
    const env = await pipelineEnv(current().db, {
      isFree: (w) => {
        asked.push(w);
        return Promise.resolve(free.has(w));
      },
    });
    const recheck = { kinds: [RECHECK_JOB_KIND], leaseMs: 1000, owner: 't' };
    const busy = (waitsFor: string) => ({
      gate: 'merge_gate',
      passed: false,
      reason: 'merge-lock busy',
      retryAfterMs: 60_000,
      waitsFor,
    });
    const { task } = await env.newItem();
    await env.core.defer(task, [busy('merge-lease:held')], 60_000);
    expect(await env.queue.claim(recheck)).toEqual([]); // still held: it waits
    await env.core.defer(task, [busy('merge-lease:free')], 60_000);
    const [job] = await env.queue.claim(recheck); // freed meanwhile: due now
    expect(job?.payload).toMatchObject({ waitsFor: 'merge-lease:free' });
    expect(asked).toEqual(['merge-lease:held', 'merge-lease:free']);
  });

  it('cancels a task and its queued jobs', async () => {
    const env = await pipelineEnv(current().db);
    const { task, jobId } = await env.newItem();
    expect(await env.pipeline.cancel(task.id, 'not needed')).toMatchObject({ kind: 'cancelled' });
    expect((await env.queue.get(jobId!))?.status).toBe('cancelled');
    expect(
      (await env.pipeline.onAgentFinished({ taskId: task.id, role: 'analyst', stage: 'analysis' }))
        .kind,
    ).toBe('noop');
  });
});
