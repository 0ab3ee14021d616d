import { randomUUID } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import type { Clock } from '../../clock.js';
import { childBaseEnv } from '../../config/child-env.js';
import type { Logger } from '../../log.js';
import { checkHealth, type DeployStep, type HealthCheck } from '../deploy-step.js';
import type { GateContext } from '../gate.js';
import {
  allStates,
  itemDir,
  itemStates,
  outputTail,
  readExitCode,
  readState,
  visitDir,
  writeState,
} from './self-deploy-files.js';
import { hookAlive, killHook, launchHook } from './self-deploy-hook.js';
import {
  decideSelfDeploy,
  seconds,
  type SelfDeployResult,
  type SelfDeployState,
} from './self-deploy-state.js';

export interface SelfDeployDeps {
  /** `<dataDir>/self-deploy`: one directory per work item, one below it per stage visit. */
  dir: string;
  clock: Clock;
  log: Logger;
  /** How often a running hook is looked at again (the gate's `retryAfterMs`). */
  pollMs: number;
  /** SIGTERM → SIGKILL grace for a hook killed at its deadline. */
  killGraceMs?: number;
  /** The health probe (deploy-step.ts `checkHealth`); tests may pass one that does not sleep. */
  health?: (h: HealthCheck) => Promise<{ ok: boolean; attempts: number; detail: string }>;
}

export type SelfDeployOutcome =
  | { kind: 'waiting'; reason: string; deadlineMs: number; retryAfterMs: number }
  | { kind: 'finished'; state: SelfDeployState; result: SelfDeployResult };

/** A launch whose result is not final yet; `ready` = a look now would finalise it. */
export interface PendingSelfDeploy {
  taskId: number | null;
  workItemId: string;
  stage: string;
  visitStartedAtMs: number;
  ready: boolean;
}

/**
 * Self-deploy (ORCH-036): the production command of a self-hosted project is a host hook that
 * restarts Orch, so it cannot be awaited as a child. `run` launches it detached once per stage
 * visit (the state directory's `mkdir` is the claim), and every later call looks at it: still
 * running → `waiting` (until its deadline); an exit code → the result, with the health check after
 * exit 0; past the deadline → its group killed, FAILED; gone without an exit code → FAILED. The
 * result is written to `state.json` once and returned as it is from then on, so the finaliser is
 * idempotent. Concurrent calls for one visit in this process share one evaluation.
 */
export function createSelfDeploy(deps: SelfDeployDeps) {
  const inflight = new Map<string, Promise<SelfDeployOutcome>>();
  const health = deps.health ?? ((h: HealthCheck) => checkHealth(h));
  const log = deps.log.child({ daemon: 'self-deploy' });

  const waiting = (reason: string, deadlineMs: number): SelfDeployOutcome => ({
    kind: 'waiting',
    reason,
    deadlineMs,
    // Never sleep past the deadline: the look after it decides "timed out".
    retryAfterMs: Math.min(deps.pollMs, Math.max(0, deadlineMs - deps.clock.now()) + 100),
  });

  async function finish(vdir: string, state: SelfDeployState, result: SelfDeployResult) {
    const done: SelfDeployState = { ...state, finished: result };
    await writeState(vdir, done);
    const fields = { workItemId: state.workItemId, taskId: state.taskId, how: result.how };
    if (result.ok) log.info(fields, 'self-deploy: hook succeeded');
    else log.warn(fields, 'self-deploy: hook failed');
    return { kind: 'finished' as const, state: done, result };
  }

  async function exited(vdir: string, exitCode: number, step: Pick<DeployStep, 'health'>) {
    const base = {
      finishedAtMs: deps.clock.now(),
      exitCode,
      how: `exit code ${exitCode}`,
      outputTail: await outputTail(vdir),
    };
    if (exitCode !== 0 || !step.health) return { ...base, ok: exitCode === 0, health: null };
    const h = await health(step.health);
    return { ...base, ok: h.ok, health: { url: step.health.url, ...h } };
  }

  async function failed(vdir: string, how: string): Promise<SelfDeployResult> {
    const tail = await outputTail(vdir);
    return {
      finishedAtMs: deps.clock.now(),
      ok: false,
      exitCode: null,
      how,
      outputTail: tail,
      health: null,
    };
  }

  /** One look at a launch: its final result, or `waiting`. */
  async function settle(
    vdir: string,
    state: SelfDeployState,
    step: Pick<DeployStep, 'health'>,
  ): Promise<SelfDeployOutcome> {
    if (state.finished) return { kind: 'finished', state, result: state.finished };
    const seen = {
      exitCode: await readExitCode(vdir),
      alive: state.pid === null ? null : hookAlive(state.pid, state.launchId),
    };
    const next = decideSelfDeploy(state, seen, deps.clock.now());
    switch (next.kind) {
      case 'wait':
        return waiting(
          `self-deploy hook still running (pid ${state.pid ?? 'unknown'}); waiting for its result`,
          state.deadlineMs,
        );
      case 'exited':
        return finish(vdir, state, await exited(vdir, next.exitCode, step));
      case 'timed_out':
        if (next.kill) await killHook(state.pid!, state.launchId, deps.killGraceMs);
        return finish(
          vdir,
          state,
          await failed(vdir, `timed out after ${seconds(state.timeoutMs)}`),
        );
      case 'lost': {
        // It may have written its exit code just after the first read.
        const code = await readExitCode(vdir);
        if (code !== null) return finish(vdir, state, await exited(vdir, code, step));
        return finish(vdir, state, await failed(vdir, 'ended without a result'));
      }
    }
  }

  async function launch(
    ctx: GateContext,
    step: DeployStep & { command: readonly string[] },
    vdir: string,
    visitStartedAtMs: number,
  ): Promise<SelfDeployOutcome> {
    // A hook of an earlier visit that still runs is waited for, never run beside a new one.
    const earlier = await itemStates(deps.dir, ctx.workItemId);
    for (const e of earlier) {
      if (e.state.visitStartedAtMs >= visitStartedAtMs) continue;
      const o = await settle(e.vdir, e.state, {});
      if (o.kind === 'waiting')
        return waiting(
          `an earlier self-deploy hook of ${ctx.workItemId} is still running; waiting for it to end`,
          o.deadlineMs,
        );
    }
    await mkdir(itemDir(deps.dir, ctx.workItemId), { recursive: true });
    try {
      await mkdir(vdir);
    } catch {
      return evaluate(ctx, step, vdir, visitStartedAtMs); // another process claimed this visit
    }
    const nowMs = deps.clock.now();
    const state: SelfDeployState = {
      version: 1,
      workItemId: ctx.workItemId,
      taskId: ctx.taskId ?? null,
      stage: ctx.selfDeploy?.stage ?? 'deploy',
      visitStartedAtMs,
      launchId: randomUUID(),
      command: step.command,
      headSha: ctx.headSha ?? null,
      startedAtMs: nowMs,
      timeoutMs: step.timeoutMs,
      deadlineMs: nowMs + step.timeoutMs,
      pid: null,
      finished: null,
    };
    // Recorded before the spawn: a crash from here on never leads to a second launch.
    await writeState(vdir, state);
    const launched = await launchHook({
      argv: step.command,
      stateDir: vdir,
      cwd: ctx.worktree,
      env: {
        ...childBaseEnv(),
        ORCH_WORK_ITEM: ctx.workItemId,
        ORCH_DEPLOY_SHA: ctx.headSha ?? '',
        ORCH_SELF_DEPLOY_ID: state.launchId,
      },
    });
    if (launched.kind === 'error')
      return finish(vdir, state, await failed(vdir, `could not be started: ${launched.message}`));
    await writeState(vdir, { ...state, pid: launched.pid });
    log.info({ workItemId: ctx.workItemId, pid: launched.pid }, 'self-deploy: hook started');
    for (const e of earlier)
      if (e.state.visitStartedAtMs < visitStartedAtMs)
        await rm(e.vdir, { recursive: true, force: true });
    return waiting('self-deploy hook started; waiting for its result', state.deadlineMs);
  }

  async function evaluate(
    ctx: GateContext,
    step: DeployStep & { command: readonly string[] },
    vdir: string,
    visitStartedAtMs: number,
  ): Promise<SelfDeployOutcome> {
    const read = await readState(vdir);
    switch (read.kind) {
      case 'found':
        return settle(vdir, read.state, step);
      case 'absent':
        return launch(ctx, step, vdir, visitStartedAtMs);
      case 'unreadable': {
        // Claimed but no record: a launch in progress elsewhere, or cut short before the spawn.
        const deadlineMs = read.dirMtimeMs + step.timeoutMs;
        if (deps.clock.now() < deadlineMs)
          return waiting('self-deploy hook is being started', deadlineMs);
        const state: SelfDeployState = {
          version: 1,
          workItemId: ctx.workItemId,
          taskId: ctx.taskId ?? null,
          stage: ctx.selfDeploy?.stage ?? 'deploy',
          visitStartedAtMs,
          launchId: '',
          command: step.command,
          headSha: ctx.headSha ?? null,
          startedAtMs: read.dirMtimeMs,
          timeoutMs: step.timeoutMs,
          deadlineMs,
          pid: null,
          finished: null,
        };
        return finish(
          vdir,
          state,
          await failed(vdir, 'was not started (Orch stopped while starting it)'),
        );
      }
    }
  }

  return {
    /**
     * The self-deploy of the gate context's stage visit: launched on the first call, looked at on
     * every later one. Needs `ctx.selfDeploy` and a step with a command.
     */
    run(ctx: GateContext, step: DeployStep & { command: readonly string[] }) {
      const visit = ctx.selfDeploy?.visitStartedAtMs ?? 0;
      const vdir = visitDir(deps.dir, ctx.workItemId, visit);
      const running = inflight.get(vdir);
      if (running) return running;
      const p = evaluate(ctx, step, vdir, visit).finally(() => inflight.delete(vdir));
      inflight.set(vdir, p);
      return p;
    },

    /** Launches whose result is not final yet (the start-up finaliser's work list). */
    async pending(): Promise<PendingSelfDeploy[]> {
      const out: PendingSelfDeploy[] = [];
      for (const { vdir, state } of await allStates(deps.dir)) {
        if (state.finished) continue;
        const seen = {
          exitCode: await readExitCode(vdir),
          alive: state.pid === null ? null : hookAlive(state.pid, state.launchId),
        };
        const { taskId, workItemId, stage, visitStartedAtMs } = state;
        const ready = decideSelfDeploy(state, seen, deps.clock.now()).kind !== 'wait';
        out.push({ taskId, workItemId, stage, visitStartedAtMs, ready });
      }
      return out;
    },
  };
}

export type SelfDeploy = ReturnType<typeof createSelfDeploy>;
