import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Command, Option } from 'commander';
import { loadConfig } from '../config/config.js';
import { DEFAULT_CONFIG_FILE } from '../config/config-file.js';
import { OrchError } from '../errors.js';
import { migrate } from '../store/migrate.js';
import { describeDbUrl, openDb, sqlitePath } from '../store/open-db.js';
import {
  INIT_FORGES,
  INIT_TRACKERS,
  initConfigText,
  initEnvText,
  type InitForge,
  type InitTracker,
} from './init-files.js';
import { printJson } from './output.js';

interface InitFlags {
  tracker: InitTracker;
  forge: InitForge;
  dir?: string;
  force?: boolean;
  db?: string;
  json?: boolean;
}

/**
 * `orch init`: sets up a directory for Orch — a commented `orch.config.yaml` and a `.env.example`
 * for the chosen tracker and forge, and a created, migrated store — and prints the next steps.
 * Existing files are never overwritten without `--force` (INIT_FILE_EXISTS, nothing written).
 */
export function initCommand(): Command {
  return new Command('init')
    .description('write orch.config.yaml and .env.example, create the database, print next steps')
    .addOption(
      new Option('--tracker <kind>', 'where work items live')
        .choices(INIT_TRACKERS)
        .default('local'),
    )
    .addOption(
      new Option('--forge <kind>', 'where branches are merged')
        .choices(INIT_FORGES)
        .default('local'),
    )
    .option('--dir <path>', 'directory to set up (default: the current one)')
    .option('--force', 'overwrite orch.config.yaml and .env.example if they exist')
    .option('--db <url>', 'database URL (default: ORCH_DB_URL or sqlite:./.orch/orch.db)')
    .option('--json', 'print JSON')
    .action(async (flags: InitFlags) => {
      const r = await runInit(flags);
      if (flags.json) printJson(r);
      else process.stdout.write(initReport(r));
    });
}

export interface InitResult {
  dir: string;
  files: string[];
  store: string;
  schemaVersion: number;
  dataDir: string;
}

/** Relative `sqlite:` paths and the data dir are taken relative to `--dir`, as `serve` there would. */
function storeUrl(dbUrl: string, dir: string): string {
  const path = sqlitePath(dbUrl);
  if (path === null || path === ':memory:') return dbUrl;
  return `sqlite:${resolve(dir, dbUrl.slice('sqlite:'.length).replace(/^\/\/(?=\/)/, ''))}`;
}

export async function runInit(flags: InitFlags): Promise<InitResult> {
  const config = loadConfig(process.env, { dbUrl: flags.db });
  const dir = resolve(flags.dir ?? '.');
  const files = [join(dir, DEFAULT_CONFIG_FILE), join(dir, '.env.example')];
  const existing = files.filter((f) => existsSync(f));
  if (existing.length > 0 && !flags.force) {
    throw new OrchError(
      'INIT_FILE_EXISTS',
      `${existing.join(' and ')} already exist${existing.length === 1 ? 's' : ''}; pass --force to overwrite`,
    );
  }
  const dataDir = resolve(dir, config.env.ORCH_DATA_DIR);
  mkdirSync(dataDir, { recursive: true });
  const dbUrl = storeUrl(config.dbUrl, dir);
  const dbFile = sqlitePath(dbUrl);
  if (dbFile !== null && dbFile !== ':memory:')
    mkdirSync(resolve(dbFile, '..'), { recursive: true });
  const store = openDb(dbUrl);
  let schemaVersion: number;
  try {
    schemaVersion = (await migrate(store)).version;
  } finally {
    await store.close();
  }
  const choice = { tracker: flags.tracker, forge: flags.forge };
  mkdirSync(dir, { recursive: true });
  writeFileSync(files[0]!, initConfigText(choice));
  writeFileSync(files[1]!, initEnvText(choice));
  return { dir, files, store: describeDbUrl(dbUrl), schemaVersion, dataDir };
}

function initReport(r: InitResult): string {
  const cd = resolve('.') === r.dir ? [] : [`  cd ${r.dir}`];
  return [
    ...r.files.map((f) => `wrote ${f}`),
    `store ${r.store} (schema version ${r.schemaVersion})`,
    '',
    'Next:',
    ...cd,
    '  orch project add APP --repo /path/to/your/repo --test-command "npm test"',
    '      # registers the repository and seeds the local forge from it',
    '  orch serve                                 # API, dashboard and agent worker',
    '  orch task create --project APP --title "…" # then: orch task approve APP-001 --as <approver>',
    '',
  ].join('\n');
}
