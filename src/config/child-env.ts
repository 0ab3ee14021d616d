/**
 * The environment agent processes inherit. `process.env` is read only in src/config/, so the
 * runner asks here. Orch's own secrets are removed: every `ORCH_*` variable (database URL with
 * its password, admin token, integration tokens) except the sim-agent's `ORCH_SIM_*` knobs, and
 * integration credentials Orch reads under other names. Agent credentials (ANTHROPIC_API_KEY,
 * OPENAI_API_KEY, …) pass through: the agent needs them.
 */
const SCRUBBED = [
  /^ORCH_(?!SIM_)/,
  /^(PLANE|GITEA|TELEGRAM|GITHUB_APP|WEBHOOK)_.*(TOKEN|SECRET|KEY|PASSWORD)/i,
  /^(PG|DATABASE_URL$)/,
];

export function isScrubbedEnvName(name: string): boolean {
  return SCRUBBED.some((re) => re.test(name));
}

export function childBaseEnv(
  env: Record<string, string | undefined> = process.env,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) {
    if (v !== undefined && !isScrubbedEnvName(k)) out[k] = v;
  }
  return out;
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
