import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { loadConfig } from '../config/config.js';
import { configFilePath } from '../config/config-file.js';
import { unknownEnvVars } from '../config/env.js';
import { OrchError } from '../errors.js';
import { describeDbUrl, sqlitePath } from '../store/open-db.js';

/**
 * Commands that may create a new SQLite database: they set one up (`init`, `db migrate`) or own
 * one (`serve`, `demo`: its temp workspace). Every other command refuses a missing file unless
 * `--create` is given, so `orch` run from the wrong directory does not start an empty store.
 */
export const STORE_CREATING_COMMANDS: readonly string[] = ['init', 'serve', 'demo', 'db migrate'];

/** The global options (`orch --verbose …`, `orch … --create`). */
export interface GlobalFlags {
  verbose?: boolean;
  create?: boolean;
}

interface StoreFlags {
  db?: string;
  config?: string;
}

/** `task approve` for `orch task approve`. */
export function commandPath(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c?.parent; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

const hasOption = (cmd: Command, long: string) => cmd.options.some((o) => o.long === long);

/** What `--verbose` prints as the config file a command reads. */
function configLine(cmd: Command, flags: StoreFlags, envConfig: string | undefined): string {
  if (commandPath(cmd) === 'demo') {
    return flags.config ? resolve(flags.config) : "none (the demo's scripted agents)";
  }
  if (!hasOption(cmd, '--config')) return 'none (this command reads no config file)';
  return configFilePath(flags.config ?? envConfig) ?? 'none (defaults)';
}

/** The store line of `--verbose` for a command that opens one. */
function storeLine(cmd: Command, flags: StoreFlags, dbUrl: string): string {
  if (commandPath(cmd) === 'demo' && flags.db === undefined) {
    return "sqlite in the demo's temp workspace";
  }
  return describeDbUrl(dbUrl);
}

/**
 * Refuses a `sqlite:` database file that does not exist yet (STORE_NOT_FOUND) unless the command
 * creates stores or `--create` was given. PostgreSQL databases are created by their admin.
 */
export function assertStoreExists(dbUrl: string, o: { command: string; create: boolean }): void {
  if (o.create || STORE_CREATING_COMMANDS.includes(o.command)) return;
  const path = sqlitePath(dbUrl);
  if (path === null || path === ':memory:' || existsSync(path)) return;
  throw new OrchError(
    'STORE_NOT_FOUND',
    `no Orch database at ${path}; run this in your Orch directory, set ORCH_DB_URL, or pass --create`,
  );
}

/**
 * Runs before every command's action (a `preAction` hook on the program): warns about unknown
 * `ORCH_*` variables, prints the store and config file with `--verbose` (stderr, one line each,
 * no password), and refuses a missing SQLite database (`assertStoreExists`).
 */
export function beforeCommand(cmd: Command): void {
  const flags = cmd.optsWithGlobals<StoreFlags & GlobalFlags>();
  for (const v of unknownEnvVars(process.env)) {
    process.stderr.write(
      `orch: warning: ${v.name} is not an Orch setting and is ignored (closest: ${v.closest})\n`,
    );
  }
  // Commands without --db (the remote agent, the scripted agent, `project add`) open no store.
  if (!hasOption(cmd, '--db')) {
    if (flags.verbose) process.stderr.write('store: none (this command opens no store)\n');
    const envConfig = process.env.ORCH_CONFIG || undefined;
    if (flags.verbose) process.stderr.write(`config: ${configLine(cmd, flags, envConfig)}\n`);
    return;
  }
  const config = loadConfig(process.env, { dbUrl: flags.db });
  if (flags.verbose) {
    process.stderr.write(`store: ${storeLine(cmd, flags, config.dbUrl)}\n`);
    process.stderr.write(`config: ${configLine(cmd, flags, config.env.ORCH_CONFIG)}\n`);
  }
  assertStoreExists(config.dbUrl, { command: commandPath(cmd), create: Boolean(flags.create) });
}
