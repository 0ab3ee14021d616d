import type {
  GithubForgeConfig,
  GithubTrackerConfig,
  ProjectConfig,
  ProjectsConfig,
} from '../config/projects.js';
import type { DeployStep, ProjectDeploy } from '../gates/deploy-step.js';
import type { ProvenanceSource } from '../gates/staging-provenance.js';
import { assertNever, OrchError } from '../errors.js';
import type { Forge } from '../integrations/forge/forge.js';
import type { Tracker } from '../integrations/tracker/tracker.js';
import type { PostDeployConfig } from './post-deploy.js';
import type { Project } from './project.js';
import { DEFAULT_PIPELINE, validatePipeline, type PipelineDef } from './stages.js';

export interface ProjectParts {
  localForge: Forge;
  localTracker: Tracker;
  /** Set when ORCH_PLANE_URL / ORCH_PLANE_API_TOKEN are. */
  plane: Tracker | null;
  /** Set when ORCH_GITEA_URL / ORCH_GITEA_TOKEN are. */
  gitea: Forge | null;
  /**
   * Set when GitHub credentials are (ORCH_GITHUB_TOKEN, or an App): a project's tracker and forge
   * for its `owner/name`, all over one shared client.
   */
  github?: {
    tracker(config: GithubTrackerConfig): Tracker;
    forge(config: GithubForgeConfig): Forge;
  } | null;
}

function trackerOf(p: ProjectConfig, parts: ProjectParts): Tracker | null {
  switch (p.tracker.kind) {
    case 'local':
      return parts.localTracker;
    case 'plane':
      return parts.plane;
    case 'github':
      return parts.github?.tracker(p.tracker) ?? null;
    default:
      return assertNever(p.tracker, 'tracker kind');
  }
}

function forgeOf(p: ProjectConfig, parts: ProjectParts): Forge | null {
  switch (p.forge.kind) {
    case 'local':
      return parts.localForge;
    case 'gitea':
      return parts.gitea;
    case 'github':
      return parts.github?.forge(p.forge) ?? null;
    default:
      return assertNever(p.forge, 'forge kind');
  }
}

/** What a project's tracker calls the project: Plane's uuid, GitHub's owner/name, else the key. */
function trackerProjectIdOf(p: ProjectConfig): string {
  if (p.tracker.kind === 'plane') return p.tracker.projectId;
  if (p.tracker.kind === 'github') return p.tracker.repo;
  return p.key;
}

/** A project on GitHub without a token or App credentials: refused at startup. */
function assertGithubAuth(p: ProjectConfig, parts: ProjectParts): void {
  if ((p.tracker.kind === 'github' || p.forge.kind === 'github') && !parts.github)
    throw new OrchError(
      'GITHUB_AUTH_MISSING',
      `project ${p.key} uses GitHub but neither ORCH_GITHUB_TOKEN nor ORCH_GITHUB_APP_ID with ` +
        'ORCH_GITHUB_APP_PRIVATE_KEY (or _FILE) is set',
    );
}

/**
 * Projects from the `projects:` section of orch.config.yaml: each on the tracker and forge it
 * names (local by default). A project naming Plane, Gitea or GitHub without their credentials is
 * a configuration error at startup, not a failure at the first webhook.
 */
export function buildProjects(config: ProjectsConfig, parts: ProjectParts): Project[] {
  return config.projects.map((p) => {
    assertGithubAuth(p, parts);
    const tracker = trackerOf(p, parts);
    const forge = forgeOf(p, parts);
    if (!tracker)
      throw new OrchError(
        'CONFIG_INVALID',
        `project ${p.key} uses Plane but ORCH_PLANE_URL/ORCH_PLANE_API_TOKEN are not set`,
      );
    if (!forge)
      throw new OrchError(
        'CONFIG_INVALID',
        `project ${p.key} uses Gitea but ORCH_GITEA_URL/ORCH_GITEA_TOKEN are not set`,
      );
    const pipeline = pipelineFor(p.key, p.pipeline);
    for (const [label, track] of Object.entries(p.labels.tracks)) {
      if (!pipeline.tracks[track])
        throw new OrchError(
          'CONFIG_INVALID',
          `project ${p.key}: label "${label}" names unknown track "${track}"`,
        );
    }
    return {
      key: p.key,
      prefix: p.prefix ?? p.key,
      repo: p.repo,
      baseBranch: p.forge.baseBranch,
      tracker,
      trackerProjectId: trackerProjectIdOf(p),
      forge,
      pipeline,
      labels: p.labels,
      ...(p.serial !== false && { serial: p.serial === true ? 1 : p.serial }),
      ...(p.coverage && { coverage: p.coverage }),
      ...(p.deploy && { deploy: deployOf(p.deploy) }),
      ...(p.postDeploy && { postDeploy: postDeployOf(p.postDeploy) }),
      ...(p.selfHosted && { selfHosted: true }),
      ...(p.forge.kind === 'local' && p.forge.pushTo !== undefined && { pushTo: p.forge.pushTo }),
      testCommand: p.testCommand,
      testTimeoutMs: p.testTimeoutS * 1000,
      approvers: p.tracker.approvers,
      maxDeveloperRetries: p.maxDeveloperRetries,
      ...(p.maxConcurrent !== undefined && { maxConcurrent: p.maxConcurrent }),
    };
  });
}

/**
 * The project's stage machine: the default, with any stages the config redefines (by name, or
 * appended) and any tracks it replaces. An invalid machine is a startup error.
 */
export function pipelineFor(
  key: string,
  override:
    | { stages?: PipelineDef['stages'] | undefined; tracks?: PipelineDef['tracks'] | undefined }
    | undefined,
): PipelineDef {
  if (!override) return DEFAULT_PIPELINE;
  try {
    return overridePipeline(override);
  } catch (err) {
    throw new OrchError('CONFIG_INVALID', `project ${key}: ${(err as Error).message}`, {
      cause: err,
    });
  }
}

/**
 * The default stage machine with `override`'s stage definitions (replaced by name, or added) and
 * tracks (replaced by name, or added), validated (`validatePipeline` throws on a bad one). Pure.
 */
export function overridePipeline(override: {
  stages?: PipelineDef['stages'] | undefined;
  tracks?: PipelineDef['tracks'] | undefined;
}): PipelineDef {
  const stages = [...DEFAULT_PIPELINE.stages];
  for (const s of override.stages ?? []) {
    const i = stages.findIndex((d) => d.name === s.name);
    if (i >= 0) stages[i] = s;
    else stages.push(s);
  }
  return validatePipeline({ stages, tracks: { ...DEFAULT_PIPELINE.tracks, ...override.tracks } });
}

/** Every gate a project's stage machine names must exist (the human analysis gate is the engine's). */
export function assertGatesKnown(
  projects: readonly Project[],
  known: (gate: string) => boolean,
): void {
  for (const p of projects) {
    for (const s of p.pipeline.stages) {
      for (const g of [s.gate, ...(s.edgeGates ?? [])]) {
        if (g && g !== 'analysis_approval' && !known(g)) {
          throw new OrchError(
            'CONFIG_INVALID',
            `project ${p.key}: stage ${s.name} names unknown gate "${g}"`,
          );
        }
      }
    }
  }
}

type DeployStepConfig = NonNullable<NonNullable<ProjectConfig['deploy']>['staging']>;

/** Config seconds → the gate's milliseconds. */
function deployStepOf(s: DeployStepConfig | undefined): DeployStep | undefined {
  if (!s) return undefined;
  return {
    command: s.command,
    timeoutMs: s.timeoutS * 1000,
    health: s.health && {
      url: s.health.url,
      status: s.health.status,
      body: s.health.body,
      retries: s.health.retries,
      intervalMs: s.health.intervalS * 1000,
      timeoutMs: s.health.timeoutS * 1000,
    },
    provenance: s.provenance && provenanceOf(s.provenance),
  };
}

/** `command` or `url` (the schema allows exactly one) → the check's source, seconds → ms. */
function provenanceOf(p: NonNullable<DeployStepConfig['provenance']>): ProvenanceSource {
  const timeoutMs = p.timeoutS * 1000;
  if (p.command) return { kind: 'command', command: p.command, timeoutMs };
  if (p.url) return { kind: 'url', url: p.url, jsonField: p.jsonField, timeoutMs };
  throw new OrchError('CONFIG_INVALID', 'deploy.staging.provenance needs a command or a url');
}

function deployOf(d: NonNullable<ProjectConfig['deploy']>): ProjectDeploy {
  return { staging: deployStepOf(d.staging), production: deployStepOf(d.production) };
}

/** Config seconds → the monitor's milliseconds. */
function postDeployOf(c: NonNullable<ProjectConfig['postDeploy']>): PostDeployConfig {
  return {
    health: {
      url: c.url,
      status: c.status,
      body: c.body,
      retries: 0,
      intervalMs: 0,
      timeoutMs: c.timeoutS * 1000,
    },
    checks: c.checks,
    windowMs: c.windowS * 1000,
    maxFailures: c.maxFailures,
    rollbackCommand: c.rollbackCommand,
    rollbackTimeoutMs: c.rollbackTimeoutS * 1000,
    autoRollback: c.autoRollback,
  };
}
