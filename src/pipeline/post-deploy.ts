/**
 * The post-deploy monitor (reference ORCH-021). When an item of a project with `postDeploy` is
 * done, Orch probes the production health URL over a window (by default 30 probes in 900 s), one
 * `pipeline.post_deploy` job per probe. No agent and no LLM: the verdict is Orch's own.
 *
 * - HEALTHY: every probe ran and at most `maxFailures` failed.
 * - DEGRADED: more than `maxFailures` failed — decided at once, without waiting for the window's
 *   end. Orch freezes the repository (nothing new passes analysis until `orch repo unfreeze`),
 *   runs the rollback command when `autoRollback` is on (never for the repository that is Orch
 *   itself), alerts, and records a `deploy_degraded` lesson.
 *
 * Either way Orch writes `16-post-deploy-log.md` into the item's worktree and a `post_deploy`
 * entry on its timeline. The item stays done: it did reach production; the freeze is what a
 * person sees and clears. Each probe's job is chained to the next by an idempotency key
 * (`post-deploy:<task>:<n>`), so a re-run job never doubles the chain, and the verdict is
 * written once (a second finish finds the timeline entry and does nothing).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { z } from 'zod';
import { childBaseEnv } from '../config/child-env.js';
import { probe, type HealthCheck } from '../gates/deploy-step.js';
import { runCommand } from '../gates/run-command.js';
import type { EnqueueInput } from '../queue/enqueue-input.js';
import type { CoreEngine } from './engine.js';
import type { Project } from './project.js';
import type { Task } from './task.js';

export const POST_DEPLOY_JOB_KIND = 'pipeline.post_deploy';

/** A project's monitor settings (from `postDeploy` in orch.config.yaml, in milliseconds). */
export interface PostDeployConfig {
  /** The production probe (retries are the window's business: always 0 here). */
  health: HealthCheck;
  checks: number;
  windowMs: number;
  maxFailures: number;
  rollbackCommand?: readonly string[] | undefined;
  rollbackTimeoutMs: number;
  autoRollback: boolean;
}

export type PostDeployStatus = 'HEALTHY' | 'DEGRADED';
export type PostDeployAction = 'NONE' | 'ALERT_ONLY' | 'ROLLED_BACK' | 'ROLLBACK_FAILED';

const payloadSchema = z.object({
  taskId: z.number().int().positive(),
  /** Which probe this job is, from 1. */
  n: z.number().int().min(1),
  /** Probes failed before this one. */
  failed: z.number().int().min(0),
  /** The latest failures' details (at most MAX_KEPT_FAILURES), for the log. */
  failures: z.array(z.string()).default([]),
  startedAtMs: z.number().int().min(0),
});
type ProbePayload = z.infer<typeof payloadSchema>;

const MAX_KEPT_FAILURES = 5;

function probeJob(taskId: number, p: ProbePayload, availableAtMs?: number): EnqueueInput {
  return {
    kind: POST_DEPLOY_JOB_KIND,
    taskId,
    payload: p,
    idempotencyKey: `post-deploy:${taskId}:${p.n}`,
    ...(availableAtMs !== undefined && { availableAtMs }),
    maxAttempts: 3,
  };
}

/** The first probe's job, enqueued with the item's move to done (engine.advance). */
export function firstPostDeployCheck(task: Task): EnqueueInput {
  return probeJob(task.id, { taskId: task.id, n: 1, failed: 0, failures: [], startedAtMs: 0 });
}

export interface PostDeployDeps {
  core: CoreEngine;
  /** Kill-switch: false = a queued probe ends the window without a verdict. */
  enabled: boolean;
  /** Whether this project's repository is Orch itself: never auto-rolled back. */
  selfHosted: (project: Project) => boolean;
  freeze: (repo: string, reason: string) => Promise<void>;
  /** Records the `deploy_degraded` lesson (null: the lessons journal is off). */
  lesson: ((l: LessonInput) => Promise<unknown>) | null;
  mask: (text: string) => string;
}

export interface LessonInput {
  lesson_type: string;
  task_id: number;
  work_item_id: string;
  stage: string;
  repo: string;
  root_cause: string;
  suggestion: string;
}

export type PostDeployStep =
  | { kind: 'noop'; reason: string }
  | { kind: 'probed'; n: number; ok: boolean; next: number }
  | { kind: 'finished'; status: PostDeployStatus; action: PostDeployAction };

/** One `pipeline.post_deploy` job: probe once, then schedule the next probe or decide. */
export async function postDeployCheck(
  deps: PostDeployDeps,
  rawPayload: unknown,
): Promise<PostDeployStep> {
  const parsed = payloadSchema.safeParse(rawPayload);
  if (!parsed.success) return { kind: 'noop', reason: 'not a post-deploy payload' };
  const { core } = deps;
  const task = await core.deps.tasks.mustGet(parsed.data.taskId);
  const project = core.project(task);
  const cfg = project.postDeploy;
  if (!deps.enabled || !cfg) return { kind: 'noop', reason: 'post-deploy monitor is off' };
  if (task.state !== 'done') return { kind: 'noop', reason: `task is ${task.state}` };
  const nowMs = core.deps.clock.now();
  const p = { ...parsed.data, startedAtMs: parsed.data.startedAtMs || nowMs };

  const r = await probe(cfg.health);
  const failed = p.failed + (r.ok ? 0 : 1);
  const failures = r.ok
    ? p.failures
    : [...p.failures, `probe ${p.n}: ${deps.mask(r.detail)}`].slice(-MAX_KEPT_FAILURES);
  const window = { ...p, failed, failures };
  if (failed > cfg.maxFailures) return finish(deps, task, project, cfg, 'DEGRADED', window);
  if (p.n >= cfg.checks) return finish(deps, task, project, cfg, 'HEALTHY', window);
  const next = { ...window, n: p.n + 1 };
  const interval = Math.floor(cfg.windowMs / cfg.checks);
  await core.deps.queue.enqueue(probeJob(task.id, next, nowMs + interval));
  return { kind: 'probed', n: p.n, ok: r.ok, next: next.n };
}

async function finish(
  deps: PostDeployDeps,
  task: Task,
  project: Project,
  cfg: PostDeployConfig,
  status: PostDeployStatus,
  w: ProbePayload,
): Promise<PostDeployStep> {
  const { core } = deps;
  // A re-run of the deciding job: the verdict (and any rollback) happened already.
  if ((await core.deps.tasks.events(task.id)).some((e) => e.type === 'post_deploy'))
    return { kind: 'noop', reason: 'post-deploy verdict already recorded' };
  const worktree = await core.deps.workspace.ensure(task, project);
  const checksRun = w.n;
  const summary = `${checksRun} of ${cfg.checks} probes of ${cfg.health.url}, ${w.failed} failed`;
  let action: PostDeployAction = 'NONE';
  let rollbackText = '';
  if (status === 'DEGRADED') {
    await deps.freeze(task.repo, `post-deploy DEGRADED after ${task.workItemId}: ${summary}`);
    if (cfg.autoRollback && cfg.rollbackCommand && !deps.selfHosted(project)) {
      const res = await runCommand(cfg.rollbackCommand, {
        cwd: worktree,
        timeoutMs: cfg.rollbackTimeoutMs,
        env: childBaseEnv(),
      });
      const ok = res.error === null && !res.timedOut && res.exitCode === 0;
      action = ok ? 'ROLLED_BACK' : 'ROLLBACK_FAILED';
      const how = res.error
        ? `could not run: ${res.error}`
        : res.timedOut
          ? `timed out after ${cfg.rollbackTimeoutMs} ms`
          : `exit code ${res.exitCode}`;
      rollbackText = `## Rollback\n\n\`${cfg.rollbackCommand.join(' ')}\`: ${how}\n\n\`\`\`\n${deps.mask(res.tail)}\n\`\`\`\n`;
    } else {
      action = 'ALERT_ONLY';
      rollbackText = `## Rollback\n\nNot run: ${
        deps.selfHosted(project)
          ? 'this repository is Orch itself (selfHosted), whose rollback is a person’s call'
          : 'autoRollback is off for this project'
      }.\n`;
    }
  }
  const path = `${worktree}/docs/work-items/${task.workItemId}/16-post-deploy-log.md`;
  await mkdir(dirname(path), { recursive: true });
  await writeFile(
    path,
    [
      '---',
      `post_deploy_status: ${status}`,
      `action_taken: ${action}`,
      `work_item: ${task.workItemId}`,
      `window_s: ${Math.round(cfg.windowMs / 1000)}`,
      `checks_total: ${checksRun}`,
      `checks_failed: ${w.failed}`,
      'written_by: orch',
      '---',
      `# Post-deploy monitor (${task.workItemId})`,
      '',
      `${summary}; DEGRADED beyond ${cfg.maxFailures} failed.`,
      '',
      ...(w.failures.length
        ? ['## Failed probes', '', ...w.failures.map((f) => `- ${f}`), '']
        : []),
      rollbackText,
    ].join('\n'),
  );
  const message =
    status === 'HEALTHY'
      ? `post-deploy HEALTHY: ${summary}`
      : `post-deploy DEGRADED: ${summary}; repository ${task.repo} frozen; rollback: ${action}`;
  await core.record(task, {
    type: 'post_deploy',
    message,
    detail: { status, action, checks: checksRun, failed: w.failed, failures: w.failures },
    effects: [
      { kind: 'comment', author: 'orch', body: `${status === 'HEALTHY' ? '💚' : '🚨'} ${message}` },
      { kind: 'notify', event: { type: 'post_deploy', status, action, message } },
    ],
  });
  if (status === 'DEGRADED' && deps.lesson)
    await deps
      .lesson({
        lesson_type: 'deploy_degraded',
        task_id: task.id,
        work_item_id: task.workItemId,
        stage: 'deploy',
        repo: task.repo,
        root_cause: `${summary}${w.failures.length ? `: ${w.failures.at(-1)}` : ''}`,
        suggestion: `Find why production degraded after ${task.workItemId}; unfreeze ${task.repo} (orch repo unfreeze ${task.repo}) once it is fixed or rolled back.`,
      })
      .catch((err: unknown) =>
        core.deps.log.warn({ err, taskId: task.id }, 'post-deploy: lesson not recorded'),
      );
  return { kind: 'finished', status, action };
}
