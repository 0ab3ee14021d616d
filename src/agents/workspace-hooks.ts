/**
 * Workspace hooks (issue 18): shell commands a project runs at four moments of a worktree's life,
 * after openai/symphony's SPEC.md §9.4. Each runs as `sh -c <script>` in the worktree, in its own
 * process group with a timeout (the whole group is killed), with the allowlisted child
 * environment (config/child-env.ts `childBaseEnv`: never Orch's tokens or database URL) plus
 * ORCH_HOOK, ORCH_WORKTREE and, where known, ORCH_WORK_ITEM_ID, ORCH_STAGE, ORCH_ROLE.
 *
 * - `after_create`: once, when a worktree is newly created; a failure removes the worktree again
 *   (so the retry creates it and runs the hook again) and fails the attempt.
 * - `before_run`: before every agent launch; a failure fails the attempt, the agent never starts.
 * - `after_run`: after every agent run that ended here (not one handed off); failure is logged.
 * - `before_remove`: before a worktree is removed (GC); failure is logged, removal goes on.
 */
import { performance } from 'node:perf_hooks';
import { OrchError } from '../errors.js';
import type { Logger } from '../log.js';
import { noMask, type SecretMasker } from '../config/secret-masker.js';
import { runChildProcess } from '../process/child-process.js';

export const HOOK_NAMES = ['after_create', 'before_run', 'after_run', 'before_remove'] as const;
export type HookName = (typeof HOOK_NAMES)[number];

/** `projects[].hooks` of orch.config.yaml (camelCase keys; see config/projects.ts). */
export interface HooksConfig {
  afterCreate?: string | undefined;
  beforeRun?: string | undefined;
  afterRun?: string | undefined;
  beforeRemove?: string | undefined;
  timeoutS: number;
}

/** What a hook is told about the run it belongs to (unknown fields are left out of its env). */
export interface HookContext {
  worktree: string;
  workItemId?: string | undefined;
  stage?: string | undefined;
  role?: string | undefined;
}

export type HookResult =
  /** No such hook is configured for the repository. */
  | { kind: 'none' }
  | { kind: 'ok'; hook: HookName; durationMs: number; output: string }
  | {
      kind: 'failed';
      hook: HookName;
      durationMs: number;
      exitCode: number | null;
      timedOut: boolean;
      /** The masked tail of its output. */
      output: string;
      /** "before_run hook failed (exit code 3): <last lines>", for job and run errors. */
      reason: string;
    };

export interface WorkspaceHooksOptions {
  /** The hooks of the project whose repository (clone URL or path) this is; undefined: none. */
  forRepo: (repo: string) => HooksConfig | undefined;
  /** The hooks' base environment: `childBaseEnv()`. */
  env: Readonly<Record<string, string>>;
  mask?: SecretMasker;
  log: Logger;
  /** SIGTERM → this long → SIGKILL, on timeout. Default 2000 ms. */
  killGraceMs?: number;
}

export interface WorkspaceHooks {
  /** Runs the repository's hook `name`, if any, in `ctx.worktree`. Never throws. */
  run(name: HookName, repo: string, ctx: HookContext): Promise<HookResult>;
}

const CONFIG_KEY = {
  after_create: 'afterCreate',
  before_run: 'beforeRun',
  after_run: 'afterRun',
  before_remove: 'beforeRemove',
} as const satisfies Record<HookName, keyof HooksConfig>;

const OUTPUT_TAIL_CHARS = 4000;
const REASON_TAIL_CHARS = 600;

/** Pure: a hook's environment — the base plus what is known of the run. */
export function hookEnv(
  base: Readonly<Record<string, string>>,
  name: HookName,
  ctx: HookContext,
): Record<string, string> {
  const env: Record<string, string> = { ...base, ORCH_HOOK: name, ORCH_WORKTREE: ctx.worktree };
  if (ctx.workItemId !== undefined) env.ORCH_WORK_ITEM_ID = ctx.workItemId;
  if (ctx.stage !== undefined) env.ORCH_STAGE = ctx.stage;
  if (ctx.role !== undefined) env.ORCH_ROLE = ctx.role;
  return env;
}

/** Pure: a failed hook in words, with the end of its (masked) output. */
export function hookFailureReason(
  name: HookName,
  r: { exitCode: number | null; timedOut: boolean; spawnError: string | null; output: string },
  timeoutS: number,
): string {
  const why =
    r.spawnError !== null
      ? `could not start: ${r.spawnError}`
      : r.timedOut
        ? `timed out after ${timeoutS} s`
        : `exit code ${r.exitCode ?? 'unknown'}`;
  const tail = r.output.trim().slice(-REASON_TAIL_CHARS);
  return `${name} hook failed (${why})${tail === '' ? '' : `: ${tail}`}`;
}

/** The hooks runner: one per process, shared by the worktree manager, the runner and the GC. */
export function createWorkspaceHooks(o: WorkspaceHooksOptions): WorkspaceHooks {
  const mask = o.mask ?? noMask;
  return {
    async run(name, repo, ctx) {
      const config = o.forRepo(repo);
      const script = config?.[CONFIG_KEY[name]];
      if (config === undefined || script === undefined || script.trim() === '') {
        return { kind: 'none' };
      }
      const log = o.log.child({ hook: name, workItemId: ctx.workItemId });
      const startedMs = performance.now();
      const r = await runChildProcess({
        argv: ['sh', '-c', script],
        cwd: ctx.worktree,
        env: hookEnv(o.env, name, ctx),
        output: { kind: 'tail', maxChars: OUTPUT_TAIL_CHARS },
        timeoutMs: config.timeoutS * 1000,
        killGraceMs: o.killGraceMs ?? 2_000,
      });
      const durationMs = Math.round(performance.now() - startedMs);
      const output = mask(r.tail);
      const timedOut = r.killReason === 'timeout';
      if (r.exitCode === 0 && r.spawnError === null && !timedOut) {
        log.info({ durationMs, output }, 'workspace hook ran');
        return { kind: 'ok', hook: name, durationMs, output };
      }
      const spawnError = r.spawnError ? mask(r.spawnError.message) : null;
      const fields = { exitCode: r.exitCode, timedOut, spawnError, output };
      const reason = hookFailureReason(name, fields, config.timeoutS);
      log.warn({ durationMs, exitCode: r.exitCode, timedOut, output }, reason);
      return {
        kind: 'failed',
        hook: name,
        durationMs,
        exitCode: r.exitCode,
        timedOut,
        output,
        reason,
      };
    },
  };
}

/** The error of a failed hook that aborts the attempt (after_create, before_run). */
export function hookError(result: Extract<HookResult, { kind: 'failed' }>): OrchError {
  return new OrchError('WORKSPACE_HOOK_FAILED', result.reason, {
    details: { hook: result.hook, exitCode: result.exitCode, timedOut: result.timedOut },
  });
}

/** No hooks at all (tests, tools, a manager built without a project registry). */
export const noHooks: WorkspaceHooks = {
  run: () => Promise.resolve({ kind: 'none' }),
};
