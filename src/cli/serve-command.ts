import { Command } from 'commander';
import type { FastifyInstance } from 'fastify';
import { OrchError } from '../errors.js';
import { loadConfig } from '../config/config.js';
import { configFilePath, loadConfigFile } from '../config/config-file.js';
import { allowedHostsFor } from '../http/allowed-hosts.js';
import { loginUrl } from '../http/login-url.js';
import { integrationSettings } from '../config/integrations.js';
import { parseProjects } from '../config/projects.js';
import { systemClock } from '../clock.js';
import { GiteaClient } from '../integrations/gitea/gitea-client.js';
import { PlaneClient } from '../integrations/plane/plane-client.js';
import { giteaStartupProblems } from './doctor-checks.js';
import {
  assertProjectReposReachable,
  checkPushTargets,
} from '../integrations/forge/forge-repos-check.js';
import { assertPlaneSetup } from '../integrations/plane/plane-setup-check.js';
import { serverForRuntime } from '../http/runtime-server.js';
import { createLogger } from '../log.js';
import { createRuntime, type Runtime } from '../runtime.js';
import { orchVersion, startupSummary } from './startup-summary.js';

interface ServeFlags {
  db?: string;
  config?: string;
  port?: string;
  host?: string;
  worker: boolean;
}

/** How long a graceful shutdown may take before the process exits anyway. */
const SHUTDOWN_DEADLINE_MS = 30_000;

/**
 * `orch serve`: the pipeline as a service — HTTP API, queue worker and daemons on one store.
 * The port is bound before anything claims a job: a busy port exits 1 (`PORT_IN_USE`) having
 * run nothing. SIGTERM/SIGINT stop it (claimers first) within a deadline; a second signal exits
 * at once.
 * Running agents are handed to recovery (their jobs are requeued at the next start).
 */
export function serveCommand(): Command {
  return new Command('serve')
    .description('run Orch as a service: HTTP API + queue worker')
    .option('--db <url>', 'database URL (default: ORCH_DB_URL or sqlite:./.orch/orch.db)')
    .option('--config <file>', 'orch.config.yaml (default: ORCH_CONFIG or ./orch.config.yaml)')
    .option('--port <port>', 'HTTP port (default: ORCH_PORT or 8500; 0 picks a free one)')
    .option('--host <host>', 'HTTP host (default: ORCH_HOST or 127.0.0.1)')
    .option('--no-worker', 'do not run agents in this process (API only)')
    .action(async (flags: ServeFlags) => {
      const config = loadConfig(process.env, { dbUrl: flags.db });
      const log = createLogger(config.env.ORCH_LOG_LEVEL, { format: config.env.ORCH_LOG_FORMAT });
      const configFile = loadConfigFile(flags.config ?? config.env.ORCH_CONFIG);
      // A project whose repository is not there would fail its first agent job: refuse now.
      assertProjectReposReachable(configFile.projects, config.dataDir);
      await checkPlaneAtStart(config, configFile, log);
      await warnGiteaAtStart(config, configFile, log);
      for (const c of checkPushTargets(configFile.projects).filter((t) => t.status === 'missing')) {
        log.error({ project: c.key }, c.detail);
        process.stderr.write(`orch: warning: ${c.detail}\n`);
      }
      const rt = await createRuntime({ config, configFile, log });
      const host = flags.host ?? config.env.ORCH_HOST;
      // The Host allowlist follows the address actually bound (--host overrides ORCH_HOST).
      const app = serverForRuntime(rt, {
        allowedHosts: allowedHostsFor({ ...config.env, ORCH_HOST: host }),
        agentWorker: flags.worker,
      });
      const address = await listenOrClose(app, rt, {
        port: flags.port === undefined ? config.env.ORCH_PORT : Number(flags.port),
        host,
      });
      try {
        await rt.start({ worker: flags.worker });
      } catch (err) {
        await app.close().finally(() => rt.stop());
        throw err;
      }
      // One record saying what this instance is: store, config, projects, agents, integrations.
      const summary = startupSummary({
        config,
        configFile,
        configPath: configFilePath(flags.config ?? config.env.ORCH_CONFIG),
        version: orchVersion(),
        worker: flags.worker,
      });
      log.info({ address, owner: rt.owner, ...summary }, 'orch serving');
      process.stdout.write(`orch listening on ${address}\n`);
      // A one-time code (spent on first use, 1 h): never the admin or viewer token in a URL.
      process.stdout.write(`dashboard login (once): ${loginUrl(address, app.orchLoginCode())}\n`);
      await waitForShutdown(async () => {
        await app.close();
        await rt.stop({ drainMs: 10_000 });
      }, log);
    });
}

/**
 * Binds the HTTP port before any daemon starts. On failure the server and the runtime (store) are
 * closed, so the process exits instead of running agents with no API; EADDRINUSE becomes
 * `PORT_IN_USE` with the address in the message.
 */
async function listenOrClose(
  app: FastifyInstance,
  rt: Runtime,
  at: { port: number; host: string },
): Promise<string> {
  try {
    return await app.listen(at);
  } catch (err) {
    await app.close().catch(() => undefined);
    await rt.stop().catch(() => undefined);
    if ((err as { code?: unknown }).code === 'EADDRINUSE') {
      throw new OrchError(
        'PORT_IN_USE',
        `cannot listen on ${at.host}:${at.port}: address already in use (another orch serve? set --port or ORCH_PORT)`,
        { cause: err },
      );
    }
    throw err;
  }
}

/** Plane projects need their states and the API user as a member: say so before serving. */
async function checkPlaneAtStart(
  config: ReturnType<typeof loadConfig>,
  configFile: ReturnType<typeof loadConfigFile>,
  log: ReturnType<typeof createLogger>,
): Promise<void> {
  const plane = integrationSettings(config.env).plane;
  if (!plane) return;
  const projects = parseProjects((configFile as Record<string, unknown>).projects);
  const client = new PlaneClient({
    baseUrl: plane.url,
    apiToken: plane.apiToken,
    clock: systemClock,
    projects,
  });
  await assertPlaneSetup(client, projects.projects, log);
}

/** Every Gitea project's repository reachable with the token? Logged and printed if not. */
async function warnGiteaAtStart(
  config: ReturnType<typeof loadConfig>,
  configFile: ReturnType<typeof loadConfigFile>,
  log: ReturnType<typeof createLogger>,
): Promise<void> {
  const projects = parseProjects((configFile as Record<string, unknown>).projects);
  const s = integrationSettings(config.env).gitea;
  const gitea = s ? new GiteaClient({ baseUrl: s.url, token: s.token, projects }) : null;
  for (const problem of await giteaStartupProblems(gitea, projects.projects)) {
    log.error({ problem }, 'forge repository not reachable at start-up');
    process.stderr.write(`orch: warning: ${problem} (orch doctor checks it again)\n`);
  }
}

/** Resolves after SIGTERM/SIGINT once `stop` has run (a second signal exits at once). */
export function waitForShutdown(
  stop: () => Promise<void>,
  log: { info: (m: string) => void; error: (o: object, m: string) => void },
): Promise<void> {
  return new Promise((resolve) => {
    let stopping = false;
    const onSignal = (signal: NodeJS.Signals) => {
      if (stopping) {
        log.info(`second ${signal}: exiting now`);
        process.exit(1);
      }
      stopping = true;
      log.info(`${signal}: shutting down`);
      const deadline = setTimeout(() => {
        log.error({}, 'shutdown deadline passed; exiting');
        process.exit(1);
      }, SHUTDOWN_DEADLINE_MS);
      deadline.unref();
      stop()
        .catch((err: unknown) => log.error({ err }, 'error during shutdown'))
        .finally(() => {
          clearTimeout(deadline);
          resolve();
        });
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
}
