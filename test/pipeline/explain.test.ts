import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { serverForRuntime } from '../../src/http/runtime-server.js';
import {
  explainTask,
  renderExplanation,
  runtimeExplainDeps,
  type Explanation,
} from '../../src/pipeline/explain.js';
import { freezeRepo } from '../../src/pipeline/serial-gate.js';
import { addTaskDependencies } from '../../src/pipeline/task-deps.js';
import type { Task } from '../../src/pipeline/task.js';
import type { Runtime } from '../../src/runtime.js';
import { AgentRunStore } from '../../src/store/agent-runs/agent-run-store.js';
import { describeEachDialect } from '../helpers/test-db.js';
import { APPROVER, fileItem, matrixRuntime, type Scenario } from '../e2e/failure-matrix-harness.js';

/**
 * `orch explain` (issue 18) on a real runtime whose worker is not started: items are moved by
 * hand (the analyst's artifacts written into the worktree, approvals by comment), so every
 * waiting state is reached without running an agent.
 */
const QUICK = ['created', 'analysis', 'development', 'done'];
const project = (key: string, serial?: number): Scenario => ({
  key,
  scenario: {},
  labels: { tracks: { quick: 'quick' }, autoApprove: [] },
  tracks: { quick: QUICK },
  ...(serial !== undefined && { serial }),
});

/** Plays the analyst: complete artifacts in the worktree, then the runner's hook. */
async function analysed(rt: Runtime, task: Task): Promise<void> {
  const wt = await rt.workspace.ensure(task, rt.projects.get(task.projectKey));
  const files: Record<string, string> = {
    '01-brd.md': '# BRD\n',
    '02-trz.md': '# TRZ\n',
    '03-acceptance-criteria.md': '# AC\n',
    '04-test-plan.yaml': 'tests:\n  - id: TC-01\n    type: unit\n    expected: PASS\n',
  };
  for (const [name, text] of Object.entries(files)) {
    const path = join(wt, 'docs', 'work-items', task.workItemId, name);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, text);
  }
  await rt.workspace.commitAndPush(wt, task.branch, 'analysis');
  const r = await rt.pipeline.onAgentFinished({
    taskId: task.id,
    role: 'analyst',
    stage: 'analysis',
  });
  expect(r.kind).toBe('awaiting_approval');
}

const approve = (rt: Runtime, t: Task) =>
  rt.pipeline.onComment(t.id, { body: ':approved:', authorIds: [APPROVER] });

const explain = async (rt: Runtime, ref: string): Promise<Explanation> => {
  const e = await explainTask(
    runtimeExplainDeps({ ...rt, runs: new AgentRunStore(rt.db) }, null),
    ref,
  );
  if (!e) throw new Error(`no explanation for ${ref}`);
  return e;
};

describeEachDialect('orch explain', ({ current }) => {
  let rt: Runtime | undefined;
  afterEach(async () => {
    await rt?.stop();
    rt = undefined;
  });
  const setup = async (scenarios: Scenario[], env: Record<string, string> = {}) =>
    (rt = (await matrixRuntime(current().url, scenarios, { env })).rt);

  it('names the approvers of an item awaiting approval and the command that approves', async () => {
    const r = await setup([project('EX')]);
    const a = await fileItem(r, 'EX', ['quick']);
    await analysed(r, a);
    const e = await explain(r, a.workItemId);
    expect(e).toMatchObject({
      workItemId: a.workItemId,
      stage: 'analysis',
      state: 'awaiting_approval',
    });
    expect(e.reasons).toHaveLength(1);
    expect(e.reasons[0]).toMatchObject({
      code: 'awaiting_approval',
      details: { approvers: ['alice'] },
    });
    expect(e.reasons[0]!.text).toContain('approval by alice');
    expect(e.reasons[0]!.next).toContain(`orch task approve ${a.workItemId} --as alice`);
    expect(e.summary).toBe(e.reasons[0]!.text);
    // The same by numeric id; an unknown item is undefined.
    expect(await explain(r, String(a.id))).toEqual(e);
    expect(
      await explainTask(
        runtimeExplainDeps({ ...r, runs: new AgentRunStore(r.db) }, null),
        'EX-999',
      ),
    ).toBeUndefined();
  });

  it('says which item holds the serial gate and which dependency an item waits for', async () => {
    const r = await setup([project('SG', 1)]);
    const [a, b, c] = [
      await fileItem(r, 'SG', ['quick']),
      await fileItem(r, 'SG', ['quick']),
      await fileItem(r, 'SG', ['quick']),
    ];
    for (const t of [a, b, c]) await analysed(r, t);
    await addTaskDependencies(r.pipeline, c, [b.workItemId]);
    // Before approval: approving C would only make it wait for B.
    const before = await explain(r, c.workItemId);
    expect(before.reasons.map((x) => x.code)).toEqual(['awaiting_approval', 'dependency']);
    expect(before.reasons[1]!.text).toMatch(/^Once approved, it will wait/);

    expect((await approve(r, a)).result.kind).toBe('advanced');
    expect((await approve(r, b)).result).toMatchObject({ kind: 'waiting' });
    expect((await approve(r, c)).result).toMatchObject({ kind: 'waiting' });

    const eb = await explain(r, b.workItemId);
    expect(eb.state).toBe('waiting');
    expect(eb.reasons.map((x) => x.code)).toEqual(['serial_gate']);
    expect(eb.reasons[0]!.text).toContain(`${a.workItemId} (development, active) hold(s) it`);
    expect(eb.reasons[0]!.details).toMatchObject({ limit: 1 });

    const ec = await explain(r, c.workItemId);
    expect(ec.reasons[0]).toMatchObject({
      code: 'dependency',
      details: { dependsOn: [{ workItemId: b.workItemId, stage: 'analysis', state: 'waiting' }] },
    });
    expect(ec.reasons[0]!.text).toContain(`depends on ${b.workItemId} (analysis, waiting)`);
    expect(ec.reasons[0]!.next).toContain(
      `orch task deps ${c.workItemId} --remove ${b.workItemId}`,
    );
    // C also waits for the gate: A holds it, and B (filed earlier, held by no dependency) goes first.
    expect(ec.reasons.map((x) => x.code)).toEqual(['dependency', 'serial_gate', 'serial_gate']);
    expect(ec.reasons[2]!.text).toContain(`${b.workItemId} of sg filed earlier`);
  });

  it('names who froze the repository an approved item waits for, and how to unfreeze it', async () => {
    const r = await setup([project('FZ')]);
    const t = await fileItem(r, 'FZ', ['quick']);
    await analysed(r, t);
    await freezeRepo(r, 'fz', { reason: 'staging is down', by: 'bob' });
    expect((await approve(r, t)).result).toMatchObject({ kind: 'waiting' });
    const e = await explain(r, t.workItemId);
    expect(e.reasons.map((x) => x.code)).toEqual(['repo_frozen']);
    expect(e.reasons[0]!.text).toContain('frozen by bob');
    expect(e.reasons[0]!.text).toContain('staging is down');
    expect(e.reasons[0]!.next).toBe('orch repo unfreeze fz');
  });

  it('counts the queued jobs a claimer takes before the item’s job', async () => {
    const r = await setup([project('QU')]);
    const items = [];
    for (let i = 0; i < 3; i++) items.push(await fileItem(r, 'QU', ['quick']));
    const first = await explain(r, items[0]!.workItemId);
    expect(first.reasons.map((x) => x.code)).toEqual(['queued']);
    expect(first.reasons[0]!.details).toMatchObject({ kind: 'analyst', ahead: 0 });
    expect(first.reasons[0]!.text).toContain('next in line');
    const third = await explain(r, items[2]!.workItemId);
    expect(third).toMatchObject({ stage: 'analysis', state: 'active' });
    expect(third.reasons[0]!.details).toMatchObject({ kind: 'analyst', ahead: 2 });
    expect(third.reasons[0]!.text).toContain('behind 2 jobs');
    // The CLI cannot see a worker: it says so rather than guess.
    expect(third.reasons[0]!.text).toContain('cannot be seen from this command');
    // A server that runs without its worker (orch serve --no-worker) and no agent token: no worker.
    const noWorker = await explainTask(
      runtimeExplainDeps({ ...r, runs: new AgentRunStore(r.db) }, false),
      items[2]!.workItemId,
    );
    expect(noWorker!.reasons.map((x) => x.code)).toEqual(['no_worker', 'queued']);
    expect(noWorker!.reasons[0]!.text).toContain('no active remote agent token covers analyst');
    expect(noWorker!.reasons[0]!.next).toContain('without --no-worker');
  });

  it('says an item’s job waits for a slot when its project is at its concurrency cap', async () => {
    const r = await setup([{ ...project('CP'), maxConcurrent: 1 }]);
    const a = await fileItem(r, 'CP', ['quick']);
    const b = await fileItem(r, 'CP', ['quick']);
    const [job] = await r.queue.claim({ kinds: ['analyst'], leaseMs: 60_000, owner: 'host-a:42' });
    expect(job!.taskId).toBe(a.id);
    const e = await explain(r, b.workItemId);
    expect(e.reasons.map((x) => x.code)).toEqual(['concurrency_cap', 'queued']);
    expect(e.reasons[0]!.details).toMatchObject({
      projectKey: 'CP',
      projectCap: 1,
      projectRunning: 1,
      roleCap: null,
    });
    expect(e.reasons[0]!.text).toContain('1 job of project CP runs (its cap is 1)');
    await r.queue.complete(job!.id, job!.leaseToken!);
    expect((await explain(r, b.workItemId)).reasons.map((x) => x.code)).toEqual(['queued']);
  });

  it('says until when the breaker of the item’s agent kind is open', async () => {
    const r = await setup([project('BR')]);
    const t = await fileItem(r, 'BR', ['quick']);
    const before = r.clock.now();
    for (let i = 0; i < r.breakers.policy.threshold; i++)
      await r.breakers.record('analyst', 'transient');
    const e = await explain(r, t.workItemId);
    expect(e.reasons.map((x) => x.code)).toEqual(['breaker_open', 'queued']);
    const until = e.reasons[0]!.details!.openUntilMs as number;
    expect(until).toBeGreaterThanOrEqual(before + r.breakers.policy.pauseMs);
    expect(e.reasons[0]!.text).toContain(`open until ${new Date(until).toISOString()}`);
    expect(e.summary).toBe(e.reasons[0]!.text);
  });

  it('gives a Blocked item’s reason and the command that resumes it', async () => {
    const r = await setup([project('BL')]);
    const t = await fileItem(r, 'BL', ['quick']);
    for (const job of await r.admin.failQueuedKind('analyst', 'analyst CLI not found'))
      await r.pipeline.onJobEnded(job.id);
    expect((await r.tasks.get(t.id))!.state).toBe('blocked');
    const e = await explain(r, t.workItemId);
    expect(e.reasons.map((x) => x.code)).toEqual(['blocked']);
    expect(e.reasons[0]!.text).toContain('analyst CLI not found');
    expect(e.reasons[0]!.next).toContain(`orch task resume ${t.workItemId}`);
    expect(e.reasons[0]!.next).toContain(`orch task reject ${t.workItemId}`);
    expect(renderExplanation(e)).toContain(`→ orch task resume ${t.workItemId}`);
  });

  it('quotes the analyst’s questions of a Needs-Input item and the answer command', async () => {
    const r = await setup([project('NI')]);
    const t = await fileItem(r, 'NI', ['quick']);
    const wt = await r.workspace.ensure(t, r.projects.get('NI'));
    const path = join(wt, 'docs', 'work-items', t.workItemId, '01-questions.md');
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, 'Kilometres or miles?\n');
    const res = await r.pipeline.onAgentFinished({
      taskId: t.id,
      role: 'analyst',
      stage: 'analysis',
    });
    expect(res.kind).toBe('needs_input');
    const e = await explain(r, t.workItemId);
    expect(e.reasons).toEqual([
      expect.objectContaining({
        code: 'needs_input',
        next: `orch task answer ${t.workItemId} "<answer>"`,
        details: { questions: 'Kilometres or miles?' },
      }),
    ]);
    expect(e.reasons[0]!.text).toContain('Kilometres or miles?');
  });

  it('names the agent running the item’s job, since when, and its last heartbeat', async () => {
    const r = await setup([project('RU')]);
    const t = await fileItem(r, 'RU', ['quick']);
    const [job] = await r.queue.claim({ kinds: ['analyst'], leaseMs: 60_000, owner: 'host-a:42' });
    const e = await explain(r, t.workItemId);
    expect(e.reasons.map((x) => x.code)).toEqual(['running']);
    expect(e.reasons[0]!.details).toMatchObject({
      jobId: job!.id,
      kind: 'analyst',
      leasedBy: 'host-a:42',
    });
    expect(e.reasons[0]!.text).toContain(`The analyst agent runs job ${job!.id}`);
    expect(e.reasons[0]!.text).toContain('on host-a:42 since');
    expect(e.reasons[0]!.text).toMatch(/last heartbeat \d+ s ago/);
  });

  it('serves the same structure at GET /api/tasks/:id/explain, 404 for an unknown item', async () => {
    const r = await setup([project('HT')], { ORCH_ADMIN_TOKEN: 'explain-admin-token-0123' });
    const t = await fileItem(r, 'HT', ['quick']);
    await analysed(r, t);
    const app = serverForRuntime(r);
    try {
      const headers = { authorization: 'Bearer explain-admin-token-0123' };
      const res = await app.inject({ url: `/api/tasks/${t.workItemId}/explain`, headers });
      expect(res.statusCode).toBe(200);
      const { now_ms: nowMs, ...body } = res.json<Explanation & { now_ms: number }>();
      expect(typeof nowMs).toBe('number');
      expect(body).toEqual(await explain(r, t.workItemId));
      const missing = await app.inject({ url: '/api/tasks/HT-999/explain', headers });
      expect(missing.statusCode).toBe(404);
      expect(missing.json()).toMatchObject({ error: { code: 'TASK_NOT_FOUND' } });
      const anon = await app.inject({ url: `/api/tasks/${t.workItemId}/explain` });
      expect(anon.statusCode).toBe(401);
      // In the OpenAPI document, with its path parameter.
      const doc = (await app.inject({ url: '/docs/json' })).json<{ paths: object }>();
      expect(Object.keys(doc.paths)).toContain('/api/tasks/{id}/explain');
    } finally {
      await app.close();
    }
  });
});
