import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import type { GateContext } from '../../src/gates/gate.js';
import type { Forge } from '../../src/integrations/forge/forge.js';
import { silentLogger } from '../../src/log.js';
import { createSelfDeploy, type SelfDeployDeps } from '../../src/gates/self-deploy/self-deploy.js';
import { deployStatusGate } from '../../src/gates/self-deploy/self-deploy-gate.js';
import { hookAlive } from '../../src/gates/self-deploy/self-deploy-hook.js';
import { visitDir } from '../../src/gates/self-deploy/self-deploy-files.js';
import type { SelfDeployState } from '../../src/gates/self-deploy/self-deploy-state.js';
import { scratchWorkItem } from '../helpers/work-item.js';

/**
 * Self-deploy's launcher and finaliser (ORCH-036) with real detached processes: the hooks are
 * small shell scripts; the deadline runs on a manual clock.
 */
const ID = 'SD-001';
const VISIT = 1_000;
let root: string;
let clock: ManualClock;
let marker: string;

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'orch-selfdeploy-'));
  clock = new ManualClock();
  marker = join(root, 'runs.txt');
  process.env.ORCH_ADMIN_TOKEN = 'orch-admin-token-never-for-hooks';
});

afterEach(() => {
  delete process.env.ORCH_ADMIN_TOKEN;
});

/** A hook script: counts its runs in the marker file, then `body`. */
function hook(body: string): string[] {
  const path = join(root, `hook-${Math.random().toString(36).slice(2)}.sh`);
  writeFileSync(path, `echo run >> "$1"\n${body}\n`);
  return ['sh', path, marker];
}

const runs = () => (existsSync(marker) ? readFileSync(marker, 'utf8').split('\n').length - 1 : 0);

function deployer(o: Partial<SelfDeployDeps> = {}) {
  return createSelfDeploy({
    dir: join(root, 'self-deploy'),
    clock,
    log: silentLogger,
    pollMs: 5000,
    killGraceMs: 500,
    ...o,
  });
}

function ctx(
  command: string[],
  o: { visit?: number; timeoutMs?: number; selfHosted?: boolean } = {},
): GateContext {
  return scratchWorkItem(ID).ctx({} as Forge, {
    taskId: 7,
    headSha: 'abc123',
    deploy: { production: { command, timeoutMs: o.timeoutMs ?? 60_000 } },
    ...(o.selfHosted !== false && {
      selfDeploy: { stage: 'deploy', visitStartedAtMs: o.visit ?? VISIT },
    }),
  });
}

const run = (sd: ReturnType<typeof deployer>, c: GateContext) =>
  sd.run(c, { ...c.deploy!.production!, command: c.deploy!.production!.command! });

async function until(what: string, check: () => boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const stateOf = (visit = VISIT): SelfDeployState =>
  JSON.parse(
    readFileSync(join(visitDir(join(root, 'self-deploy'), ID, visit), 'state.json'), 'utf8'),
  ) as SelfDeployState;
const exited = (visit = VISIT) =>
  existsSync(join(visitDir(join(root, 'self-deploy'), ID, visit), 'exit-code'));

/** Process group and session of a live pid (Linux /proc/<pid>/stat fields 5 and 6). */
function groupAndSession(pid: number): [number, number] {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return [Number(fields[2]), Number(fields[3])];
}

/** Any process (not yet reaped) left in the group? */
function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('self-deploy launcher and finaliser', () => {
  it('launches the hook once per visit, detached, with the allowlisted env plus the item and sha', async () => {
    const sd = deployer();
    const c = ctx(
      hook(
        'echo "item=$ORCH_WORK_ITEM sha=$ORCH_DEPLOY_SHA admin=${ORCH_ADMIN_TOKEN:-none}"\nsleep 1\necho bye',
      ),
    );
    const first = await run(sd, c);
    expect(first).toEqual({
      kind: 'waiting',
      reason: 'self-deploy hook started; waiting for its result',
      deadlineMs: clock.now() + 60_000,
      retryAfterMs: 5000,
    });
    const state = stateOf();
    expect(state).toMatchObject({ workItemId: ID, taskId: 7, headSha: 'abc123', finished: null });
    expect(state.pid).toBeGreaterThan(0);
    // Its own session and process group: Orch stopping does not take it down.
    expect(groupAndSession(state.pid!)).toEqual([state.pid, state.pid]);

    // A look while it runs launches nothing.
    expect(await run(sd, c)).toMatchObject({ kind: 'waiting', reason: /still running/ });
    await until('the hook to exit', () => exited());
    const done = await run(sd, c);
    expect(done).toMatchObject({ kind: 'finished', result: { ok: true, exitCode: 0 } });
    if (done.kind !== 'finished') throw new Error('not finished');
    expect(done.result.outputTail).toBe('item=SD-001 sha=abc123 admin=none\nbye\n');
    expect(stateOf().finished).toEqual(done.result);

    // Later looks (a duplicate re-check, another start-up) return the recorded result.
    expect(await run(sd, c)).toEqual(done);
    expect(await run(deployer(), c)).toEqual(done);
    expect(runs()).toBe(1);
    expect(await sd.pending()).toEqual([]);
  });

  it('shares one evaluation between concurrent looks at the same visit', async () => {
    const sd = deployer();
    const c = ctx(hook('sleep 1'));
    const all = await Promise.all([run(sd, c), run(sd, c), run(sd, c)]);
    expect(all.map((o) => o.kind)).toEqual(['waiting', 'waiting', 'waiting']);
    await until('the hook to exit', () => exited());
    expect(runs()).toBe(1);
  });

  it('records a non-zero exit as FAILED with its exit code and output', async () => {
    const sd = deployer();
    const c = ctx(hook('echo "rollout refused" >&2\nexit 3'));
    await run(sd, c);
    await until('the hook to exit', () => exited());
    expect(await run(sd, c)).toMatchObject({
      kind: 'finished',
      result: { ok: false, exitCode: 3, how: 'exit code 3', outputTail: 'rollout refused\n' },
    });
  });

  it('checks health after a clean exit, and an unhealthy service is FAILED', async () => {
    const probes: string[] = [];
    const sd = deployer({
      health: (h) => {
        probes.push(h.url);
        return Promise.resolve({ ok: false, attempts: 2, detail: 'HTTP 503 (expected 200)' });
      },
    });
    const c = ctx(hook('exit 0'));
    const health = { url: 'http://127.0.0.1:9/health', status: 200, retries: 1, intervalMs: 0 };
    const step = { ...c.deploy!.production!, health: { ...health, timeoutMs: 1000 } };
    await sd.run(c, { ...step, command: step.command! });
    await until('the hook to exit', () => exited());
    const o = await sd.run(c, { ...step, command: step.command! });
    expect(o).toMatchObject({
      kind: 'finished',
      result: { ok: false, exitCode: 0, health: { ok: false, detail: 'HTTP 503 (expected 200)' } },
    });
    expect(probes).toEqual(['http://127.0.0.1:9/health']);
  });

  it('is FAILED "ended without a result" when the hook is gone without an exit code', async () => {
    const sd = deployer();
    const c = ctx(hook('sleep 30'));
    await run(sd, c);
    const { pid, launchId } = stateOf();
    process.kill(-pid!, 'SIGKILL'); // e.g. killed together with Orch's service
    await until('the hook to die', () => !hookAlive(pid!, launchId));
    expect(await sd.pending()).toMatchObject([{ workItemId: ID, ready: true }]);
    expect(await run(sd, c)).toMatchObject({
      kind: 'finished',
      result: { ok: false, exitCode: null, how: 'ended without a result' },
    });
  });

  it('kills the process group of a hook past its deadline and is FAILED "timed out"', async () => {
    const sd = deployer();
    const c = ctx(hook('sleep 30 &\nwait'), { timeoutMs: 1000 });
    expect(await run(sd, c)).toMatchObject({ kind: 'waiting', retryAfterMs: 1100 });
    const { pid, launchId } = stateOf();
    expect(await sd.pending()).toMatchObject([{ ready: false }]);
    clock.advance(1000);
    expect(await sd.pending()).toMatchObject([{ ready: true }]);
    expect(await run(sd, c)).toMatchObject({
      kind: 'finished',
      result: { ok: false, exitCode: null, how: 'timed out after 1 s' },
    });
    await until('the hook to die', () => !hookAlive(pid!, launchId), 5000);
    // The whole group goes (the backgrounded sleep too): nothing is left to write an exit code.
    await until('its process group to go', () => !groupAlive(pid!), 5000);
    expect(exited()).toBe(false);
  });

  it('launches again for a new visit (a resume), never beside a hook of an earlier visit', async () => {
    const sd = deployer();
    const long = hook('sleep 30');
    await run(sd, ctx(long, { visit: 1, timeoutMs: 10_000 }));
    const again = ctx(hook('exit 0'), { visit: 2 });
    expect(await run(sd, again)).toMatchObject({
      kind: 'waiting',
      reason: `an earlier self-deploy hook of ${ID} is still running; waiting for it to end`,
      deadlineMs: clock.now() + 10_000,
    });
    expect(existsSync(visitDir(join(root, 'self-deploy'), ID, 2))).toBe(false); // not launched
    await until('the first run', () => runs() === 1);
    // Past the earlier hook's deadline it is killed and finalised; the new visit's hook starts.
    clock.advance(10_000);
    expect(await run(sd, again)).toMatchObject({
      kind: 'waiting',
      reason: 'self-deploy hook started; waiting for its result',
    });
    expect(existsSync(visitDir(join(root, 'self-deploy'), ID, 1))).toBe(false); // pruned
    await until('the hook to exit', () => exited(2));
    expect(runs()).toBe(2);
    expect(await run(sd, again)).toMatchObject({ kind: 'finished', result: { ok: true } });
  });
});

describe('check_deploy_status with self-deploy', () => {
  it("waits with the hook's deadline, then writes 14-deploy-log.md from its result", async () => {
    const gate = deployStatusGate(deployer());
    const c = ctx(hook('echo deployed\nexit 0'));
    expect(await gate(c)).toEqual({
      gate: 'check_deploy_status',
      passed: false,
      reason: 'self-deploy hook started; waiting for its result',
      retryAfterMs: 5000,
      deadlineMs: clock.now() + 60_000,
    });
    await until('the hook to exit', () => exited());
    expect(await gate(c)).toMatchObject({ passed: true, reason: 'deploy_status: SUCCESS' });
    const log = readFileSync(`${c.worktree}/docs/work-items/${ID}/14-deploy-log.md`, 'utf8');
    expect(log).toMatch(/^---\ndeploy_status: SUCCESS\nwritten_by: orch\n/);
    expect(log).toContain('hook_exit_code: 0');
    expect(log).toContain('deployed');
  });

  it('fails with the exit code in the reason', async () => {
    const gate = deployStatusGate(deployer());
    const c = ctx(hook('exit 3'));
    await gate(c);
    await until('the hook to exit', () => exited());
    expect(await gate(c)).toMatchObject({
      passed: false,
      reason: 'deploy_status: FAILED (self-deploy hook exit code 3)',
    });
  });

  it('runs the command as an awaited child for a project that is not self-hosted', async () => {
    const gate = deployStatusGate(deployer());
    const c = ctx(hook('echo plain'), { selfHosted: false });
    expect(await gate(c)).toMatchObject({ passed: true, reason: 'deploy_status: SUCCESS' });
    expect(runs()).toBe(1);
    expect(existsSync(join(root, 'self-deploy'))).toBe(false);
  });
});
