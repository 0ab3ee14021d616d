// Over 400 lines: the engine is the one place a task changes stage (advance, rollback, block,
// defer, apply) and its transaction; splitting it would scatter the invariant "every change is
// one guarded transaction". The gate context (gateContext, coverage, visit start) is the part
// that could move out (pipeline/gate-context.ts) — not done yet.
import type { AutoLabelPolicy } from './auto-labels.js';
import type { Clock } from '../clock.js';
import type { CoverageCheck, GateContext, GateResult } from '../gates/gate.js';
import type { CoverageRepo } from '../store/coverage/coverage-repo.js';
import type { GateRegistry } from '../gates/registry.js';
import type { Logger } from '../log.js';
import type { JobQueue } from '../queue/job-queue.js';
import type { EnqueueInput } from '../queue/enqueue-input.js';
import type { OutboxWriter } from '../outbox/outbox-writer.js';
import type { Db, Queryable } from '../store/db.js';
import type { SerialGate } from './serial-gate.js';
import { effectEntries, type Effect } from './effects.js';
import { firstPostDeployCheck } from './post-deploy.js';
import type { Project, ProjectRegistry } from './project.js';
import { stagePrompt, templateFor } from './prompts.js';
import type { WorkflowLookup } from './workflow-registry.js';
import { agentFor, next, stageDef } from './stages.js';
import type { Task } from './task.js';
import type { TaskStore, TransitionGuard, TransitionSet } from '../store/tasks/task-store.js';

/** What one call into the engine did. Every path returns one of these; none throws for a red gate. */
export type AdvanceResult =
  | { kind: 'advanced'; from: string; to: string; jobId: number | null }
  | { kind: 'rolled_back'; from: string; to: string; jobId: number | null; reason: string }
  | { kind: 'rerun'; stage: string; role: string; jobId: number; reason: string }
  | { kind: 'awaiting_approval' }
  | { kind: 'needs_input' }
  | { kind: 'waiting'; reason: string }
  | { kind: 'blocked'; reason: string }
  | { kind: 'cancelled'; reason: string }
  | { kind: 'gate_failed'; gate: GateResult }
  | { kind: 'deferred'; gate: string; delayMs: number }
  | { kind: 'warning'; reason: string }
  | { kind: 'noop'; reason: string };

/** The task's checkout: the worktree agents wrote into, at the branch head. */
export interface Workspace {
  ensure(task: Task, project: Project): Promise<string>;
  headSha(worktree: string): Promise<string | null>;
}

export interface EngineDeps {
  db: Db;
  queue: JobQueue;
  tasks: TaskStore;
  gates: GateRegistry;
  projects: ProjectRegistry;
  workspace: Workspace;
  /** Where a change's side effects go, in the change's transaction (delivered after commit). */
  outbox: OutboxWriter;
  log: Logger;
  clock: Clock;
  /** How many times one stage visit may be deferred (busy merge lease) before it blocks. */
  maxDefers?: number;
  /**
   * Asked after a deferral naming what it waits for (`GateResult.waitsFor`) was committed: true
   * when that is free already — freed between the gate's look and the commit, so nobody was left
   * to wake the re-check — and the re-check then runs at once. Absent: it sleeps out its delay.
   */
  isFree?: (waitsFor: string) => Promise<boolean>;
  /** Label auto-mode kill-switch and scope (auto-labels.ts); default: on, every repository. */
  labelPolicy?: AutoLabelPolicy;
  /** The serial gate per repository (serial-gate.ts); absent = no gate, no freeze. */
  serialGate?: SerialGate;
  /** Coverage baselines (ORCH-027); absent or disabled = `check_tests_local` measures nothing. */
  coverage?: { repo: CoverageRepo; enabled: boolean };
  /** Post-deploy monitor kill-switch (post-deploy.ts); absent = off. */
  postDeploy?: { enabled: boolean };
  /**
   * Sees every committed change (the task as it was, the timeline entry, the gate results): the
   * lessons auto-detectors (lesson-detectors.ts). Must not throw; it cannot undo the change.
   */
  observe?: (task: Task, event: Change['event'], gates: readonly GateResult[]) => Promise<void>;
  /**
   * The projects' workflow files (`.orch/workflow.md`, workflow-registry.ts): role prompt
   * templates, the test command and the stage machine overrides. Absent = the built-in prompts
   * and project config.
   */
  workflows?: WorkflowLookup;
}

/** The job kind that re-evaluates a deferred stage (handled in-process). */
export const RECHECK_JOB_KIND = 'pipeline.recheck';

/**
 * How long past its own deadline a gate may stay undecided before the engine blocks the task
 * anyway (the gate should have failed itself at the first re-check after the deadline).
 */
export const OWN_DEADLINE_GRACE_MS = 60_000;

export interface JobSpec {
  role: string;
  stage: string;
  prompt: string;
}

export interface Change {
  guard: TransitionGuard;
  set: TransitionSet;
  event: { type: string; message: string; detail?: unknown };
  gates?: GateResult[];
  job?: JobSpec;
  /** Re-evaluate the stage after this long (a deferred gate). */
  recheckAfterMs?: number;
  /** What the re-check waits for (`GateResult.waitsFor`): whoever frees it may wake it early. */
  recheckWaitsFor?: string;
  /** Further jobs committed with the change (the post-deploy monitor's first probe). */
  followUps?: EnqueueInput[];
  effects?: Effect[];
  /**
   * Asked inside the transaction before anything is written (the serial gate, after locking the
   * repository); false = the change is not made and `apply` returns null.
   */
  admit?: (q: Queryable) => Promise<boolean>;
}

/** A timeline entry without a stage change, and what to tell humans about it. */
export interface RecordEvent {
  type: string;
  message: string;
  detail?: unknown;
  effects?: Effect[];
}

/**
 * The one implementation of "a stage may have finished": used after an agent run, on tracker
 * events (approve / reject / answer) and by the reconciler. Gates are evaluated first (read-only,
 * slow); then the task's stage change, its timeline entry, the gate results and the next job are
 * written in one transaction guarded on the stage that was evaluated, so of two concurrent
 * callers exactly one moves the task. Tracker, chat and forge side effects are written to the
 * outbox in that same transaction and delivered after the commit by the outbox worker (woken at
 * once): they never fail the step, and a crash between commit and delivery loses none.
 */
export class CoreEngine {
  readonly deps: EngineDeps;

  constructor(deps: EngineDeps) {
    this.deps = deps;
  }

  /**
   * The task's project with its effective stage machine: the project's workflow file's
   * `pipeline:` when it has one and the task's stage is on the task's track there; else the
   * project's own, so an item whose stage or track the workflow's pipeline lacks goes on under
   * the config's stage machine instead of getting stuck.
   */
  project(task: Task): Project {
    const project = this.deps.projects.get(task.projectKey);
    const pipeline = this.deps.workflows?.current(task.projectKey)?.pipeline;
    if (!pipeline?.tracks[task.track]?.includes(task.stage)) return project;
    return { ...project, pipeline };
  }

  /** A project as a new item enters it: with its workflow file's stage machine, if any. */
  projectForIntake(project: Project): Project {
    const pipeline = this.deps.workflows?.current(project.key)?.pipeline;
    return pipeline ? { ...project, pipeline } : project;
  }

  /** Whether the task's branch reached the base branch: the merge gate passed for it once. */
  async merged(task: Task): Promise<boolean> {
    if (task.mergedSha !== null) return true;
    const results = await this.deps.tasks.gateResults(task.id);
    return results.some((g) => g.gate === 'merge_gate' && g.passed);
  }

  async gateContext(task: Task): Promise<GateContext> {
    const project = this.project(task);
    const worktree = await this.deps.workspace.ensure(task, project);
    return {
      workItemId: task.workItemId,
      taskId: task.id,
      repo: task.repo,
      branch: task.branch,
      baseBranch: task.baseBranch,
      worktree,
      testCommand:
        this.deps.workflows?.current(task.projectKey)?.testCommand ?? project.testCommand,
      testTimeoutMs: project.testTimeoutMs,
      forge: project.forge,
      headSha: await this.deps.workspace.headSha(worktree),
      merged: await this.merged(task),
      ...(await this.#coverageCheck(task, project)),
      ...(project.deploy && { deploy: project.deploy }),
      ...(project.selfHosted && {
        selfDeploy: { stage: task.stage, visitStartedAtMs: await this.#visitStartedAtMs(task) },
      }),
    };
  }

  /**
   * When the task's current stage visit began: it entered the stage, or was last resumed in it
   * (a resume re-runs the stage without changing `stageEnteredAtMs`). A self-deploy hook runs at
   * most once per visit.
   */
  async #visitStartedAtMs(task: Task): Promise<number> {
    let startedAtMs = task.stageEnteredAtMs;
    for (const e of await this.deps.tasks.events(task.id))
      if (e.type === 'resumed' && e.atMs >= startedAtMs) startedAtMs = e.atMs;
    return startedAtMs;
  }

  async #coverageCheck(task: Task, project: Project): Promise<{ coverage?: CoverageCheck }> {
    const c = this.deps.coverage;
    if (!project.coverage || !c?.enabled) return {};
    const baseline = await c.repo.baseline(task.repo);
    return {
      coverage: {
        ...project.coverage,
        baseline: baseline?.pct ?? null,
        record: (pct) => c.repo.recordRun(task.id, task.repo, pct, this.deps.clock.now()),
      },
    };
  }

  /** Exit gate, then edge gates in order; stops at the first red one. */
  async evaluateExit(
    task: Task,
    ctx: GateContext,
  ): Promise<{ passed: boolean; results: GateResult[] }> {
    const def = stageDef(this.project(task).pipeline, task.stage);
    const names = [def.gate, ...(def.edgeGates ?? [])].filter((g): g is string => g !== null);
    const results: GateResult[] = [];
    const recorded = def.edgeGates?.length ? await this.deps.tasks.gateResults(task.id) : [];
    for (const name of names) {
      if (name !== def.gate && !this.deps.gates.has(name)) continue; // edge gate not configured
      const passedGates = latestPassed([...recorded, ...results]);
      const r = await this.deps.gates.evaluate(name, { ...ctx, passedGates });
      results.push(r);
      if (!r.passed) return { passed: false, results };
    }
    return { passed: true, results };
  }

  /**
   * Advances the task out of its stage (gates already green) and enqueues the next agent.
   * `admit` is checked in the transaction (see Change.admit); `why` is added to the timeline entry.
   */
  async advance(
    task: Task,
    gates: GateResult[],
    states?: Task['state'][],
    o: { admit?: Change['admit']; why?: string } = {},
  ): Promise<AdvanceResult> {
    const p = this.project(task).pipeline;
    const to = next(p, task.track, task.stage);
    if (to === null) return { kind: 'noop', reason: 'terminal stage' };
    const role = agentFor(p, task.track, task.stage);
    const done = next(p, task.track, to) === null;
    const applied = await this.apply(task, {
      guard: { stage: task.stage, ...(states && { states }) },
      set: { stage: to, state: done ? 'done' : 'active' },
      event: {
        type: 'stage_changed',
        message: `${task.stage} → ${to}${o.why ? ` (${o.why})` : ''}`,
        detail: { from: task.stage, to },
      },
      gates,
      ...(o.admit && { admit: o.admit }),
      ...(role && {
        job: {
          role,
          stage: to,
          prompt: stagePrompt(task, role, to, {
            template: templateFor(this.deps.workflows, task, role),
          }),
        },
      }),
      ...(done && this.#monitorsDeploys(task) && { followUps: [firstPostDeployCheck(task)] }),
      effects: [
        { kind: 'tracker_state', state: done ? 'done' : 'in_progress' },
        {
          kind: 'comment',
          author: 'orch',
          body: `➡️ ${task.workItemId}: ${task.stage} → ${to}${role ? ` (${role} started)` : ''}`,
        },
        done
          ? { kind: 'notify', event: { type: 'task_done', message: `${task.workItemId} is done` } }
          : {
              kind: 'notify',
              event: { type: 'stage_changed', from: task.stage, message: `${task.stage} → ${to}` },
            },
        ...this.#pushBack(task, done),
      ],
    });
    if (!applied) return { kind: 'noop', reason: 'task moved meanwhile' };
    return { kind: 'advanced', from: task.stage, to, jobId: applied.jobId };
  }

  /**
   * A gate could not decide yet (the merge lease is busy): record it and re-check later, at most
   * `maxDefers` times per stage visit; then the task is blocked rather than waiting forever. A
   * gate that keeps its own deadline (`GateResult.deadlineMs`: a self-deploy hook, bounded by its
   * timeout) is re-checked until it decides, whatever the count; it is blocked only if it is still
   * undecided `OWN_DEADLINE_GRACE_MS` after its deadline.
   */
  async defer(task: Task, gates: GateResult[], delayMs: number): Promise<AdvanceResult> {
    const max = this.deps.maxDefers ?? 10;
    const previous = (await this.deps.tasks.events(task.id)).filter(
      (e) => e.type === 'deferred' && e.atMs >= task.stageEnteredAtMs,
    ).length;
    const last = gates.at(-1)!;
    const own = last.deadlineMs;
    if (own === undefined && previous >= max)
      return this.block(task, `${last.reason}; still undecided after ${max} re-checks`, gates);
    const nowMs = this.deps.clock.now();
    if (own !== undefined && nowMs > own + delayMs + OWN_DEADLINE_GRACE_MS)
      return this.block(task, `${last.reason}; still undecided after its own deadline`, gates);
    const count =
      own === undefined
        ? `${previous + 1}/${max}`
        : `deadline in ${Math.max(0, Math.round((own - nowMs) / 1000))}s`;
    const applied = await this.apply(task, {
      guard: { stage: task.stage, states: ['active'] },
      set: {},
      event: {
        type: 'deferred',
        message: `${last.gate}: ${last.reason}; re-check in ${Math.round(delayMs / 1000)}s (${count})`,
      },
      gates,
      recheckAfterMs: delayMs,
      ...(last.waitsFor !== undefined && { recheckWaitsFor: last.waitsFor }),
    });
    if (!applied) return { kind: 'noop', reason: 'task moved meanwhile' };
    if (last.waitsFor !== undefined) await this.#wakeIfFree(task, last.waitsFor);
    return { kind: 'deferred', gate: last.gate, delayMs };
  }

  /**
   * The deferred re-check runs at once if what it waits for was freed before it was written —
   * unless another item's waiter is already due (the one woken when it was freed goes first).
   */
  async #wakeIfFree(task: Task, waitsFor: string): Promise<void> {
    try {
      if (await this.deps.isFree?.(waitsFor))
        await this.deps.queue.wakeOwn(RECHECK_JOB_KIND, waitsFor, task.id);
    } catch (err) {
      this.deps.log.warn(
        { err, waitsFor },
        'deferred re-check: checking whether it is free failed',
      );
    }
  }

  /**
   * Parks the task as blocked (retry cap, failed deploy, gate without a rollback rule, an agent job
   * that failed for good). `states` narrows the guard (e.g. only while still `active`).
   */
  async block(
    task: Task,
    reason: string,
    gates: GateResult[] = [],
    o: { states?: Task['state'][]; detail?: unknown } = {},
  ): Promise<AdvanceResult> {
    const applied = await this.apply(task, {
      guard: { stage: task.stage, ...(o.states && { states: o.states }) },
      set: { state: 'blocked', lastError: reason },
      event: {
        type: 'blocked',
        message: reason,
        ...(o.detail !== undefined && { detail: o.detail }),
      },
      gates,
      effects: [
        { kind: 'tracker_state', state: 'blocked' },
        { kind: 'comment', author: 'orch', body: `⛔ Blocked: ${reason}` },
        { kind: 'notify', event: { type: 'task_blocked', message: reason } },
      ],
    });
    return applied ? { kind: 'blocked', reason } : { kind: 'noop', reason: 'task moved meanwhile' };
  }

  /**
   * Applies one guarded change in a transaction: the task row, its timeline, gate results and the
   * next job commit together or not at all. Returns null when the guard no longer matches.
   */
  async apply(task: Task, c: Change): Promise<{ task: Task; jobId: number | null } | null> {
    const { db, tasks, queue, clock } = this.deps;
    const nowMs = clock.now();
    const result = await db.tx(async (q) => {
      if (c.admit && !(await c.admit(q))) return null;
      const updated = await tasks.transition(q, task.id, c.guard, c.set, nowMs);
      if (!updated) return null;
      await this.#saveGates(q, task, c.gates ?? [], nowMs);
      await tasks.addEvent(q, {
        taskId: task.id,
        atMs: nowMs,
        type: c.event.type,
        stage: updated.stage,
        message: c.event.message,
        detail: c.event.detail,
      });
      const jobId = c.job ? await this.#enqueueJob(q, updated, c.job, nowMs) : null;
      await this.emit(q, updated, { effects: c.effects ?? [], gates: c.gates ?? [], nowMs });
      for (const f of c.followUps ?? []) await queue.enqueueIn(q, { ...f, availableAtMs: nowMs });
      if (c.recheckAfterMs !== undefined) {
        await queue.enqueueIn(q, {
          kind: RECHECK_JOB_KIND,
          taskId: task.id,
          payload: {
            taskId: task.id,
            stage: updated.stage,
            ...(c.recheckWaitsFor !== undefined && { waitsFor: c.recheckWaitsFor }),
          },
          availableAtMs: nowMs + c.recheckAfterMs,
        });
      }
      return { task: updated, jobId };
    });
    if (!result) return null;
    if (result.jobId !== null || c.followUps?.length) queue.wake.notify();
    this.deps.outbox.wake();
    await this.deps.observe?.(task, c.event, c.gates ?? []);
    return result;
  }

  /** Reaching done with a `forge.pushTo`: the merged base branch goes back (push-back.ts). */
  #pushBack(task: Task, done: boolean): Effect[] {
    const to = done ? this.project(task).pushTo : undefined;
    return to === undefined ? [] : [{ kind: 'push_back', to }];
  }

  /** Whether reaching done starts the post-deploy monitor for this task's project. */
  #monitorsDeploys(task: Task): boolean {
    return this.deps.postDeploy?.enabled === true && this.project(task).postDeploy !== undefined;
  }

  /** Enqueues the stage's agent job and its timeline entry inside the change's transaction. */
  async #enqueueJob(q: Queryable, task: Task, spec: JobSpec, nowMs: number): Promise<number> {
    const project = this.project(task);
    const { job } = await this.deps.queue.enqueueIn(q, {
      kind: spec.role,
      taskId: task.id,
      payload: {
        taskId: task.id,
        workItemId: task.workItemId,
        repo: project.forge.cloneUrl(task.repo),
        branch: task.branch,
        role: spec.role,
        stage: spec.stage,
        prompt: spec.prompt,
        ...(project.scenario && { scenario: project.scenario }),
      },
    });
    await this.deps.tasks.addEvent(q, {
      taskId: task.id,
      atMs: nowMs,
      type: 'job_enqueued',
      stage: task.stage,
      message: `${spec.role} job ${job.id} enqueued`,
      detail: { jobId: job.id, role: spec.role },
    });
    return job.id;
  }

  /** Writes side effects to the outbox inside the caller's transaction (intake, apply, record). */
  async emit(
    q: Queryable,
    task: Task,
    o: { effects: readonly Effect[]; gates?: readonly GateResult[]; nowMs: number },
  ): Promise<void> {
    const entries = effectEntries(task, o.effects, o.gates ?? []);
    if (entries.length > 0) await this.deps.outbox.add(q, entries, o.nowMs);
  }

  /** Stores gate verdicts, and the merge commit when the merge gate merged the branch. */
  async #saveGates(q: Queryable, task: Task, gates: GateResult[], nowMs: number): Promise<void> {
    for (const g of gates) {
      const { mergedSha, ...verdict } = g;
      await this.deps.tasks.addGateResult(q, task.id, task.stage, {
        ...verdict,
        evidence: g.evidence ?? null,
        evaluatedAtMs: nowMs,
      });
      if (g.passed && mergedSha) await this.deps.tasks.setMergedSha(q, task.id, mergedSha);
    }
  }

  /**
   * Records gate results and a timeline entry without moving the task; the entry's effects (a
   * warning comment, an alert) go to the outbox in the same transaction. Gate results recorded
   * here are not published as commit statuses (the stage did not end).
   */
  async record(task: Task, event: RecordEvent, gates: GateResult[] = []): Promise<void> {
    const nowMs = this.deps.clock.now();
    await this.deps.db.tx(async (q) => {
      await this.#saveGates(q, task, gates, nowMs);
      await this.deps.tasks.addEvent(q, {
        taskId: task.id,
        atMs: nowMs,
        type: event.type,
        stage: task.stage,
        message: event.message,
        detail: event.detail,
      });
      await this.emit(q, task, { effects: event.effects ?? [], nowMs });
    });
    if (event.effects?.length) this.deps.outbox.wake();
  }
}

/** Names of the gates whose latest result (in order) passed. Pure. */
export function latestPassed(results: readonly { gate: string; passed: boolean }[]): string[] {
  const latest = new Map<string, boolean>();
  for (const r of results) latest.set(r.gate, r.passed);
  return [...latest].filter(([, passed]) => passed).map(([gate]) => gate);
}
