import type { ProjectConfig } from '../../config/projects.js';
import { isOrchError, OrchError } from '../../errors.js';
import { integrationRetry } from '../http/integration-error.js';
import type { PlaneClient } from './plane-client.js';

/** One finding of the Plane set-up check. `unreachable`: Plane could not be asked. */
export interface PlaneSetupFinding {
  project: string;
  check: 'states' | 'membership';
  outcome: 'ok' | 'problem' | 'unreachable';
  detail: string;
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * What a new Plane project usually lacks, checked before the first state change fails: the states
 * the project's `states:` names (Plane creates none of "In Review", "Needs Input", "Blocked"), and
 * the API token's user as a project member (Plane answers 403 to a non-member). Never throws.
 */
export async function checkPlaneSetup(
  plane: PlaneClient,
  projects: readonly ProjectConfig[],
): Promise<PlaneSetupFinding[]> {
  const out: PlaneSetupFinding[] = [];
  for (const p of projects) {
    if (p.tracker.kind !== 'plane') continue;
    const { projectId } = p.tracker;
    const label = `${p.key} (Plane project ${projectId})`;
    out.push(await checkMembership(plane, projectId, label));
    out.push(await checkStates(plane, projectId, Object.values(p.tracker.states), label));
  }
  return out;
}

async function checkStates(
  plane: PlaneClient,
  projectId: string,
  wanted: readonly string[],
  project: string,
): Promise<PlaneSetupFinding> {
  try {
    const names = (await plane.stateNames(projectId)).map((n) => n.trim().toLowerCase());
    const missing = wanted.filter(
      (w) => !UUID_RE.test(w) && !names.includes(w.trim().toLowerCase()),
    );
    return missing.length === 0
      ? { project, check: 'states', outcome: 'ok', detail: `states present: ${wanted.join(', ')}` }
      : {
          project,
          check: 'states',
          outcome: 'problem',
          detail: `missing state(s) ${missing.map((m) => `"${m}"`).join(', ')}: create them in Plane (Project settings → States) or change \`states:\` in orch.config.yaml`,
        };
  } catch (err) {
    return failure(project, 'states', err);
  }
}

async function checkMembership(
  plane: PlaneClient,
  projectId: string,
  project: string,
): Promise<PlaneSetupFinding> {
  let who = "the API token's user";
  try {
    const me = await plane.me();
    who = me.displayName ?? me.email ?? me.id;
    const members = await plane.projectMembers(projectId);
    return members.some((m) => m.id === me.id)
      ? { project, check: 'membership', outcome: 'ok', detail: `API user ${who} is a member` }
      : notMember(project, who);
  } catch (err) {
    if (isOrchError(err, 'TRACKER_AUTH_FAILED') && err.details?.status === 403) {
      return notMember(project, who);
    }
    return failure(project, 'membership', err);
  }
}

function notMember(project: string, who: string): PlaneSetupFinding {
  return {
    project,
    check: 'membership',
    outcome: 'problem',
    detail: `${who} is not a member of the project: add it in Plane (Project settings → Members), or Orch cannot change states or comment`,
  };
}

function failure(
  project: string,
  check: PlaneSetupFinding['check'],
  err: unknown,
): PlaneSetupFinding {
  const detail = err instanceof Error ? err.message : String(err);
  return integrationRetry(err).retryable
    ? { project, check, outcome: 'unreachable', detail }
    : { project, check, outcome: 'problem', detail };
}

/**
 * The start-up form of the check: definite problems (missing states, API user not a member) stop
 * `orch serve` with one clear error (TRACKER_SETUP_INVALID) instead of failing at the first state
 * change; an unreachable Plane is only a warning (the pipeline retries tracker calls).
 */
export async function assertPlaneSetup(
  plane: PlaneClient,
  projects: readonly ProjectConfig[],
  log: { warn: (o: object, m: string) => void },
): Promise<void> {
  const findings = await checkPlaneSetup(plane, projects);
  for (const f of findings.filter((x) => x.outcome === 'unreachable')) {
    log.warn({ project: f.project, check: f.check, detail: f.detail }, 'Plane set-up not checked');
  }
  const problems = findings.filter((x) => x.outcome === 'problem');
  if (problems.length === 0) return;
  throw new OrchError(
    'TRACKER_SETUP_INVALID',
    `Plane is not set up for Orch: ${problems.map((p) => `${p.project}: ${p.detail}`).join('; ')} (\`orch doctor\` checks this too)`,
  );
}
