import type { LabelRules } from './auto-labels.js';
import type { Forge } from '../integrations/forge/forge.js';
import type { Tracker } from '../integrations/tracker/tracker.js';
import { OrchError } from '../errors.js';
import type { PipelineDef } from './stages.js';
import type { CoverageFormat, CoveragePolicy } from '../gates/coverage/coverage-report.js';
import type { ProjectDeploy } from '../gates/deploy-step.js';
import type { PostDeployConfig } from './post-deploy.js';

export interface ProjectCoverage extends CoveragePolicy {
  report: string;
  format: CoverageFormat | 'auto';
}

/**
 * Everything the pipeline needs to know about one project: where its work items come from, where
 * its code lives, how its tests run, and which stage machine it follows. Built by the runtime
 * from `orch.config.yaml` (or the demo); the engine only reads it.
 */
export interface Project {
  key: string;
  /** Work-item id prefix: `ET` → `ET-001`. */
  prefix: string;
  repo: string;
  baseBranch: string;
  tracker: Tracker;
  /** The tracker's id for this project (Plane project id; the key for the local tracker). */
  trackerProjectId: string;
  forge: Forge;
  pipeline: PipelineDef;
  testCommand: readonly string[];
  testTimeoutMs: number;
  /** Who may approve or reject by comment. */
  approvers: readonly string[];
  /** Shared cap on rollbacks to development (review changes, test failures, security, merge). */
  maxDeveloperRetries: number;
  /** At most this many of the project's agent jobs run at once (local worker); absent = no cap. */
  maxConcurrent?: number;
  /** Label auto-mode rules (auto-labels.ts); absent = `DEFAULT_LABEL_RULES`. */
  labels?: LabelRules;
  /**
   * Serial gate (serial-gate.ts): at most this many unfinished items of the repository past
   * analysis at a time; absent = not serial (a repository freeze still holds items).
   */
  serial?: number;
  /** Coverage gate settings (gates/coverage/): the report and the policy; absent = none. */
  coverage?: ProjectCoverage;
  /** Commands and health checks of deploy-staging / deploy (gates/deploy-step.ts). */
  deploy?: ProjectDeploy;
  /** This repository is Orch itself (self-deploy; never auto-rolled back). */
  selfHosted?: boolean;
  /** The post-deploy monitor (post-deploy.ts): probes after done; absent = none. */
  postDeploy?: PostDeployConfig;
  /**
   * Local forge only: the repository (path or URL) the merged base branch is pushed to when an
   * item is done (`forge.pushTo`, push-back.ts); absent = none.
   */
  pushTo?: string;
  /** Passed to the scripted demo agents through the job payload; ignored by real agents. */
  scenario?: Record<string, string>;
}

export class ProjectRegistry {
  readonly #byKey = new Map<string, Project>();

  constructor(projects: readonly Project[]) {
    for (const p of projects) this.#byKey.set(p.key, p);
  }

  get(key: string): Project {
    const p = this.#byKey.get(key);
    if (!p) throw new OrchError('UNKNOWN_PROJECT', `no project "${key}" is configured`);
    return p;
  }

  find(predicate: (p: Project) => boolean): Project | undefined {
    return [...this.#byKey.values()].find(predicate);
  }

  all(): Project[] {
    return [...this.#byKey.values()];
  }
}
