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
  /** HTTP status of the API error behind an error result (claude `api_error_status`). */
  apiErrorStatus: number | null;
  /** The most severe rate-limit event seen: a `rejected` one wins over warnings. */
  rateLimit: { status: string; resetsAtMs: number | null; type: string | null } | null;
  /** Error messages reported by the tool (codex `turn.failed`, aider exceptions). */
  errors: string[];
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
    rateLimit: null,
    errors: [],
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
}

/**
 * One agent CLI. `requiresResult`: whether a run without a parsed final result is a failure even
 * on exit 0 (Claude Code, Codex: yes; a plain command or Aider: exit code and text decide).
 */
export interface AgentAdapter {
  readonly name: AdapterName;
  readonly requiresResult: boolean;
  buildArgv(ctx: AdapterContext): string[];
  /** argv for the token-free preflight probe, e.g. `['claude', '--version']`; null = none. */
  versionArgv(ctx: Pick<AdapterContext, 'command'>): string[] | null;
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
