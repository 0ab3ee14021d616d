/**
 * The agent runner contract: what an adapter must provide, what a run's output parses into, and
 * the outcome a finished run is classified as. Pure types and constants; no I/O.
 */
export const ADAPTER_NAMES = ['claude-code', 'codex', 'aider', 'command', 'scripted'] as const;
export type AdapterName = (typeof ADAPTER_NAMES)[number];

/** The final state of a run as far as its output tells (stdout and stderr interleaved). */
export interface ParsedRun {
  /** A final result was seen (claude `result`, codex `turn.completed`/`turn.failed`). */
  resultSeen: boolean;
  isError: boolean | null;
  subtype: string | null;
  resultText: string | null;
  sessionId: string | null;
  costUsd: number | null;
  inputTokens: number | null;
  outputTokens: number | null;
  /**
   * HTTP status of the API error behind an error result (claude `api_error_status`, else the last
   * `api_retry` status or the status in the error text; codex "last status: 429").
   */
  apiErrorStatus: number | null;
  /**
   * The delay the model API asked for, as the CLI reported it (claude `api_retry.retry_delay_ms`
   * of the last retry, which honours `retry-after`); null when the CLI gave none.
   */
  retryAfterMs: number | null;
  /** The most severe rate-limit event seen: a `rejected` one wins over warnings. */
  rateLimit: { status: string; resetsAtMs: number | null; type: string | null } | null;
  /** Error messages reported by the tool (codex `turn.failed`, aider exceptions). */
  errors: string[];
  /**
   * Non-fatal messages (codex `error` events such as "Reconnecting… 2/5" followed by a completed
   * turn): they never fail a run, but help explain one that failed.
   */
  notices: string[];
}

export function emptyParsedRun(): ParsedRun {
  return {
    resultSeen: false,
    isError: null,
    subtype: null,
    resultText: null,
    sessionId: null,
    costUsd: null,
    inputTokens: null,
    outputTokens: null,
    apiErrorStatus: null,
    retryAfterMs: null,
    rateLimit: null,
    errors: [],
    notices: [],
  };
}

/** An incremental, tolerant parser of one run's output: bad or unknown lines are ignored. */
export interface OutputParser {
  line(text: string): void;
  snapshot(): ParsedRun;
}

/** Why the watchdog ended a process (recorded as exit code −9). */
export const KILL_REASONS = [
  'wall_timeout',
  'idle_timeout',
  'exit_grace',
  'stop',
  'cancel',
] as const;
export type KillReason = (typeof KILL_REASONS)[number];

/** Everything an adapter needs to build a command line. */
export interface AdapterContext {
  role: string;
  jobId: number;
  runId: number;
  worktree: string;
  taskFile: string;
  prompt: string;
  /** The role's configured argv prefix (e.g. `['claude']`); the full argv for `command`. */
  command: readonly string[] | undefined;
  model: string | undefined;
  permissionMode: string | undefined;
  allowedTools: readonly string[];
  extraArgs: readonly string[];
  /** How often the CLI itself may retry a failed API call before giving up (Orch owns the rest). */
  cliMaxRetries: number;
  /** Codex: the model provider id (config.toml `model_providers.<id>`) to select and tune. */
  provider: string | undefined;
  /**
   * The budget's `perRunUsd`: a cap on what this one run may spend, passed to CLIs that support
   * it (Claude Code `--max-budget-usd`); others ignore it. Absent = no per-run cap.
   */
  maxBudgetUsd?: number | undefined;
}

/** The argv-shaping part of a context: what preflight needs to build the probe command. */
export type ArgvContext = Pick<
  AdapterContext,
  | 'command'
  | 'model'
  | 'permissionMode'
  | 'allowedTools'
  | 'extraArgs'
  | 'cliMaxRetries'
  | 'provider'
>;

/**
 * One agent CLI. `requiresResult`: whether a run without a parsed final result is a failure even
 * on exit 0 (Claude Code, Codex: yes; a plain command or Aider: exit code and text decide).
 */
export interface AgentAdapter {
  readonly name: AdapterName;
  readonly requiresResult: boolean;
  buildArgv(ctx: AdapterContext): string[];
  /** argv that prints the CLI's version, e.g. `['claude', '--version']`; null = none. */
  versionArgv(ctx: Pick<AdapterContext, 'command'>): string[] | null;
  /**
   * argv for the token-free preflight probe: the run's own flags plus `--help`, so a flag or value
   * the installed CLI rejects fails preflight with the CLI's own error (exit ≠ 0) instead of
   * failing jobs. Null = no probe (only the binary's existence is checked).
   */
  probeArgv(ctx: ArgvContext): string[] | null;
  /** Environment the adapter sets for a run (the profile's `env` wins), e.g. retry budgets. */
  runEnv(ctx: ArgvContext): Record<string, string>;
  createParser(): OutputParser;
}

/**
 * How a finished run ends for its job:
 * - success: complete the job;
 * - permanent: a code or contract fault; retry while attempts remain, else fail and notify;
 * - transient: 429 / overload / network; back off on the transient budget, feeds the breaker;
 * - quota: the agent kind's usage cap is exhausted; pause the kind until `resumeAtMs` and give
 *   the job its attempt back.
 */
export type AgentOutcome =
  | { kind: 'success' }
  | { kind: 'permanent'; reason: string }
  | { kind: 'transient'; reason: string; retryAfterMs: number | null }
  | { kind: 'quota'; reason: string; resumeAtMs: number };

export type AgentOutcomeKind = AgentOutcome['kind'];

/** What an agent run is recorded as: its outcome, or `timeout` when the watchdog timed it out. */
export type RunOutcomeKind = AgentOutcomeKind | 'timeout';
