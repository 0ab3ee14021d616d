import { randomBytes } from 'node:crypto';
import { Command } from 'commander';
import type { FastifyInstance } from 'fastify';
import { loadConfigFile, parseConfigFile, type ConfigFile } from '../config/config-file.js';
import { parseEnv } from '../config/env.js';
import { runDemo, type DemoSummary } from '../demo/demo.js';
import { loginUrl } from '../http/login-url.js';
import { serverForRuntime } from '../http/runtime-server.js';
import { createLogger, type Logger } from '../log.js';
import type { Runtime } from '../runtime.js';
import { parseScenarioSpec } from '../agents/sim-agent/sim-agent-command.js';
import { SIM_SCENARIOS } from '../agents/sim-agent/sim-artifacts.js';
import { OrchError } from '../errors.js';
import { printJson } from './output.js';
import { waitForShutdown } from './serve-command.js';

interface DemoFlags {
  db?: string;
  config?: string;
  agent?: string;
  json?: boolean;
  keep?: boolean;
  timeout: string;
  serve?: boolean;
  port: string;
  scenario?: string;
}

/** The demo's agents: the scripted ones unless a config file or `--agent` says otherwise. */
function demoConfigFile(flags: DemoFlags): ConfigFile {
  const file = flags.config
    ? loadConfigFile(flags.config)
    : parseConfigFile({ agents: { defaults: { adapter: 'scripted' } } });
  if (!flags.agent) return file;
  const raw = JSON.parse(JSON.stringify(file)) as { agents: { defaults: Record<string, unknown> } };
  raw.agents.defaults.adapter = flags.agent;
  return parseConfigFile(raw, '--agent');
}

function printSummary(s: DemoSummary): void {
  const out = process.stdout;
  out.write(
    `\n${s.workItem} "${s.title}": ${s.stage} (${s.state}) in ${(s.durationMs / 1000).toFixed(1)}s\n`,
  );
  if (s.blocked_reason) out.write(`${s.state}: ${s.blocked_reason}\n`);
  if (s.timed_out) out.write('the demo timed out before the item finished\n');
  out.write(`jobs: ${s.jobs.map((j) => `${j.kind}#${j.id} ${j.status}`).join(', ')}\n`);
  out.write(
    `rollbacks: ${s.rollbacks}; gates: ${s.gates.filter((g) => g.passed).length} passed, ${s.gates.filter((g) => !g.passed).length} failed\n`,
  );
  if (s.workspace) out.write(`workspace kept at ${s.workspace}\n`);
}

/**
 * `--serve`: the dashboard and API on the demo's runtime, from the moment it starts. Without
 * ORCH_ADMIN_TOKEN the demo makes a one-off admin token and prints it (the dashboard's actions
 * need one); it is never logged.
 */
function dashboardServer(flags: DemoFlags, say: (line: string) => void) {
  const generated = process.env.ORCH_ADMIN_TOKEN ? null : randomBytes(18).toString('base64url');
  let app: FastifyInstance | undefined;
  return {
    env: generated ? { ...process.env, ORCH_ADMIN_TOKEN: generated } : process.env,
    async start(rt: Runtime): Promise<void> {
      app = serverForRuntime(rt);
      const address = await app.listen({ port: Number(flags.port), host: rt.config.env.ORCH_HOST });
      say(`dashboard: ${address}/`);
      say(`dashboard login (once, this machine): ${loginUrl(address, app.orchLoginCode())}`);
      say(
        generated
          ? `admin token (for the dashboard's actions): ${generated}`
          : 'admin token: the value of ORCH_ADMIN_TOKEN',
      );
    },
    async stop(): Promise<void> {
      await app?.close();
    },
  };
}

/** After the item finishes: keep serving until SIGINT/SIGTERM, then stop everything. */
async function keepServing(
  server: ReturnType<typeof dashboardServer>,
  cleanup: () => Promise<void>,
  o: { say: (line: string) => void; log: Logger },
): Promise<void> {
  o.say('the dashboard keeps serving; press Ctrl-C to stop');
  await waitForShutdown(async () => {
    await server.stop();
    await cleanup();
  }, o.log);
}

/** `orch demo`: one work item through the whole pipeline with the scripted agents. */
export function demoCommand(): Command {
  return new Command('demo')
    .description(
      'run one work item through the whole pipeline in a temp workspace (scripted agents)',
    )
    .option('--db <url>', 'database URL (default: SQLite in the temp workspace)')
    .option('--config <file>', 'orch.config.yaml to use (e.g. to swap a role’s agent)')
    .option(
      '--agent <adapter>',
      'use this adapter for every role (claude-code, codex, aider, command, scripted)',
    )
    .option('--json', 'print only the final summary as JSON')
    .option('--keep', 'keep the temp workspace')
    .option('--timeout <seconds>', 'give up after this long', '120')
    .option(
      '--serve',
      'serve the dashboard while the item runs and keep serving after (Ctrl-C stops)',
    )
    .option(
      '--scenario <spec>',
      'make scripted agents misbehave, e.g. developer=crash or tester=fail_always (see docs/pipeline.md)',
    )
    .option('--port <port>', 'dashboard port with --serve (0 picks a free one)', '8500')
    .action(async (flags: DemoFlags) => {
      const scenario = demoScenario(flags.scenario);
      const env = parseEnv(process.env);
      const log = createLogger(
        flags.json ? 'silent' : env.ORCH_LOG_LEVEL === 'info' ? 'warn' : env.ORCH_LOG_LEVEL,
        { format: env.ORCH_LOG_FORMAT },
      );
      const progress = flags.json
        ? () => undefined
        : (line: string) => process.stdout.write(`${line}\n`);
      // With --json stdout carries only the summary, so the dashboard lines go to stderr.
      const say = (line: string) =>
        (flags.json ? process.stderr : process.stdout).write(`${line}\n`);
      const server = flags.serve ? dashboardServer(flags, say) : null;
      const { summary, cleanup } = await runDemo({
        dbUrl: flags.db,
        configFile: demoConfigFile(flags),
        keep: Boolean(flags.keep),
        progress,
        log,
        timeoutMs: Number(flags.timeout) * 1000,
        env: server?.env ?? process.env,
        scenario,
        serve: server !== null,
        ...(server && { onStarted: (rt: Runtime) => server.start(rt) }),
      }).catch(async (err: unknown) => {
        await server?.stop();
        throw err;
      });
      if (flags.json) printJson(summary);
      else printSummary(summary);
      process.exitCode = summary.state === 'done' ? 0 : 1;
      if (server) await keepServing(server, cleanup, { say, log });
    });
}

/**
 * `--scenario`, refused with a usage error (exit 2) when it names no role=behaviour pair or a
 * behaviour the scripted agent does not know: a typo must not run a normal demo silently.
 */
export function demoScenario(spec: string | undefined): Record<string, string> {
  if (spec === undefined) return {};
  const scenario = parseScenarioSpec(spec);
  if (Object.keys(scenario).length === 0)
    throw new OrchError('USAGE', `--scenario wants role=behaviour pairs, got "${spec}"`);
  for (const [role, behaviour] of Object.entries(scenario)) {
    if (!SIM_SCENARIOS.includes(behaviour))
      throw new OrchError(
        'USAGE',
        `--scenario ${role}=${behaviour}: unknown behaviour; one of ${SIM_SCENARIOS.join(', ')}`,
      );
  }
  return scenario;
}
