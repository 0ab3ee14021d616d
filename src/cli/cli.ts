import { Command, CommanderError, Help, type Option } from 'commander';
import { isOrchError } from '../errors.js';
import { beforeCommand, STORE_CREATING_COMMANDS } from './before-command.js';
import { dbCommand } from './db-command.js';
import { doctorCommand } from './doctor-command.js';
import { jobsCommand } from './jobs-command.js';
import { agentCommand } from './agent-command.js';
import { simAgentCommand } from '../agents/sim-agent/sim-agent-command.js';
import { demoCommand } from './demo-command.js';
import { repoCommand } from './repo-command.js';
import { taskCommand } from './task-command.js';
import { explainCommand } from './explain-command.js';
import { tokenCommand } from './token-command.js';
import { serveCommand } from './serve-command.js';
import { initCommand } from './init-command.js';
import { projectCommand } from './project-command.js';

/**
 * The `orch` program, without running it: `main.ts` runs it for a process, tests run it in-process.
 * Exit codes: 0 ok, 1 failure, 2 usage.
 */
export function buildCli(): Command {
  const program = new Command('orch')
    .description('Orch: drives AI coding agents through a gated delivery pipeline')
    .version('0.1.0')
    .showHelpAfterError()
    .exitOverride()
    .option('--verbose', 'print the store and config file this command uses (stderr)')
    .option(
      '--create',
      `create the SQLite database if it does not exist (always allowed: ${STORE_CREATING_COMMANDS.join(', ')})`,
    )
    .hook('preAction', (_program, action) => beforeCommand(action));
  program.addCommand(initCommand());
  program.addCommand(projectCommand());
  program.addCommand(dbCommand());
  program.addCommand(jobsCommand());
  program.addCommand(agentCommand());
  program.addCommand(simAgentCommand());
  program.addCommand(demoCommand());
  program.addCommand(taskCommand());
  program.addCommand(explainCommand());
  program.addCommand(repoCommand());
  program.addCommand(tokenCommand());
  program.addCommand(serveCommand());
  program.addCommand(doctorCommand());
  applyToAll(program, (c) => c.exitOverride().showHelpAfterError().configureHelp(MARK_REQUIRED));
  return program;
}

/**
 * Help says which options a command cannot run without: commander lists a `requiredOption` like
 * any other, so `orch token create --help` did not tell that `--name` is required.
 */
const MARK_REQUIRED = {
  optionDescription(this: Help, option: Option): string {
    const text = Help.prototype.optionDescription.call(this, option);
    return option.mandatory ? `${text} (required)` : text;
  },
};

function applyToAll(cmd: Command, fn: (c: Command) => void): void {
  fn(cmd);
  for (const sub of cmd.commands) applyToAll(sub, fn);
}

export async function runCli(argv: string[]): Promise<number> {
  try {
    await buildCli().parseAsync(argv, { from: 'user' });
    // A command that finished but failed (e.g. a demo that did not reach done) set exitCode.
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      return err.exitCode === 0 ? 0 : 2;
    }
    if (isOrchError(err)) {
      process.stderr.write(`orch: ${err.code}: ${err.message}\n`);
      return err.code === 'USAGE' ? 2 : 1;
    }
    process.stderr.write(
      `orch: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    );
    return 1;
  }
}
