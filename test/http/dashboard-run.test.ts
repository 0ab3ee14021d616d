import { execFileSync } from 'node:child_process';
import { request as httpRequest, type ClientRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, expect, it } from 'vitest';
import type { Project } from '../../src/pipeline/project.js';
import { ANALYSIS } from '../helpers/pipeline-env.js';
import { describeEachDialect } from '../helpers/test-db.js';
import { dashboardEnv } from './dashboard-env.js';
import { ADMIN, errorCode } from './http-helpers.js';

const NOTES = '---\nverdict: APPROVED\nscore: 3\n---\n# Notes\n';

type Env = Awaited<ReturnType<typeof dashboardEnv>>;

/** An open server-sent event stream: its text so far, and a wait for a condition on it. */
interface Sse {
  text: () => string;
  until: (pattern: RegExp) => Promise<string>;
  ended: Promise<void>;
  close: () => void;
}

async function openSse(e: Env, path: string, headers: Record<string, string> = {}): Promise<Sse> {
  if (!e.app.server.listening) await e.app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = e.app.server.address() as AddressInfo;
  let text = '';
  const waiters: (() => void)[] = [];
  let req: ClientRequest | undefined;
  const ended = new Promise<void>((resolveEnd, reject) => {
    req = httpRequest(`http://127.0.0.1:${port}${path}`, { headers: { ...ADMIN, ...headers } });
    req.on('response', (res) => {
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        text += chunk;
        for (const w of waiters.splice(0)) w();
      });
      res.on('end', () => resolveEnd());
      res.on('close', () => resolveEnd());
    });
    req.on('error', (err) => (req?.destroyed ? resolveEnd() : reject(err)));
    req.end();
  });
  const until = async (pattern: RegExp) => {
    const deadline = Date.now() + 10_000;
    while (!pattern.test(text)) {
      if (Date.now() > deadline) throw new Error(`no ${String(pattern)} in:\n${text}`);
      await new Promise<void>((r) => {
        waiters.push(r);
        setTimeout(r, 200);
      });
    }
    return text;
  };
  return { text: () => text, until, ended, close: () => req?.destroy() };
}

/** The `data:` of every event named `name`, parsed. */
function events(text: string, name: string): { id: string | null; data: unknown }[] {
  return text
    .split('\n\n')
    .filter((block) => block.split('\n').includes(`event: ${name}`))
    .map((block) => {
      const lines = block.split('\n');
      const id = lines.find((l) => l.startsWith('id: '))?.slice(4) ?? null;
      const data = lines.find((l) => l.startsWith('data: '))!.slice(6);
      return { id, data: JSON.parse(data) as unknown };
    });
}

describeEachDialect('dashboard for running the work (issue 19)', ({ current }) => {
  let env: Env | undefined;
  let streams: Sse[] = [];
  afterEach(async () => {
    for (const s of streams) s.close();
    streams = [];
    await env?.app.close();
    env = undefined;
  });
  const setup = async (
    ...args: Parameters<typeof dashboardEnv> extends [unknown, ...infer R] ? R : never
  ) => (env = await dashboardEnv(current().db, ...args));
  const sse = async (e: Env, path: string, headers?: Record<string, string>) => {
    const s = await openSse(e, path, headers);
    streams.push(s);
    return s;
  };

  it('streams hello, then every new timeline entry, job and run change, and ends on close', async () => {
    const e = await setup();
    const { task: before } = await e.newItem('Before the stream');
    const stream = await sse(e, '/api/events');
    const hello = await stream.until(/event: hello\n/);
    const cursor = (events(hello, 'hello')[0]!.data as { last_event_id: number }).last_event_id;
    expect(cursor).toBe(Math.max(...(await e.tasks.events(before.id)).map((x) => x.id)));
    expect(events(hello, 'task')).toEqual([]);

    const { task } = await e.newItem('During the stream');
    await stream.until(/"type":"job_enqueued"/);
    await stream.until(/event: jobs\n/);
    const created = events(stream.text(), 'task');
    expect(created[0]).toEqual({
      id: String(cursor + 1),
      data: {
        task_id: task.id,
        work_item_id: task.workItemId,
        type: 'created',
        stage: 'created',
        at_ms: e.clock.now(),
      },
    });
    expect(created.every((x) => (x.data as { task_id: number }).task_id === task.id)).toBe(true);

    await e.agentRun(task.id, { finished: false });
    await stream.until(/event: runs\n/);
    expect(events(stream.text(), 'runs')[0]!.data).toEqual({ task_ids: [task.id] });

    await e.app.close();
    await stream.ended;
    env = undefined;
  });

  it('replays missed entries after Last-Event-ID or ?after=N, and says reset past 500', async () => {
    const e = await setup();
    const { task } = await e.newItem();
    const ids = (await e.tasks.events(task.id)).map((x) => x.id);
    const first = ids[0]!;

    const byQuery = await sse(e, `/api/events?after=${first}`);
    await byQuery.until(/event: hello\n[\s\S]*"type":"job_enqueued"/);
    expect(events(byQuery.text(), 'task').map((x) => Number(x.id))).toEqual(ids.slice(1));

    // The header wins over the query (EventSource resends the header on reconnect).
    const byHeader = await sse(e, '/api/events?after=0', { 'last-event-id': String(ids.at(-1)) });
    await byHeader.until(/event: hello\n/);
    await new Promise((r) => setTimeout(r, 200));
    expect(events(byHeader.text(), 'task')).toEqual([]);

    const bad = await e.app.inject({ url: '/api/events?after=-1', headers: ADMIN });
    expect([bad.statusCode, errorCode(bad)]).toEqual([400, 'INVALID_QUERY']);
  });

  it('sends one reset instead of a replay when more than 500 entries were missed', async () => {
    const e = await setup();
    const { task } = await e.newItem();
    const last = (await e.tasks.events(task.id)).at(-1)!.id;
    await current().db.tx(async (q) => {
      for (let i = 0; i < 501; i++) {
        await e.tasks.addEvent(q, {
          taskId: task.id,
          atMs: e.clock.now(),
          type: 'comment',
          stage: 'analysis',
          message: `note ${i}`,
          detail: null,
        });
      }
    });
    const late = await sse(e, `/api/events?after=${last}`);
    await late.until(/event: reset\n/);
    expect(events(late.text(), 'task')).toEqual([]);
  });

  it("lists and reads the item's artifacts on its branch, refusing names not in the listing", async () => {
    const e = await setup();
    const { task } = await e.newItem();
    await e.agent(task.id, 'analyst', (t) => {
      ANALYSIS(e)(t);
      e.artifact(t, '05-notes.md', NOTES);
    });
    const res = await e.app.inject({
      url: `/api/tasks/${task.workItemId}/artifacts`,
      headers: ADMIN,
    });
    expect(res.statusCode).toBe(200);
    const body = res.json<{ ref: string; files: { name: string; path: string; size: number }[] }>();
    expect(body.ref).toBe(task.branch);
    const names = body.files.map((f) => f.name);
    expect(names).toEqual(
      expect.arrayContaining(['00-business-request.md', '01-brd.md', '05-notes.md']),
    );
    expect(body.files.find((f) => f.name === '05-notes.md')).toEqual({
      name: '05-notes.md',
      path: `docs/work-items/${task.workItemId}/05-notes.md`,
      size: Buffer.byteLength(NOTES),
      frontmatter: { verdict: 'APPROVED', score: 3 },
    });
    expect(body.files.find((f) => f.name === '01-brd.md')).toMatchObject({ frontmatter: null });

    const one = await e.app.inject({
      url: `/api/tasks/${task.id}/artifacts/05-notes.md`,
      headers: ADMIN,
    });
    expect(one.statusCode).toBe(200);
    expect(one.json()).toEqual({
      name: '05-notes.md',
      path: `docs/work-items/${task.workItemId}/05-notes.md`,
      ref: task.branch,
      content: NOTES,
      truncated: false,
      frontmatter: { verdict: 'APPROVED', score: 3 },
    });
    for (const name of ['README.md', '..%2F..%2FREADME.md', '99-missing.md']) {
      const miss = await e.app.inject({
        url: `/api/tasks/${task.id}/artifacts/${name}`,
        headers: ADMIN,
      });
      expect([miss.statusCode, errorCode(miss)]).toEqual([404, 'ARTIFACT_NOT_FOUND']);
    }
    const odd = await e.app.inject({
      url: `/api/tasks/${task.id}/artifacts/a%20b`,
      headers: ADMIN,
    });
    expect([odd.statusCode, errorCode(odd)]).toEqual([400, 'INVALID_PARAMS']);
    const unknown = await e.app.inject({ url: '/api/tasks/ET-404/artifacts', headers: ADMIN });
    expect([unknown.statusCode, errorCode(unknown)]).toEqual([404, 'TASK_NOT_FOUND']);
  });

  it('diffs the branch against its merge base, then the merge commit once merged', async () => {
    const e = await setup();
    const { task } = await e.newItem();
    await e.agent(task.id, 'analyst', ANALYSIS(e));
    const res = await e.app.inject({ url: `/api/tasks/${task.id}/diff`, headers: ADMIN });
    expect(res.statusCode).toBe(200);
    const diff = res.json<{
      base: string;
      head: string;
      base_sha: string;
      head_sha: string;
      files: { path: string; status: string; additions: number; deletions: number }[];
      patch: string;
      truncated: boolean;
    }>();
    const bare = e.forge.cloneUrl('demo');
    const g = (...args: string[]) =>
      execFileSync('git', args, { cwd: bare, encoding: 'utf8' }).trim();
    expect(diff).toMatchObject({
      base: 'main',
      head: task.branch,
      base_sha: g('rev-parse', 'main'),
      head_sha: g('rev-parse', task.branch),
      truncated: false,
    });
    expect(diff.files).toContainEqual({
      path: `docs/work-items/${task.workItemId}/01-brd.md`,
      status: 'added',
      additions: 1,
      deletions: 0,
    });
    expect(diff.patch).toContain(`+++ b/docs/work-items/${task.workItemId}/01-brd.md`);

    const merged = await e.forge.merge('demo', 1, { headSha: diff.head_sha });
    if (merged.kind !== 'merged') throw new Error(`merge: ${merged.kind}`);
    await e.tasks.setMergedSha(current().db, task.id, merged.mergeSha);
    g('update-ref', '-d', `refs/heads/${task.branch}`);
    e.clock.advance(10_000);
    const after = await e.app.inject({ url: `/api/tasks/${task.id}/diff`, headers: ADMIN });
    expect(after.json()).toMatchObject({
      head: merged.mergeSha,
      head_sha: merged.mergeSha,
      base_sha: diff.base_sha,
    });
    // The branch is gone: the artifacts are read from the base branch the merge landed on.
    const listing = await e.app.inject({ url: `/api/tasks/${task.id}/artifacts`, headers: ADMIN });
    expect(listing.json<{ ref: string; files: unknown[] }>()).toMatchObject({ ref: 'main' });
    expect(listing.json<{ files: unknown[] }>().files.length).toBeGreaterThan(3);
  });

  it('answers 409 NO_BRANCH when there is nothing to diff, and needs full read for files', async () => {
    const e = await setup({ publicRead: true });
    const { task } = await e.newItem();
    execFileSync('git', ['update-ref', '-d', `refs/heads/${task.branch}`], {
      cwd: e.forge.cloneUrl('demo'),
    });
    const res = await e.app.inject({ url: `/api/tasks/${task.id}/diff`, headers: ADMIN });
    expect([res.statusCode, errorCode(res)]).toEqual([409, 'NO_BRANCH']);
    const listing = await e.app.inject({ url: `/api/tasks/${task.id}/artifacts`, headers: ADMIN });
    expect(listing.json()).toEqual({ ref: 'main', files: [] });
    for (const url of [
      `/api/tasks/${task.id}/artifacts`,
      `/api/tasks/${task.id}/artifacts/00-business-request.md`,
      `/api/tasks/${task.id}/diff`,
    ]) {
      const anonymous = await e.app.inject({ url });
      expect([anonymous.statusCode, errorCode(anonymous)]).toEqual([401, 'AUTH_REQUIRED']);
    }
    const list = await e.app.inject({ url: '/api/tasks' });
    expect(list.statusCode).toBe(200);
  });

  it('files a new item like `orch task create` and lists the projects it can file in', async () => {
    const plane = (base: Project): Project => ({
      ...base,
      key: 'PL',
      prefix: 'PL',
      tracker: Object.assign(Object.create(base.tracker) as object, {
        kind: 'plane',
      }) as Project['tracker'],
    });
    const e = await setup({}, {}, { extraProjects: (base) => [plane(base)] });
    const projects = await e.app.inject({ url: '/api/projects', headers: ADMIN });
    expect(projects.json()).toEqual({
      projects: [
        { key: 'ET', tracker: 'local', can_file: true },
        { key: 'PL', tracker: 'plane', can_file: false },
      ],
    });
    const post = (payload: unknown, headers = ADMIN) =>
      e.app.inject({ method: 'POST', url: '/admin/tasks', headers, payload: payload as object });
    const ok = await post({
      project: 'ET',
      title: 'Import trails',
      description: 'From GPX files.',
      by: 'erin',
    });
    expect(ok.statusCode).toBe(201);
    const body = ok.json<{ task: { id: number; work_item_id: string }; job_id: number }>();
    expect(Object.keys(body).sort()).toEqual(['job_id', 'task']);
    expect(Object.keys(body.task).sort()).toEqual(['id', 'work_item_id']);
    expect(body.task.work_item_id).toBe('ET-001');
    const task = await e.task(body.task.id);
    expect([task.stage, task.state, task.title]).toEqual(['analysis', 'active', 'Import trails']);
    const jobs = await e.admin.list({ taskId: task.id });
    expect(jobs.map((j) => [j.id, j.kind])).toEqual([[body.job_id, 'analyst']]);
    const timeline = await e.tasks.events(task.id);
    expect(timeline.map((x) => x.type)).toEqual(['created', 'job_enqueued', 'filed']);
    expect(timeline.at(-1)!.message).toBe('filed by erin (dashboard)');
    const artifacts = await e.app.inject({
      url: `/api/tasks/${task.id}/artifacts`,
      headers: ADMIN,
    });
    expect(artifacts.json<{ files: { name: string }[] }>().files.map((f) => f.name)).toEqual([
      '00-business-request.md',
    ]);

    const missing = await post({ project: 'NOPE', title: 'x' });
    expect([missing.statusCode, errorCode(missing)]).toEqual([404, 'PROJECT_NOT_FOUND']);
    const foreign = await post({ project: 'PL', title: 'x' });
    expect([foreign.statusCode, errorCode(foreign)]).toEqual([409, 'TRACKER_NOT_LOCAL']);
    for (const payload of [
      { project: 'ET' },
      { project: 'ET', title: ' ' },
      { project: 'ET', title: 'x', x: 1 },
    ]) {
      const bad = await post(payload);
      expect([bad.statusCode, errorCode(bad)]).toEqual([400, 'INVALID_BODY']);
    }
    const anonymous = await e.app.inject({
      method: 'POST',
      url: '/admin/tasks',
      payload: { project: 'ET', title: 'x' },
    });
    expect(anonymous.statusCode).toBe(401);
    expect((await e.tasks.list()).length).toBe(1);
  });

  it('says why items wait, when they finished, their stage times, cost and the day’s spend', async () => {
    const e = await setup({}, {}, { budget: { perItemUsd: 5, perDayUsd: 20 } });
    const { task: approval } = await e.newItem('Waits for approval');
    const { task: running } = await e.newItem('Has an agent on it');
    const { task: cancelled } = await e.newItem('Cancelled');
    e.clock.advance(60_000);
    await e.agent(approval.id, 'analyst', ANALYSIS(e));
    const [job] = await e.admin.list({ taskId: approval.id });
    const run = await e.runs.create({
      jobId: job!.id,
      taskId: approval.id,
      attempt: 1,
      kind: 'analyst',
      adapter: 'scripted',
      startedAtMs: e.clock.now() - 1000,
    });
    await e.runs.finish(run.id, {
      finishedAtMs: e.clock.now(),
      exitCode: 0,
      outcome: 'success',
      isError: false,
      subtype: 'success',
      sessionId: null,
      costUsd: 0.75,
      inputTokens: 1,
      outputTokens: 1,
      killReason: null,
      error: null,
    });
    await e.agentRun(running.id, { finished: false, kind: 'analyst' });
    e.clock.advance(5_000);
    await e.pipeline.cancel(cancelled.id, 'duplicate');

    const list = await e.app.inject({ url: '/api/tasks', headers: ADMIN });
    const body = list.json<{
      tasks: { id: number; waiting_reason: string | null; finished_at_ms: number | null }[];
      spend_today: unknown;
    }>();
    const byId = new Map(body.tasks.map((t) => [t.id, t]));
    expect(byId.get(approval.id)!.waiting_reason).toMatch(/waits for approval by alice/);
    expect(byId.get(running.id)).toMatchObject({ waiting_reason: null, finished_at_ms: null });
    expect(byId.get(cancelled.id)).toMatchObject({
      waiting_reason: null,
      finished_at_ms: e.clock.now(),
    });
    expect(body.spend_today).toEqual({
      usd: 0.75,
      limit_usd: 20,
      since_ms: Date.UTC(2026, 0, 1),
    });

    const detail = await e.app.inject({ url: `/api/tasks/${approval.workItemId}`, headers: ADMIN });
    const d = detail.json<Record<string, unknown>>();
    expect(d.task).toMatchObject({
      finished_at_ms: null,
      waiting_reason: byId.get(approval.id)!.waiting_reason,
    });
    expect(d.explain).toMatchObject({
      workItemId: approval.workItemId,
      state: 'awaiting_approval',
      reasons: [expect.objectContaining({ code: 'awaiting_approval' })],
    });
    const start = Date.UTC(2026, 0, 1);
    expect(d.stage_durations).toEqual([
      { stage: 'created', entered_at_ms: start, left_at_ms: start, duration_ms: 0 },
      { stage: 'analysis', entered_at_ms: start, left_at_ms: null, duration_ms: null },
    ]);
    expect(d.cost).toEqual({
      total_usd: 0.75,
      by_stage: [{ stage: 'analysis', usd: 0.75 }],
      budget: { per_item_usd: 5, per_run_usd: null, per_day_usd: 20 },
    });
    expect(d.agent_runs).toEqual([expect.objectContaining({ stage: 'analysis', cost_usd: 0.75 })]);
    expect(d.jobs).toEqual([
      expect.objectContaining({
        kind: 'analyst',
        role: 'analyst',
        work_item_id: approval.workItemId,
      }),
    ]);

    await e.app.inject({
      method: 'POST',
      url: `/admin/tasks/${approval.id}/approve`,
      headers: ADMIN,
    });
    const moved = (await e.app.inject({ url: `/api/tasks/${approval.id}`, headers: ADMIN })).json<{
      stage_durations: { stage: string; left_at_ms: number | null }[];
    }>();
    expect(moved.stage_durations.map((v) => [v.stage, v.left_at_ms])).toEqual([
      ['created', start],
      ['analysis', e.clock.now()],
      ['architecture', null],
    ]);
    const queue = await e.app.inject({ url: '/queue', headers: ADMIN });
    const recent = queue.json<{ recent: { kind: string; role: string; work_item_id: string }[] }>()
      .recent;
    expect(recent).toContainEqual(
      expect.objectContaining({
        kind: 'architect',
        role: 'architect',
        work_item_id: approval.workItemId,
      }),
    );
  });

  it('documents the new dashboard routes in the OpenAPI document', async () => {
    const e = await setup();
    const res = await e.app.inject({ url: '/docs/json' });
    const paths = Object.keys(res.json<{ paths: Record<string, unknown> }>().paths);
    for (const path of [
      '/api/events',
      '/api/projects',
      '/api/tasks/{id}/artifacts',
      '/api/tasks/{id}/artifacts/{name}',
      '/api/tasks/{id}/diff',
      '/admin/tasks',
    ]) {
      expect(paths).toContain(path);
    }
  });
});
