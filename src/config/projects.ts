import { z } from 'zod';
import { OrchError } from '../errors.js';
import { budgetSchema } from './budget.js';
import { configIssueLines } from './config-issues.js';
import { hooksSchema } from './workspace-hooks-config.js';
import { TRACKER_STATES } from '../integrations/tracker/tracker.js';

const name = z.string().trim().min(1);

/**
 * `projects[].pipeline` (and a workflow file's `pipeline:`): overrides of the default stage
 * machine (src/pipeline/stages.ts): replaced or added stage definitions and/or tracks.
 */
export const pipelineOverrideSchema = z.strictObject({
  stages: z
    .array(
      z.strictObject({
        name: name,
        worker: name.nullable(),
        gate: name.nullable(),
        edgeGates: z.array(name).optional(),
      }),
    )
    .optional(),
  tracks: z.record(z.string(), z.array(name).min(1)).optional(),
});

/** Tracker state per Orch state: a Plane state name ("In Review") or a state uuid. */
const statesSchema = z.strictObject(
  Object.fromEntries(TRACKER_STATES.map((s) => [s, name])) as Record<
    (typeof TRACKER_STATES)[number],
    typeof name
  >,
);

/** A GitHub repository as `owner/name`. */
const githubRepo = z
  .string()
  .trim()
  .regex(/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/, 'repo must be owner/name');

const trackerSchema = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('local'),
    approvers: z.array(name).default([]),
  }),
  z.strictObject({
    kind: z.literal('plane'),
    workspace: name.describe('workspace slug'),
    projectId: name.describe('Plane project uuid'),
    states: statesSchema,
    approvers: z.array(name).default([]),
  }),
  z.strictObject({
    kind: z.literal('github'),
    /** The repository whose issues are the work items (`owner/name`). */
    repo: githubRepo,
    /** Issues carrying this label are taken in (on open, or when it is added). */
    label: name.default('orch'),
    /** GitHub logins that may approve, reject, resume or stop by comment. */
    approvers: z.array(name).default([]),
    /** Issues assigned to this login are taken in too (webhook `issues.assigned`, reconciler). */
    assignee: name.optional(),
  }),
]);

const forgeSchema = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('local'),
    baseBranch: name.default('main'),
    /**
     * A git repository (local path or URL) that receives the merged base branch when an item is
     * done (src/pipeline/push-back.ts); absent = the merge stays in the local forge.
     */
    pushTo: name.optional(),
  }),
  z.strictObject({
    kind: z.literal('gitea'),
    owner: name,
    repo: name,
    baseBranch: name.default('main'),
  }),
  z.strictObject({
    kind: z.literal('github'),
    /** The repository pull requests are opened in (`owner/name`). */
    repo: githubRepo,
    baseBranch: name.default('main'),
    /** How Orch merges a pull request; absent = GitHub's default (a merge commit). */
    mergeMethod: z.enum(['merge', 'squash', 'rebase']).optional(),
  }),
]);

const deployStep = z
  .object({
    command: z.array(z.string().min(1)).min(1).optional(),
    timeoutS: z.number().int().positive().default(600),
    health: z
      .object({
        url: z.string().url(),
        status: z.number().int().min(100).max(599).default(200),
        body: z.string().min(1).optional(),
        retries: z.number().int().min(0).max(100).default(5),
        intervalS: z.number().min(0).max(600).default(5),
        timeoutS: z.number().positive().max(300).default(10),
      })
      .strict()
      .optional(),
  })
  .strict();

/**
 * Staging provenance (src/gates/staging-provenance.ts): how Orch asks staging which revision it
 * runs, checked before the merge. Exactly one source: a command (argv run in the task's worktree,
 * printing the revision on stdout) or a URL (GET; the body is the revision, or JSON with the
 * revision at `jsonField`, a dotted path).
 */
const provenance = z
  .object({
    command: z.array(z.string().min(1)).min(1).optional(),
    url: z.string().url().optional(),
    jsonField: z
      .string()
      .regex(/^[^.]+(\.[^.]+)*$/, 'jsonField must be a dotted path such as build.sha')
      .optional(),
    timeoutS: z.number().positive().max(600).default(30),
  })
  .strict()
  .refine((p) => (p.command === undefined) !== (p.url === undefined), {
    message: 'provenance needs exactly one of command or url',
  })
  .refine((p) => p.jsonField === undefined || p.url !== undefined, {
    message: 'provenance.jsonField applies to url only',
  });

/** Staging's step may also say how to read what it runs (production has no provenance). */
const stagingStep = deployStep.extend({ provenance: provenance.optional() });

/** The post-deploy monitor of a project (src/pipeline/post-deploy.ts). */
const postDeploySchema = z
  .object({
    url: z.string().url(),
    status: z.number().int().min(100).max(599).default(200),
    body: z.string().min(1).optional(),
    /** Probes over the window, one every `windowS / checks` seconds, the first at once. */
    checks: z.number().int().min(1).max(1000).default(30),
    windowS: z.number().positive().max(86_400).default(900),
    timeoutS: z.number().positive().max(300).default(10),
    /** DEGRADED as soon as more probes than this have failed. */
    maxFailures: z.number().int().min(0).max(1000).default(2),
    /** argv run in the task's worktree on DEGRADED when `autoRollback` is on (never for `selfHosted`). */
    rollbackCommand: z.array(z.string().min(1)).min(1).optional(),
    rollbackTimeoutS: z.number().int().positive().default(600),
    autoRollback: z.boolean().default(false),
  })
  .strict()
  .refine((p) => !p.autoRollback || p.rollbackCommand !== undefined, {
    message: 'autoRollback needs a rollbackCommand',
    path: ['autoRollback'],
  });

/**
 * One project: a work-item prefix (`ET` → `ET-12`), the repository Orch works in, and where its
 * work items and pull requests live. `prefix` is accepted as a spelling of `key`.
 */
export const projectSchema = z.preprocess(
  (raw) => {
    const o = raw as Record<string, unknown> | null;
    return o && typeof o === 'object' && o.key === undefined && o.prefix !== undefined
      ? { ...o, key: o.prefix }
      : raw;
  },
  z.strictObject({
    key: z.string().regex(/^[A-Z][A-Z0-9]{0,9}$/, 'key must be 1-10 upper-case letters/digits'),
    prefix: z.string().optional(),
    repo: z.string().regex(/^[A-Za-z0-9._-]+$/, 'repo must be a plain repository name'),
    tracker: trackerSchema.default({ kind: 'local', approvers: [] }),
    forge: forgeSchema.default({ kind: 'local', baseBranch: 'main' }),
    /** argv run in the task worktree by `check_tests_local`. */
    testCommand: z.array(z.string().min(1)).min(1).default(['npm', 'test']),
    testTimeoutS: z.number().int().positive().default(600),
    /** Shared cap on rollbacks to development before the task is Blocked. */
    maxDeveloperRetries: z.number().int().min(0).max(20).default(3),
    /** At most this many of the project's agent jobs at once (local worker); absent = no cap. */
    maxConcurrent: z.number().int().min(1).max(1000).optional(),
    /**
     * Label auto-mode (src/pipeline/auto-labels.ts): label → track (e.g. `bug: bug`, or a track
     * defined below that skips stages) and labels whose analysis needs no human approval.
     */
    labels: z
      .object({
        tracks: z.record(z.string().min(1).max(100), name).default({ bug: 'bug' }),
        autoApprove: z.array(z.string().min(1).max(100)).default([]),
      })
      .strict()
      .default({ tracks: { bug: 'bug' }, autoApprove: [] }),
    /**
     * Serial gate (src/pipeline/serial-gate.ts): `true` = one unfinished item of the repository
     * past analysis at a time, a number = that many, `false` = no limit (a freeze still holds).
     */
    serial: z.union([z.boolean(), z.number().int().min(1).max(100)]).default(false),
    /**
     * Coverage gate (src/gates/coverage/): the report the test command writes; `ratchet` fails a
     * drop of more than `epsilon` points below the repository's baseline, `absolute` anything
     * below `floor`. Absent = no coverage check.
     */
    coverage: z
      .object({
        report: z.string().min(1).max(500),
        format: z.enum(['auto', 'lcov', 'cobertura', 'istanbul', 'coveragepy']).default('auto'),
        policy: z.enum(['ratchet', 'absolute']).default('ratchet'),
        epsilon: z.number().min(0).max(100).default(0.5),
        floor: z.number().min(0).max(100).default(0),
      })
      .strict()
      .optional(),
    /**
     * Deploy stages that deploy (src/gates/deploy-step.ts): a command run in the task's worktree
     * after the stage's agent, then a health check; Orch writes the stage's log from the result.
     */
    deploy: z
      .object({ staging: stagingStep.optional(), production: deployStep.optional() })
      .strict()
      .optional(),
    /** This repository is Orch itself: its deploy is a self-deploy and is never auto-rolled back. */
    selfHosted: z.boolean().default(false),
    /**
     * Post-deploy monitor (ORCH-021): after done, probe `url` over a window; DEGRADED freezes the
     * repository, alerts, records a lesson and (with `autoRollback`) runs `rollbackCommand`.
     */
    postDeploy: postDeploySchema.optional(),
    /** Workspace hooks (src/agents/workspace-hooks.ts): shell commands run in the worktree. */
    hooks: hooksSchema.optional(),
    /** Spend limits of this project's items; each one set here replaces the global `budget:`. */
    budget: budgetSchema.optional(),
    /**
     * Overrides of the default stage machine (src/pipeline/stages.ts): replaced stage definitions
     * and/or tracks. Validated again against the gate registry at startup.
     */
    pipeline: pipelineOverrideSchema.optional(),
  }),
);

export const projectsSchema = z.array(projectSchema).default([]);

export type ProjectConfig = z.infer<typeof projectSchema>;
export type TrackerConfig = ProjectConfig['tracker'];
export type ForgeConfig = ProjectConfig['forge'];
export type PlaneTrackerConfig = Extract<TrackerConfig, { kind: 'plane' }>;
export type GiteaForgeConfig = Extract<ForgeConfig, { kind: 'gitea' }>;
export type GithubTrackerConfig = Extract<TrackerConfig, { kind: 'github' }>;
export type GithubForgeConfig = Extract<ForgeConfig, { kind: 'github' }>;

/** Lookups over the configured projects; every key is unique (checked when parsing). */
export interface ProjectsConfig {
  readonly projects: readonly ProjectConfig[];
  byKey(key: string): ProjectConfig | undefined;
  byRepo(repo: string): ProjectConfig | undefined;
  /** The project whose Plane project id this is. */
  byPlaneProject(projectId: string): ProjectConfig | undefined;
  /** The project whose Gitea repository is `owner/name` (case-insensitive, as Gitea is). */
  byGiteaRepo(fullName: string): ProjectConfig | undefined;
  /**
   * The project whose GitHub tracker or forge repository is `owner/name` (case-insensitive, as
   * GitHub is).
   */
  byGithubRepo(fullName: string): ProjectConfig | undefined;
}

function duplicates(values: readonly string[]): string[] {
  return values.filter((v, i) => values.indexOf(v) !== i);
}

export function giteaFullName(forge: GiteaForgeConfig): string {
  return `${forge.owner}/${forge.repo}`.toLowerCase();
}

/** The GitHub repositories (`owner/name`, lower-cased) a project's tracker and forge name. */
export function githubRepos(p: ProjectConfig): string[] {
  const repos = [p.tracker, p.forge].flatMap((s) => (s.kind === 'github' ? [s.repo] : []));
  return [...new Set(repos.map((r) => r.toLowerCase()))];
}

/** Whether the project uses GitHub as its tracker or its forge. */
export function usesGithub(p: ProjectConfig): boolean {
  return p.tracker.kind === 'github' || p.forge.kind === 'github';
}

export function createProjectsConfig(projects: readonly ProjectConfig[]): ProjectsConfig {
  const plane = (p: ProjectConfig) => (p.tracker.kind === 'plane' ? p.tracker.projectId : null);
  const gitea = (p: ProjectConfig) => (p.forge.kind === 'gitea' ? giteaFullName(p.forge) : null);
  const checks: [string, (string | null)[]][] = [
    ['key', projects.map((p) => p.key)],
    ['repo', projects.map((p) => p.repo)],
    ['tracker.projectId', projects.map(plane)],
    ['forge owner/repo', projects.map(gitea)],
    ['GitHub repo', projects.flatMap(githubRepos)],
  ];
  for (const [what, values] of checks) {
    const dup = duplicates(values.filter((v): v is string => v !== null));
    if (dup.length > 0) {
      throw new OrchError('CONFIG_INVALID', `projects: duplicate ${what}: ${dup.join(', ')}`);
    }
  }
  return {
    projects,
    byKey: (key) => projects.find((p) => p.key === key.toUpperCase()),
    byRepo: (repo) => projects.find((p) => p.repo === repo),
    byPlaneProject: (id) => projects.find((p) => plane(p) === id),
    byGiteaRepo: (full) => projects.find((p) => gitea(p) === full.toLowerCase()),
    byGithubRepo: (full) => projects.find((p) => githubRepos(p).includes(full.toLowerCase())),
  };
}

/**
 * Validates the `projects:` value of `orch.config.yaml` (already parsed YAML) and builds the
 * registry. Bad input → OrchError `CONFIG_INVALID` naming every offending path.
 */
export function parseProjects(raw: unknown): ProjectsConfig {
  const parsed = projectsSchema.safeParse(raw ?? []);
  if (!parsed.success) {
    const lines = configIssueLines(parsed.error, projectsSchema, raw ?? [], ['projects']);
    throw new OrchError('CONFIG_INVALID', `invalid projects:\n  ${lines.join('\n  ')}`);
  }
  return createProjectsConfig(parsed.data);
}
