import { readFileSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { Command, Option } from 'commander';
import { loadConfig } from '../config/config.js';
import { configFilePath } from '../config/config-file.js';
import { appendProject } from '../config/config-edit.js';
import { OrchError } from '../errors.js';
import { seedLocalForge, type SeedResult } from '../integrations/forge/local-forge-seed.js';
import { isLocalPath } from '../pipeline/push-back.js';
import { printJson } from './output.js';

interface AddFlags {
  repo: string;
  name?: string;
  testCommand?: string;
  baseBranch: string;
  approver?: string[];
  pushTo?: string;
  forge: 'local' | 'gitea';
  owner?: string;
  config?: string;
}

/** `orch project add`: registers a repository in orch.config.yaml and seeds the local forge. */
export function projectCommand(): Command {
  const project = new Command('project').description('projects in orch.config.yaml');
  project
    .command('add <key>')
    .description('append a project to orch.config.yaml and seed the local forge from --repo')
    .requiredOption('--repo <path-or-url>', 'the git repository to work on')
    .option('--name <repo>', 'repository name in the forge (default: last segment of --repo)')
    .option('--test-command <cmd>', 'test command run in the task worktree (default: npm test)')
    .option('--base-branch <branch>', 'branch items are merged into', 'main')
    .option(
      '--approver <login...>',
      'who may approve (orch task approve --as <login>; default: your login name)',
    )
    .option(
      '--push-to <path-or-url>',
      'repository that receives the merged base branch when an item is done (default: --repo if a path)',
    )
    .addOption(new Option('--forge <kind>', 'forge').choices(['local', 'gitea']).default('local'))
    .option('--owner <owner>', 'Gitea owner (--forge gitea)')
    .option('--config <file>', 'orch.config.yaml (default: ORCH_CONFIG or ./orch.config.yaml)')
    .option('--json', 'print JSON')
    .action(async (key: string, flags: AddFlags & { json?: boolean }) => {
      const r = await addProject(key, flags);
      if (flags.json) printJson(r);
      else process.stdout.write(addReport(r));
    });
  return project;
}

/** `npm test` → [npm, test]; anything a shell must interpret runs under `sh -c`. Pure. */
export function testCommandArgv(cmd: string): string[] {
  const words = cmd.trim().split(/\s+/).filter(Boolean);
  if (words.length === 0) throw new OrchError('USAGE', '--test-command is empty');
  return /["'`$\\|&;<>(){}*?~]/.test(cmd) ? ['sh', '-c', cmd] : words;
}

/** The forge's name for a repository: the last path segment without `.git`. Pure. */
export function repoNameOf(repo: string): string {
  const name = basename(repo.replace(/[/\\]+$/, '').replace(/^.*:/, '')).replace(/\.git$/, '');
  if (!/^[A-Za-z0-9._-]+$/.test(name) || /^\.+$/.test(name))
    throw new OrchError('USAGE', `cannot take a repository name from ${repo}; pass --name`);
  return name;
}

export interface AddResult {
  key: string;
  config: string;
  entry: Record<string, unknown>;
  seed: SeedResult | null;
}

export async function addProject(rawKey: string, flags: AddFlags): Promise<AddResult> {
  const config = loadConfig(process.env);
  const file = configFilePath(flags.config ?? config.env.ORCH_CONFIG);
  if (file === undefined)
    throw new OrchError('CONFIG_NOT_FOUND', 'no orch.config.yaml here; run `orch init` first');
  const key = rawKey.toUpperCase();
  const repo = flags.name ?? repoNameOf(flags.repo);
  const local = isLocalPath(flags.repo);
  const source = local ? resolve(flags.repo) : flags.repo;
  const pushTo = flags.pushTo ?? (local ? source : undefined);
  if (flags.forge === 'gitea' && !flags.owner)
    throw new OrchError('USAGE', '--forge gitea needs --owner');
  const forge =
    flags.forge === 'gitea'
      ? { kind: 'gitea', owner: flags.owner, repo, baseBranch: flags.baseBranch }
      : {
          kind: 'local',
          baseBranch: flags.baseBranch,
          ...(pushTo !== undefined && { pushTo: isLocalPath(pushTo) ? resolve(pushTo) : pushTo }),
        };
  const entry: Record<string, unknown> = {
    key,
    repo,
    // Nobody could ever approve an item of a project without approvers: default to the caller.
    tracker: { kind: 'local', approvers: flags.approver ?? [userInfo().username] },
    forge,
    testCommand: testCommandArgv(flags.testCommand ?? 'npm test'),
  };
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new OrchError('CONFIG_NOT_FOUND', `cannot read ${file}`, { cause: err });
  }
  // Validated (and duplicates refused) before anything is created.
  const updated = appendProject(text, entry, file);
  const seed =
    flags.forge === 'local'
      ? await seedLocalForge({
          source,
          bare: join(config.dataDir, 'forge', `${repo}.git`),
          baseBranch: flags.baseBranch,
        })
      : null;
  writeFileSync(file, updated);
  return { key, config: file, entry, seed };
}

function addReport(r: AddResult): string {
  const lines = [`added project ${r.key} to ${r.config}`];
  if (r.seed?.kind === 'seeded')
    lines.push(`seeded the local forge ${r.seed.bare} (${r.seed.branches.join(', ')})`);
  if (r.seed?.kind === 'exists') lines.push(`local forge ${r.seed.bare} exists; left as it is`);
  const forge = r.entry.forge as { pushTo?: string };
  if (forge.pushTo) lines.push(`done items push their merged base branch to ${forge.pushTo}`);
  const approvers = (r.entry.tracker as { approvers: string[] }).approvers;
  lines.push(`approvers: ${approvers.join(', ')} (orch task approve <ID> --as ${approvers[0]})`);
  lines.push('', 'Next:', '  orch serve', `  orch task create --project ${r.key} --title "…"`, '');
  return lines.join('\n');
}
