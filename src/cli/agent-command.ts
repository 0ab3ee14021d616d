import { Command, Option } from 'commander';
import { childBaseEnv } from '../config/child-env.js';
import { OrchError } from '../errors.js';
import { createLogger, LOG_FORMATS, type LogFormat } from '../log.js';
import { RemoteAgent } from '../remote-agent/remote-agent.js';

function csv(raw: string): string[] {
  return raw
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

function positiveInt(name: string) {
  return (raw: string): number => {
    const n = Number(raw);
    if (!Number.isSafeInteger(n) || n < 1)
      throw new OrchError('USAGE', `${name} must be a positive integer`);
    return n;
  };
}

interface AgentFlags {
  url: string;
  token: string;
  kinds: string;
  labels: string;
  name?: string;
  concurrency: number;
  waitMs: number;
  killGraceMs: number;
  logLevel: string;
  logFormat: LogFormat;
}

/** `orch agent --url URL --token T --kinds a,b -- <command…>`: a remote agent worker (v2 API). */
export function agentCommand(): Command {
  return new Command('agent')
    .description('run a remote agent: lease jobs over HTTP and run <command> for each')
    .requiredOption('--url <url>', 'Orch server URL, e.g. http://127.0.0.1:8500')
    .requiredOption('--token <token>', 'agent token (POST /v2/agent_tokens)')
    .requiredOption('--kinds <kinds>', 'comma-separated job kinds to lease')
    .option('--labels <labels>', 'comma-separated labels this agent has', '')
    .option('--name <name>', 'agent name (default: the token name)')
    .option('--concurrency <n>', 'jobs at once', positiveInt('--concurrency'), 1)
    .option(
      '--wait-ms <ms>',
      'long-poll length per lease request',
      positiveInt('--wait-ms'),
      30_000,
    )
    .option('--kill-grace-ms <ms>', 'SIGTERM → SIGKILL grace', positiveInt('--kill-grace-ms'), 5000)
    .option('--log-level <level>', 'log level', 'info')
    .addOption(
      new Option('--log-format <format>', 'log lines (auto: pretty on a terminal, else JSON)')
        .choices(LOG_FORMATS)
        .default('auto'),
    )
    .argument('<command...>', 'the command run per job (after --)')
    .action(async (command: string[], flags: AgentFlags) => {
      const agent = new RemoteAgent({
        url: flags.url,
        token: flags.token,
        kinds: csv(flags.kinds),
        labels: csv(flags.labels),
        name: flags.name,
        command,
        concurrency: flags.concurrency,
        waitMs: flags.waitMs,
        killGraceMs: flags.killGraceMs,
        baseEnv: childBaseEnv(),
        logger: createLogger(flags.logLevel, { format: flags.logFormat }),
      });
      const stop = () => agent.stop();
      process.once('SIGTERM', stop);
      process.once('SIGINT', stop);
      try {
        await agent.run();
      } finally {
        process.off('SIGTERM', stop);
        process.off('SIGINT', stop);
      }
    });
}
