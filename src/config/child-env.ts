/**
 * The environments of the processes Orch starts (issue #13). `process.env` is read only in
 * src/config/, so spawners ask here. An allowlist, not a scrub: a variable reaches a child only
 * if it is named below, so a new Orch setting, a database URL under any name, a forge or chat
 * token, or a host variable that changes an agent's behaviour (`IS_SANDBOX`) never does.
 *
 * - `childBaseEnv()`: repo test commands, hooks, scanners — the base only.
 * - `agentBaseEnv()`: agents — the base plus the agent CLIs' own credentials and settings
 *   (ANTHROPIC_*, OPENAI_*, …); the runner adds the profile's `env` and the per-run ORCH_JOB_ID,
 *   ORCH_RUN_ID, ORCH_ATTEMPT, ORCH_ROLE, ORCH_TASK_FILE, ORCH_WORKTREE (ids and paths, no secret).
 */
const BASE_NAMES = new Set([
  'PATH',
  'HOME',
  'USER',
  'LOGNAME',
  'SHELL',
  'TERM',
  'TZ',
  'LANG',
  'LANGUAGE',
  'TMPDIR',
  'TMP',
  'TEMP',
  // Egress through a proxy and private CAs: without them nothing reaches a registry.
  'HTTP_PROXY',
  'HTTPS_PROXY',
  'NO_PROXY',
  'http_proxy',
  'https_proxy',
  'no_proxy',
  'SSL_CERT_FILE',
  'SSL_CERT_DIR',
  'NODE_EXTRA_CA_CERTS',
]);

/** Locale variables, and the sim-agent's knobs (a ledger path and a scenario name: no secret). */
const BASE_PATTERNS = [/^LC_[A-Z]+$/, /^ORCH_SIM_(LEDGER|SCENARIO)$/];

/** The agent CLIs' own variables (API keys, base URLs, model settings). */
const AGENT_PATTERNS = [/^(ANTHROPIC|OPENAI|CLAUDE|CLAUDE_CODE|CODEX|AIDER|GEMINI|OPENROUTER)_/];

/** Pure: whether a variable is in the base allowlist. */
export function isBaseEnvName(name: string): boolean {
  return BASE_NAMES.has(name) || BASE_PATTERNS.some((re) => re.test(name));
}

/** Pure: whether a variable is an agent CLI's own (passed to agents, not to test commands). */
export function isAgentEnvName(name: string): boolean {
  return AGENT_PATTERNS.some((re) => re.test(name));
}

function pick(
  env: Record<string, string | undefined>,
  keep: (name: string) => boolean,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined && keep(k)) out[k] = v;
  return out;
}

/** The base environment of test commands, hooks and scanners. */
export function childBaseEnv(
  env: Record<string, string | undefined> = process.env,
): Record<string, string> {
  return pick(env, isBaseEnvName);
}

/** The base environment of agents: the base plus the agent CLIs' own variables. */
export function agentBaseEnv(
  env: Record<string, string | undefined> = process.env,
): Record<string, string> {
  return pick(env, (name) => isBaseEnvName(name) || isAgentEnvName(name));
}

/** Sim-agent knobs: the side-effect ledger file (chaos tests) and a default scenario. */
export function simAgentEnv(env: Record<string, string | undefined> = process.env): {
  ledgerPath: string | undefined;
  scenario: string | undefined;
} {
  return {
    ledgerPath: env.ORCH_SIM_LEDGER || undefined,
    scenario: env.ORCH_SIM_SCENARIO || undefined,
  };
}
