import type { z } from 'zod';
import { envSchema } from '../config/env.js';

export const INIT_TRACKERS = ['local', 'plane'] as const;
export const INIT_FORGES = ['local', 'gitea'] as const;
export type InitTracker = (typeof INIT_TRACKERS)[number];
export type InitForge = (typeof INIT_FORGES)[number];

export interface InitChoice {
  tracker: InitTracker;
  forge: InitForge;
}

/** How a project entry for this tracker/forge looks (commented out in the generated file). */
function exampleProject(c: InitChoice): string[] {
  const tracker =
    c.tracker === 'plane'
      ? [
          '#     tracker:',
          '#       kind: plane',
          '#       workspace: acme                 # Plane workspace slug',
          '#       projectId: <plane project uuid>',
          '#       states: { in_progress: In Progress, in_review: In Review, needs_input: Needs Input, blocked: Blocked, done: Done }',
          '#       approvers: [<plane user id or name>]',
        ]
      : [
          '#     tracker:',
          '#       kind: local                     # work items in Orch itself: orch task create …',
          '#       approvers: [alice]              # who may approve (orch task approve --as alice)',
        ];
  const forge =
    c.forge === 'gitea'
      ? [
          '#     forge: { kind: gitea, owner: acme, repo: app, baseBranch: main }',
          '#     # Gitea: the repository must exist there (orch doctor checks it).',
        ]
      : [
          '#     forge:',
          '#       kind: local                     # bare repository <data dir>/forge/app.git',
          '#       baseBranch: main',
          '#       pushTo: /home/me/src/app        # done items: the merged base branch is pushed here',
        ];
  return [
    '#   - key: APP                          # work-item prefix: APP-001, APP-002 …',
    '#     repo: app                         # repository name in the forge',
    ...tracker,
    ...forge,
    '#     testCommand: [npm, test]          # run in the task worktree by check_tests_local',
  ];
}

/**
 * The text of a new `orch.config.yaml`: every section commented, valid against the strict schema
 * as written (an empty project list, the default agent). Pure.
 */
export function initConfigText(c: InitChoice): string {
  return [
    `# Orch configuration, written by \`orch init --tracker ${c.tracker} --forge ${c.forge}\`.`,
    '# Reference: docs/config.md. Every key is checked: a misspelt or unknown key stops Orch with',
    '# CONFIG_INVALID naming it and the valid ones.',
    '',
    '# Which agent CLI runs each pipeline role (docs/config.md "Agents", docs/agents.md).',
    '# Default: Claude Code for every role. A `command` agent runs any program, e.g. the example:',
    '#   defaults:',
    '#     adapter: command',
    '#     command: [/abs/path/to/examples/command-agent.sh, "{role}", "{taskFile}"]',
    'agents:',
    '  defaults:',
    '    adapter: claude-code',
    '',
    '# Optional spend limits for every project (docs/config.md "Budget"), e.g.',
    '# budget: { perRunUsd: 1, perItemUsd: 5, perDayUsd: 20 }',
    '',
    '# One entry per repository Orch works on (docs/config.md "Projects"). Add one with',
    '#   orch project add APP --repo /path/to/your/repo --test-command "npm test"',
    '# (it seeds the local forge from that repository), which appends an entry like:',
    ...exampleProject(c),
    'projects: []',
    '',
  ].join('\n');
}

/** The variables `.env.example` lists for a tracker/forge choice, with a one-line meaning each. */
function envVars(c: InitChoice): [string, string][] {
  const vars: [string, string][] = [
    ['ORCH_DB_URL', 'The store: sqlite:<path> (one host) or postgres://user:<password>@host/db.'],
    ['ORCH_DATA_DIR', 'Run logs, the local forge (<data dir>/forge/<repo>.git), worktrees.'],
    ['ORCH_CONFIG', 'orch.config.yaml to load; unset: ./orch.config.yaml.'],
    ['ORCH_PORT', 'HTTP port of `orch serve` (dashboard and API).'],
    ['ORCH_ADMIN_TOKEN', 'Secret. Bearer token for the API and dashboard writes.'],
  ];
  if (c.tracker === 'plane')
    vars.push(
      ['ORCH_PLANE_URL', 'Plane base URL, e.g. https://plane.example.'],
      ['ORCH_PLANE_API_TOKEN', 'Secret. Plane API key.'],
      ['ORCH_PLANE_WEBHOOK_SECRET', 'Secret. Plane webhook secret; unset rejects every delivery.'],
      ['ORCH_PLANE_BOT_USER_ID', "Plane user id of the token's user; its own events are ignored."],
    );
  if (c.forge === 'gitea')
    vars.push(
      ['ORCH_GITEA_URL', 'Gitea base URL, e.g. https://gitea.example.'],
      ['ORCH_GITEA_TOKEN', 'Secret. Gitea access token.'],
      ['ORCH_GITEA_WEBHOOK_SECRET', 'Secret. Gitea webhook secret; unset rejects every delivery.'],
      ['ORCH_GITEA_BOT_USERNAME', "Gitea login of the token's user; its own events are ignored."],
    );
  return vars;
}

/** A variable's schema default as written in an env file ('' = unset). */
function envDefault(name: string): string {
  const field = (envSchema.shape as Record<string, z.ZodType>)[name];
  const parsed = field?.safeParse(undefined);
  const value: unknown = parsed?.success ? parsed.data : undefined;
  if (typeof value === 'string') return value;
  return typeof value === 'number' || typeof value === 'boolean' ? String(value) : '';
}

/** The text of a new `.env.example` for the choice: the settings it needs, commented. Pure. */
export function initEnvText(c: InitChoice): string {
  const lines = [
    `# Environment for Orch, written by \`orch init --tracker ${c.tracker} --forge ${c.forge}\`.`,
    '# Copy to .env and uncomment what you change: a commented line shows the default, an empty',
    '# value means unset. Orch reads its environment, not this file: load it with',
    '# `set -a; . ./.env; set +a` before orch, or EnvironmentFile= (systemd) / env_file (compose).',
    '# Keep .env private. Every variable: docs/config.md and the full',
    "# .env.example in Orch's repository (npm run env:example).",
    '',
  ];
  for (const [name, about] of envVars(c))
    lines.push(`# ${about}`, `# ${name}=${envDefault(name)}`, '');
  return lines.join('\n');
}
