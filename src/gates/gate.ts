import type { Forge } from '../integrations/forge/forge.js';
import type { CoverageFormat, CoveragePolicy } from './coverage/coverage-report.js';
import type { ProjectDeploy } from './deploy-step.js';

/** Coverage collection for `check_tests_local` (the project names a report; ORCH-027). */
export interface CoverageCheck extends CoveragePolicy {
  /** The report's path in the worktree, written by the test command. */
  report: string;
  format: CoverageFormat | 'auto';
  /** The repository's baseline now (ratchet), or null. */
  baseline: number | null;
  /** Records what the item's tests measured (the ratchet moves when the item is done). */
  record(pct: number): Promise<void>;
}

/** What a gate may look at: the task's worktree (artifacts, code) and the forge. */
export interface GateContext {
  workItemId: string;
  /** The task being evaluated (merge-lease holder identity); absent outside the pipeline. */
  taskId?: number;
  repo: string;
  branch: string;
  baseBranch: string;
  worktree: string;
  /** argv of the project's test command, run in the worktree by `check_tests_local`. */
  testCommand: readonly string[];
  testTimeoutMs: number;
  forge: Forge;
  /** The worktree's HEAD when the gates ran: what a merge may merge, and nothing newer. */
  headSha?: string | null;
  /**
   * Gates whose latest result for this task passed (earlier stages, and the gates before this
   * one on the same edge). Set by the engine for edge gates: the merge gate publishes the
   * matching commit statuses on the head it merges.
   */
  passedGates?: readonly string[];
  /** Set when the project collects coverage and the coverage gate is on. */
  coverage?: CoverageCheck;
  /** Whether the task's branch has been merged (the merge gate passed); absent outside the pipeline. */
  merged?: boolean;
  /** The project's deploy commands and health checks (deploy-step.ts), if any. */
  deploy?: ProjectDeploy;
  /**
   * Set for a project whose repository is Orch itself (`selfHosted`, ORCH-036): the deploy
   * stage's production command is a host hook run detached (self-deploy/). `visitStartedAtMs`
   * names the stage visit — when the task entered `stage`, or was last resumed in it — so the
   * hook runs at most once per visit.
   */
  selfDeploy?: { stage: string; visitStartedAtMs: number };
}

/** A gate's verdict. `evidence` is what a human needs to see why (output tail, file excerpt). */
export interface GateResult {
  gate: string;
  passed: boolean;
  reason: string;
  evidence?: string;
  /**
   * Set when the gate could not decide yet (e.g. the merge lease is busy): the engine records the
   * result and checks again after this long instead of rolling back.
   */
  retryAfterMs?: number;
  /**
   * With `retryAfterMs`: the gate keeps its own deadline (epoch ms, on the engine's clock) and
   * fails by itself once it has passed (a self-deploy hook that outlives its timeout). The engine
   * then does not cap the visit's re-checks at `maxDefers`; it blocks the task only if the gate is
   * still undecided well after this deadline (a gate that never decides must not wait forever).
   */
  deadlineMs?: number;
  /**
   * With `retryAfterMs`: what the gate waits for, when whoever frees it wakes the waiter early
   * (`merge-lease:<repo>`: the merge gate releasing that repo's lease wakes the longest waiter).
   */
  waitsFor?: string;
  /**
   * The failure is nothing a developer run can fix (e.g. the forge does not let Orch's user
   * merge): the task is parked as blocked with `reason` instead of rolled back.
   */
  blocked?: boolean;
  /** A short name of what failed when it is not the gate's usual failure (e.g. `Coverage dropped`). */
  summary?: string;
  /** The merge gate merged the branch as this commit: stored on the task (`merged_sha`). */
  mergedSha?: string;
}

export type Gate = (ctx: GateContext) => Promise<GateResult>;

/** `docs/work-items/<ID>` inside the worktree: where agents write their artifacts. */
export function workItemDir(ctx: Pick<GateContext, 'worktree' | 'workItemId'>): string {
  return `${ctx.worktree}/docs/work-items/${ctx.workItemId}`;
}
