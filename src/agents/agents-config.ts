import { SANDBOX_KINDS, type SandboxKind } from './sandbox.js';
import { z } from 'zod';
import type { Logger } from '../log.js';
import type { OrchEnv } from '../config/env.js';
import { ADAPTER_NAMES, type AdapterName, type ArgvContext } from './runner.js';

/**
 * The `agents:` section of orch.config.yaml (docs/config.md): a `defaults` profile and one
 * profile per role or tool kind. Every field is optional; with no file at all every pipeline role
 * runs Claude Code with the ORCH_AGENT_* timeouts.
 */
export const PIPELINE_ROLES = [
  'analyst',
  'architect',
  'developer',
  'reviewer',
  'tester',
  'deployer',
] as const;
export type PipelineRole = (typeof PIPELINE_ROLES)[number];

export const PERMISSION_MODES = [
  'default',
  'acceptEdits',
  'plan',
  'auto',
  'dontAsk',
  'bypassPermissions',
] as const;

const KIND_RE = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,99}$/;
const seconds = z
  .number()
  .positive()
  .max(7 * 24 * 3600);

export const agentProfileSchema = z
  .object({
    adapter: z.enum(ADAPTER_NAMES).optional(),
    /** Binary and leading args (claude-code/codex/aider) or the full argv template (command). */
    command: z.array(z.string().min(1)).min(1).optional(),
    env: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/), z.string()).optional(),
    timeoutS: seconds.optional(),
    idleTimeoutS: seconds.optional(),
    exitGraceS: z.number().min(0).max(3600).optional(),
    killGraceS: z.number().min(0).max(3600).optional(),
    model: z.string().min(1).optional(),
    permissionMode: z.enum(PERMISSION_MODES).optional(),
    allowedTools: z.array(z.string().min(1)).optional(),
    extraArgs: z.array(z.string()).optional(),
    /**
     * How often the CLI may retry a failed API call itself before it gives up and Orch's backoff,
     * breaker and quota pause take over (Claude Code: `CLAUDE_CODE_MAX_RETRIES`; Codex: the
     * provider's `request_max_retries` / `stream_max_retries`). Default 1.
     */
    cliMaxRetries: z.number().int().min(0).max(20).optional(),
    /** Codex: the model provider id defined in `$CODEX_HOME/config.toml` (not `openai`). */
    provider: z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,64}$/, 'provider must be a config.toml model_providers id')
      .optional(),
    /** `bubblewrap`: run the agent in a sandbox (src/agents/sandbox.ts, docs/operations.md). */
    sandbox: z.enum(SANDBOX_KINDS).optional(),
    /**
     * At most this many jobs of the role run at once on the local worker (under
     * ORCH_MAX_CONCURRENCY); in `defaults`, every role's cap unless the role sets its own.
     * Absent = only the global cap. Remote agents are not bound by it (src/queue/worker.ts).
     */
    maxConcurrent: z.number().int().min(1).max(1000).optional(),
  })
  .strict();

export type AgentProfileInput = z.infer<typeof agentProfileSchema>;

export const agentsSectionSchema = z
  .object({
    defaults: agentProfileSchema.default({}),
    roles: z
      .record(z.string().regex(KIND_RE, 'role must be a job kind'), agentProfileSchema)
      .default({}),
  })
  .strict();

export type AgentsSection = z.infer<typeof agentsSectionSchema>;

/** A role's fully resolved settings. Durations in ms. */
export interface AgentProfile {
  role: string;
  adapter: AdapterName;
  command: readonly string[] | undefined;
  env: Readonly<Record<string, string>>;
  timeoutMs: number;
  idleTimeoutMs: number;
  exitGraceMs: number;
  killGraceMs: number;
  model: string | undefined;
  permissionMode: string;
  allowedTools: readonly string[];
  extraArgs: readonly string[];
  sandbox: SandboxKind;
  cliMaxRetries: number;
  provider: string | undefined;
}

/** The CLI's own retry budget when the profile sets none (see the schema's `cliMaxRetries`). */
export const DEFAULT_CLI_MAX_RETRIES = 1;

/** The argv-shaping fields of a profile, as adapters take them. */
export function argvContext(profile: AgentProfile): ArgvContext {
  return {
    command: profile.command,
    model: profile.model,
    permissionMode: profile.permissionMode,
    allowedTools: profile.allowedTools,
    extraArgs: profile.extraArgs,
    cliMaxRetries: profile.cliMaxRetries,
    provider: profile.provider,
  };
}

const DEFAULT_ALLOWED_TOOLS = ['Read', 'Edit', 'Write', 'Glob', 'Grep', 'Bash'] as const;

type EnvTimeouts = Pick<
  OrchEnv,
  | 'ORCH_AGENT_TIMEOUT_SECONDS'
  | 'ORCH_AGENT_IDLE_TIMEOUT_SECONDS'
  | 'ORCH_AGENT_KILL_GRACE_SECONDS'
  | 'ORCH_AGENT_EXIT_GRACE_SECONDS'
  | 'ORCH_AGENT_TIMEOUT_OVERRIDES_JSON'
>;

/**
 * Parses ORCH_AGENT_TIMEOUT_OVERRIDES_JSON (`{"reviewer": 3600}`). Malformed JSON, a non-object
 * or a non-positive value is ignored with a warning: the role keeps the default (spec §6).
 */
export function parseTimeoutOverrides(
  json: string,
  warn: (msg: string) => void,
): Map<string, number> {
  const out = new Map<string, number>();
  if (json.trim() === '') return out;
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch {
    warn('ORCH_AGENT_TIMEOUT_OVERRIDES_JSON is not valid JSON; using the default timeout');
    return out;
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    warn('ORCH_AGENT_TIMEOUT_OVERRIDES_JSON must be an object of role → seconds; ignored');
    return out;
  }
  for (const [role, v] of Object.entries(raw)) {
    if (typeof v === 'number' && Number.isFinite(v) && v > 0) out.set(role, v);
    else warn(`timeout override for "${role}" is not a positive number; using the default`);
  }
  return out;
}

/** Resolved profiles for every role; built once at startup. */
export class AgentProfiles {
  readonly #section: AgentsSection;
  readonly #env: EnvTimeouts;
  readonly #overrides: Map<string, number>;
  readonly warnings: readonly string[];

  constructor(section: AgentsSection, env: EnvTimeouts, log?: Logger) {
    this.#section = section;
    this.#env = env;
    const warnings: string[] = [];
    this.#overrides = parseTimeoutOverrides(env.ORCH_AGENT_TIMEOUT_OVERRIDES_JSON, (m) =>
      warnings.push(m),
    );
    this.warnings = warnings;
    for (const w of warnings) log?.warn(w);
  }

  /** The six pipeline roles plus every role named in the config. */
  kinds(): string[] {
    return [...new Set([...PIPELINE_ROLES, ...Object.keys(this.#section.roles)])];
  }

  /** Each role's `maxConcurrent` (its own, else the defaults'); roles without one are absent. */
  roleCaps(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const role of this.kinds()) {
      const cap = this.#section.roles[role]?.maxConcurrent ?? this.#section.defaults.maxConcurrent;
      if (cap !== undefined) out[role] = cap;
    }
    return out;
  }

  get(role: string): AgentProfile {
    const d = this.#section.defaults;
    const r = this.#section.roles[role] ?? {};
    const e = this.#env;
    const timeoutS =
      r.timeoutS ?? this.#overrides.get(role) ?? d.timeoutS ?? e.ORCH_AGENT_TIMEOUT_SECONDS;
    return {
      role,
      adapter: r.adapter ?? d.adapter ?? 'claude-code',
      command: r.command ?? d.command,
      env: { ...d.env, ...r.env },
      timeoutMs: Math.round(timeoutS * 1000),
      idleTimeoutMs: Math.round(
        (r.idleTimeoutS ?? d.idleTimeoutS ?? e.ORCH_AGENT_IDLE_TIMEOUT_SECONDS) * 1000,
      ),
      exitGraceMs: Math.round(
        (r.exitGraceS ?? d.exitGraceS ?? e.ORCH_AGENT_EXIT_GRACE_SECONDS) * 1000,
      ),
      killGraceMs: Math.round(
        (r.killGraceS ?? d.killGraceS ?? e.ORCH_AGENT_KILL_GRACE_SECONDS) * 1000,
      ),
      model: r.model ?? d.model,
      permissionMode: r.permissionMode ?? d.permissionMode ?? 'acceptEdits',
      allowedTools: r.allowedTools ?? d.allowedTools ?? DEFAULT_ALLOWED_TOOLS,
      extraArgs: [...(d.extraArgs ?? []), ...(r.extraArgs ?? [])],
      cliMaxRetries: r.cliMaxRetries ?? d.cliMaxRetries ?? DEFAULT_CLI_MAX_RETRIES,
      provider: r.provider ?? d.provider,
      sandbox: r.sandbox ?? d.sandbox ?? 'none',
    };
  }
}
