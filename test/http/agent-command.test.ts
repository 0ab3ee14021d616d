import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { describeEachDialect } from '../helpers/test-db.js';
import { ADMIN, bearer, createToken, makeServer } from './http-helpers.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const JOB = join(ROOT, 'test/fixtures/remote-agent/job.mjs');

function startAgent(url: string, token: string): ChildProcess {
  const args = ['--import', 'tsx', 'src/cli/main.ts', 'agent', '--url', url, '--token', token];
  args.push(
    '--kinds',
    'scan',
    '--wait-ms',
    '2000',
    '--kill-grace-ms',
    '500',
    '--log-level',
    'warn',
  );
  args.push('--', process.execPath, JOB);
  return spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'] });
}

async function until<T>(
  what: string,
  fn: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

interface E2e {
  s: ReturnType<typeof makeServer>;
  h: Record<string, string>;
}

async function startRun(e: E2e, payloads: Record<string, unknown>[]) {
  const res = await e.s.app.inject({
    method: 'POST',
    url: '/v2/runs',
    headers: e.h,
    payload: { plan: payloads.map((payload) => ({ kind: 'scan', payload })) },
  });
  return res.json<{ id: number }>().id;
}

async function getRun(e: E2e, id: number) {
  const res = await e.s.app.inject({ method: 'GET', url: `/v2/runs/${id}`, headers: e.h });
  return res.json<{
    status: string;
    jobs: { id: number; status: string; error: string | null }[];
  }>();
}

function runFinished(e: E2e, id: number) {
  return until('run to finish', async () => {
    const r = await getRun(e, id);
    return ['completed', 'failed'].includes(r.status) ? r : undefined;
  });
}

async function expectRunWithArtifacts(e: E2e, runId: number) {
  const run = await runFinished(e, runId);
  expect(run.status).toBe('failed');
  expect(run.jobs.map((j) => j.status)).toEqual(['done', 'failed']);
  // The command's last line on stderr, without its colour codes, says why.
  expect(run.jobs[1]!.error).toBe('command failed: exit code 3: job.mjs: target unreachable');
  const index = await e.s.app.inject({
    method: 'GET',
    url: `/v2/runs/${runId}/artifacts/index.json`,
    headers: e.h,
  });
  const items = index.json<{ items: { path: string; id: number }[] }>().items;
  expect(items.map((i) => i.path)).toEqual(['nested/notes.txt', 'report.json']);
  const report = await e.s.app.inject({
    method: 'GET',
    url: `/v2/runs/${runId}/artifacts/${items[1]!.id}`,
    headers: e.h,
  });
  expect(report.json()).toEqual({ job: String(run.jobs[0]!.id), target: 'a' });
}

/** Cancel: the agent learns it from a heartbeat and kills the whole process group. */
async function expectCancelKillsGroup(e: E2e) {
  const pidFile = join(e.s.dataDir, 'grandchild.pid');
  const runId = await startRun(e, [{ mode: 'hang', pidFile }]);
  await until('job to start', () => (existsSync(pidFile) ? true : undefined));
  const grandchild = Number(readFileSync(pidFile, 'utf8'));
  const jobId = (await getRun(e, runId)).jobs[0]!.id;
  const cancel = await e.s.app.inject({
    method: 'POST',
    url: `/admin/jobs/${jobId}/cancel`,
    headers: ADMIN,
  });
  expect(cancel.statusCode).toBe(200);
  const cancelled = await runFinished(e, runId);
  expect(cancelled.jobs[0]!.status).toBe('cancelled');
  await until('grandchild to die', () => (alive(grandchild) ? undefined : true), 5000);
}

/** SIGTERM with a job running: the job goes back to the queue and the agent exits 0. */
async function expectShutdownHandsBack(e: E2e, agent: ChildProcess) {
  const pidFile = join(e.s.dataDir, 'grandchild2.pid');
  const runId = await startRun(e, [{ mode: 'hang', pidFile }]);
  await until('second hang to start', () => (existsSync(pidFile) ? true : undefined));
  const jobId = (await getRun(e, runId)).jobs[0]!.id;
  const exited = new Promise<number | null>((resolve) =>
    agent.once('exit', (code) => resolve(code)),
  );
  agent.kill('SIGTERM');
  expect(await exited).toBe(0);
  const handedBack = await e.s.queue.get(jobId);
  expect(handedBack).toMatchObject({ status: 'queued', attempts: 0, error: 'agent shut down' });
  const grandchild = Number(readFileSync(pidFile, 'utf8'));
  await until('second grandchild to die', () => (alive(grandchild) ? undefined : true), 5000);
}

describeEachDialect('orch agent (end to end)', ({ current }) => {
  let app: FastifyInstance | undefined;
  let agent: ChildProcess | undefined;
  afterEach(async () => {
    if (agent && agent.exitCode === null) agent.kill('SIGKILL');
    agent = undefined;
    await app?.close();
    app = undefined;
  });

  it('runs jobs, uploads artifacts, completes, obeys cancel, and on SIGTERM hands its job back and exits 0', async () => {
    const s = makeServer(current().db, { leaseMs: 3000 });
    app = s.app;
    const url = await s.app.listen({ port: 0, host: '127.0.0.1' });
    const token = await createToken(s.app, { tenant_id: 'acme', kinds: ['scan'] });
    const e: E2e = { s, h: bearer(token) };
    const runId = await startRun(e, [{ mode: 'ok', target: 'a' }, { mode: 'fail' }]);
    agent = startAgent(url, token);
    await expectRunWithArtifacts(e, runId);
    await expectCancelKillsGroup(e);
    await expectShutdownHandsBack(e, agent);
  });

  it('keeps heartbeating while it uploads artifacts: a slow upload never lets the lease expire', async () => {
    const leaseMs = 1000;
    const s = makeServer(current().db, { leaseMs });
    app = s.app;
    let uploadStartedAtMs: number | null = null;
    let openUploads!: () => void;
    const uploadsOpen = new Promise<void>((r) => (openUploads = r));
    s.app.addHook('onRequest', async (req) => {
      if (req.method !== 'POST' || !/\/v2\/runs\/\d+\/artifacts/.test(req.url)) return;
      uploadStartedAtMs ??= Date.now();
      await uploadsOpen;
    });
    const url = await s.app.listen({ port: 0, host: '127.0.0.1' });
    const token = await createToken(s.app, { tenant_id: 'acme', kinds: ['scan'] });
    const e: E2e = { s, h: bearer(token) };
    const runId = await startRun(e, [{ mode: 'ok', target: 'a' }]);
    agent = startAgent(url, token);
    const startedAtMs = await until('upload to start', () => uploadStartedAtMs ?? undefined);
    const jobId = (await getRun(e, runId)).jobs[0]!.id;
    await until('a heartbeat a full lease into the upload', async () => {
      const job = await s.queue.get(jobId);
      return job!.heartbeatAtMs! >= startedAtMs + leaseMs ? job : undefined;
    });
    expect(await s.admin.expireLeases()).toEqual([]);
    openUploads();
    const run = await runFinished(e, runId);
    expect(run.status).toBe('completed');
    expect(await s.queue.get(jobId)).toMatchObject({ status: 'done', attempts: 1 });
  });
});
