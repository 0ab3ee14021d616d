import { afterEach, expect, it } from 'vitest';
import { ANALYSIS } from '../helpers/pipeline-env.js';
import { describeEachDialect } from '../helpers/test-db.js';
import { dashboardEnv } from './dashboard-env.js';
import { ADMIN, bearer, errorCode } from './http-helpers.js';

interface TaskJson {
  id: number;
  work_item_id: string;
  stage: string;
  state: string;
  status: string;
  cost_usd: number;
  agent_runs: number;
  running_agent: string | null;
}

describeEachDialect('dashboard read api and task actions', ({ current }) => {
  let env: Awaited<ReturnType<typeof dashboardEnv>> | undefined;
  afterEach(async () => {
    await env?.app.close();
    env = undefined;
  });
  const setup = async () => (env = await dashboardEnv(current().db));

  it('lists work items newest first with their cost so far and running agent', async () => {
    const e = await setup();
    const { task: first } = await e.newItem('First item');
    const { task: second } = await e.newItem('Second item');
    await e.agentRun(first.id, { costUsd: 0.25 });
    await e.agentRun(first.id, { costUsd: 0.5, kind: 'architect' });
    await e.agentRun(first.id, { costUsd: null, kind: 'developer', finished: false });
    const res = await e.app.inject({ url: '/api/tasks', headers: ADMIN });
    expect(res.statusCode).toBe(200);
    const body = res.json<{ now_ms: number; tasks: TaskJson[] }>();
    expect(body.tasks.map((t) => t.work_item_id)).toEqual([second.workItemId, first.workItemId]);
    expect(body.tasks[1]).toMatchObject({
      stage: 'analysis',
      status: 'running',
      cost_usd: 0.75,
      agent_runs: 3,
      running_agent: 'developer',
    });
    expect(body.tasks[0]).toMatchObject({ cost_usd: 0, agent_runs: 0, running_agent: null });
  });

  it('shows one work item by id or work-item id with timeline, gates, runs, jobs and links', async () => {
    const e = await setup();
    const { task } = await e.newItem();
    await e.agentRun(task.id, { costUsd: 0.1 });
    await e.agent(task.id, 'analyst', ANALYSIS(e));
    for (const ref of [String(task.id), task.workItemId]) {
      const res = await e.app.inject({ url: `/api/tasks/${ref}`, headers: ADMIN });
      expect(res.statusCode).toBe(200);
      const body = res.json<Record<string, unknown>>();
      expect(body.task).toMatchObject({
        id: task.id,
        status: 'waiting_for_approval',
        cost_usd: 0.1,
      });
      expect(body.stages).toContain('architecture');
      const timeline = body.timeline as { type: string }[];
      expect(timeline.map((x) => x.type)).toContain('approval_requested');
      const gates = body.gates as { gate: string; passed: boolean; reason: string }[];
      expect(gates).toContainEqual(
        expect.objectContaining({ gate: 'check_analysis_complete', passed: true }),
      );
      const runs = body.agent_runs as { duration_ms: number; outcome: string }[];
      expect(runs).toEqual([expect.objectContaining({ duration_ms: 3000, outcome: 'success' })]);
      expect(runs[0]).not.toHaveProperty('argv');
      expect((body.jobs as { kind: string }[]).map((j) => j.kind)).toEqual(['analyst']);
      expect(body.links).toMatchObject({
        pull_request: { number: 1, url: 'local://demo/pulls/1' },
        tracker: { kind: 'local', project_id: 'ET', item_id: task.trackerItemId },
      });
    }
  });

  it('answers 404 TASK_NOT_FOUND for an unknown item and 400 for a malformed id or query', async () => {
    const e = await setup();
    const missing = await e.app.inject({ url: '/api/tasks/ET-999', headers: ADMIN });
    expect(missing.statusCode).toBe(404);
    expect(errorCode(missing)).toBe('TASK_NOT_FOUND');
    const huge = await e.app.inject({ url: '/api/tasks/999999999999999', headers: ADMIN });
    expect(huge.statusCode).toBe(404);
    const bad = await e.app.inject({ url: '/api/tasks/..%2F..%2Fetc', headers: ADMIN });
    expect(bad.statusCode).toBe(400);
    expect(errorCode(bad)).toBe('INVALID_PARAMS');
    const query = await e.app.inject({ url: '/api/tasks?limit=0', headers: ADMIN });
    expect(query.statusCode).toBe(400);
    expect(errorCode(query)).toBe('INVALID_QUERY');
  });

  it('approves the analysis with the admin token, records who, and refuses a second approval', async () => {
    const e = await setup();
    const { task } = await e.newItem();
    await e.agent(task.id, 'analyst', ANALYSIS(e));
    const url = `/admin/tasks/${task.workItemId}/approve`;
    const anonymous = await e.app.inject({ method: 'POST', url, payload: { by: 'mallory' } });
    expect(anonymous.statusCode).toBe(401);
    expect(errorCode(anonymous)).toBe('AUTH_REQUIRED');
    const wrong = await e.app.inject({ method: 'POST', url, headers: bearer('nope'), payload: {} });
    expect(wrong.statusCode).toBe(401);
    expect((await e.task(task.id)).state).toBe('awaiting_approval');

    const ok = await e.app.inject({
      method: 'POST',
      url,
      headers: ADMIN,
      payload: { by: 'alice' },
    });
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toMatchObject({
      result: { kind: 'advanced', from: 'analysis', to: 'architecture' },
    });
    const after = await e.task(task.id);
    expect([after.stage, after.state]).toEqual(['architecture', 'active']);
    const gates = await e.tasks.gateResults(task.id);
    expect(gates).toContainEqual(
      expect.objectContaining({
        gate: 'analysis_approval',
        reason: 'approved by alice (dashboard)',
      }),
    );
    const again = await e.app.inject({ method: 'POST', url, headers: ADMIN });
    expect(again.statusCode).toBe(409);
    expect(errorCode(again)).toBe('NOTHING_TO_APPROVE');
  });

  it('rejects the analysis with a reason (the analyst reruns) and refuses a body without one', async () => {
    const e = await setup();
    const { task } = await e.newItem();
    await e.agent(task.id, 'analyst', ANALYSIS(e));
    const url = `/admin/tasks/${task.id}/reject`;
    for (const payload of [{}, { reason: '' }, { reason: 'x', extra: 1 }]) {
      const bad = await e.app.inject({ method: 'POST', url, headers: ADMIN, payload });
      expect(bad.statusCode).toBe(400);
      expect(errorCode(bad)).toBe('INVALID_BODY');
    }
    const ok = await e.app.inject({
      method: 'POST',
      url,
      headers: ADMIN,
      payload: { reason: 'needs a metric unit test', by: 'bob' },
    });
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toMatchObject({ result: { kind: 'rolled_back', to: 'analysis' } });
    expect((await e.task(task.id)).state).toBe('active');
    const events = await e.tasks.events(task.id);
    expect(events.map((x) => x.message)).toContain(
      'rejected by bob (dashboard): needs a metric unit test',
    );
    const jobs = await e.admin.list({ taskId: task.id });
    expect(jobs.map((j) => j.kind)).toEqual(['analyst', 'analyst']);
  });

  it('cancels a work item and its queued jobs, then answers 409 NOTHING_TO_CANCEL', async () => {
    const e = await setup();
    const { task } = await e.newItem();
    const url = `/admin/tasks/${task.id}/cancel`;
    const ok = await e.app.inject({
      method: 'POST',
      url,
      headers: ADMIN,
      payload: { reason: 'duplicate', by: 'carol' },
    });
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toMatchObject({ result: { kind: 'cancelled' } });
    const after = await e.task(task.id);
    expect(after.state).toBe('cancelled');
    expect(after.lastError).toBe('duplicate (by carol (dashboard))');
    expect((await e.admin.list({ taskId: task.id })).map((j) => j.status)).toEqual(['cancelled']);
    const again = await e.app.inject({ method: 'POST', url, headers: ADMIN });
    expect(again.statusCode).toBe(409);
    expect(errorCode(again)).toBe('NOTHING_TO_CANCEL');
    const missing = await e.app.inject({
      method: 'POST',
      url: '/admin/tasks/404/cancel',
      headers: ADMIN,
    });
    expect(missing.statusCode).toBe(404);
    expect(errorCode(missing)).toBe('TASK_NOT_FOUND');
  });

  it('resumes a Blocked item with a note and a stage, and refuses what cannot be resumed', async () => {
    const e = await setup();
    const { task } = await e.newItem();
    const url = `/admin/tasks/${task.id}/resume`;
    const early = await e.app.inject({ method: 'POST', url, headers: ADMIN });
    expect([early.statusCode, errorCode(early)]).toEqual([409, 'NOTHING_TO_RESUME']);
    for (const job of await e.admin.list({ taskId: task.id })) await e.admin.requestCancel(job.id);
    await e.core.block(await e.task(task.id), 'analyst timed out after 1800 s');
    const badStage = await e.app.inject({
      method: 'POST',
      url,
      headers: ADMIN,
      payload: { stage: 'done' },
    });
    expect([badStage.statusCode, errorCode(badStage)]).toEqual([400, 'INVALID_STAGE']);
    const ok = await e.app.inject({
      method: 'POST',
      url,
      headers: ADMIN,
      payload: { note: 'model quota raised', by: 'dana' },
    });
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toMatchObject({
      result: { kind: 'rerun', stage: 'analysis', role: 'analyst' },
    });
    expect(await e.task(task.id)).toMatchObject({ state: 'active', lastError: null });
    const queued = await e.admin.list({ taskId: task.id, status: 'queued' });
    expect((queued[0]!.payload as { prompt: string }).prompt).toContain(
      'Note from dana (dashboard): model quota raised',
    );
  });

  it('answers a Needs-Input item, and says 409 NOT_WAITING_FOR_INPUT otherwise', async () => {
    const e = await setup();
    const { task } = await e.newItem();
    const url = `/admin/tasks/${task.id}/answer`;
    const timeline = async () =>
      (await e.app.inject({ url: `/api/tasks/${task.id}`, headers: ADMIN })).json<{
        timeline: { type: string; message: string }[];
      }>().timeline;
    const before = await timeline();
    const early = await e.app.inject({
      method: 'POST',
      url,
      headers: ADMIN,
      payload: { text: 'miles' },
    });
    expect([early.statusCode, errorCode(early)]).toEqual([409, 'NOT_WAITING_FOR_INPUT']);
    // A refused answer changes nothing: no comment lands on the timeline.
    expect(await timeline()).toEqual(before);
    await e.agent(task.id, 'analyst', (t) => e.artifact(t, '01-questions.md', 'Which unit?\n'));
    expect((await e.task(task.id)).state).toBe('needs_input');
    const ok = await e.app.inject({
      method: 'POST',
      url,
      headers: ADMIN,
      payload: { text: 'miles' },
    });
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toMatchObject({ result: { kind: 'rerun', role: 'analyst' } });
  });

  it('documents the dashboard routes in the OpenAPI document', async () => {
    const e = await setup();
    const res = await e.app.inject({ url: '/docs/json' });
    expect(res.statusCode).toBe(200);
    const paths = Object.keys(res.json<{ paths: Record<string, unknown> }>().paths);
    for (const path of [
      '/api/tasks',
      '/api/tasks/{id}',
      '/api/queue',
      '/api/runs/{runId}/log',
      '/api/runs/{runId}/log/stream',
      '/api/v2runs',
      '/admin/tasks/{id}/approve',
      '/admin/tasks/{id}/reject',
      '/admin/tasks/{id}/cancel',
      '/admin/tasks/{id}/resume',
      '/admin/tasks/{id}/answer',
    ]) {
      expect(paths).toContain(path);
    }
    expect(paths).not.toContain('/web/*');
  });

  it('counts jobs by kind and status with the oldest queued age', async () => {
    const e = await setup();
    await e.newItem();
    e.clock.advance(5000);
    const res = await e.app.inject({ url: '/api/queue', headers: ADMIN });
    expect(res.statusCode).toBe(200);
    const body = res.json<{ by_kind: unknown[]; oldest_queued_age_ms: number }>();
    expect(body.by_kind).toEqual([
      { kind: 'analyst', role: 'analyst', status: 'queued', count: 1, oldest_queued_age_ms: 5000 },
    ]);
    expect(body.oldest_queued_age_ms).toBe(5000);
  });
});
