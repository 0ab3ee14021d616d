import type { Clock } from '../clock.js';
import type { Notifier } from '../integrations/notify/notifier.js';
import type { Logger } from '../log.js';
import type { BreakerStore } from '../queue/breaker-store.js';
import type { JobQueue } from '../queue/job-queue.js';
import type { Job } from '../queue/job.js';
import type { AgentRun, AgentRunStore } from '../store/agent-runs/agent-run-store.js';
import type { AgentProfiles } from './agents-config.js';
import type { BudgetGate } from './budget-gate.js';
import type { AgentJobPayload } from './job-payload.js';
import type { AgentOutcome } from './runner.js';
import type { WorktreeInfo, WorktreeManager } from './worktrees.js';

/**
 * Called after an agent run ended with a successful outcome and before the job is completed:
 * the pipeline runs its gates, commits, pushes and advances here. Throwing fails the job as a
 * permanent failure (retried while attempts remain) with the error's message.
 */
export type OnFinished = (ctx: {
  job: Job;
  run: AgentRun;
  outcome: AgentOutcome;
  worktree: WorktreeInfo;
  payload: AgentJobPayload;
}) => Promise<void>;

export interface AgentRunnerOptions {
  queue: JobQueue;
  runs: AgentRunStore;
  breakers: BreakerStore;
  profiles: AgentProfiles;
  worktrees: WorktreeManager;
  notifier: Notifier;
  clock: Clock;
  log: Logger;
  /** Run logs go to `<dataDir>/runs/<runId>.log`. */
  dataDir: string;
  leaseMs: number;
  /** The allowlisted environment agents get (config/child-env.ts `agentBaseEnv`). */
  baseEnv: Readonly<Record<string, string>>;
  /** Hidden from sandboxed agents (default: the data dir): repos, worktrees, the DB's dir. */
  sandboxHiddenDirs?: readonly string[];
  onFinished?: OnFinished | undefined;
  /**
   * Called once a run has settled and its job ended for good without success (failed, or
   * cancelled): the pipeline blocks the job's work item with the reason.
   */
  onJobEnded?: ((job: Job) => Promise<void>) | undefined;
  /**
   * Called for every run once it is recorded as finished, whatever its outcome (the usage comment
   * on the tracker). Best effort: a throw is logged and changes nothing about the job.
   */
  onRunFinished?: ((run: AgentRun) => Promise<void>) | undefined;
  /** Log read / watchdog poll interval (default 200 ms). */
  pollMs?: number;
  /** Quota pause when the CLI gives no reset time (default 1 h). */
  defaultQuotaPauseMs?: number;
  /**
   * Whether a payload's repository may be cloned: the runtime allows only configured projects'
   * clone URLs, so no job can point Orch's git at a URL of its choosing (SSRF). Default: any.
   */
  allowRepo?: (repo: string) => boolean;
  /**
   * Checked before every launch (src/agents/budget-gate.ts): an exhausted item fails the job for
   * good, a reached daily cap puts it back until the next UTC day. Default: no budget.
   */
  budget?: BudgetGate | undefined;
  /**
   * The agent profile (an `AgentProfiles` name) a job runs with, asked before every launch: the
   * runtime answers from the job's project's workflow file (`agents:`). Undefined (or no lookup):
   * the profile of the job's kind. Preflight and per-role caps stay by kind.
   */
  profileOf?: ((job: Job) => Promise<string | undefined>) | undefined;
}
