/**
 * The stage machine as data (DESIGN.md pipeline table). Pure: no I/O.
 *
 * Each stage names the agent that works *in* it (`worker`) and the gate that must pass to leave
 * it (`gate`). A track is the ordered list of stages a task walks; the bug track skips
 * architecture. The agent launched on an advance is the agent of the stage being left, i.e. the
 * worker of the stage it advances to: leaving `analysis` launches the architect (the reference
 * system once launched the developer here — spec §10 item 6).
 */
import { OrchError } from '../errors.js';

export const DEFAULT_STAGES = [
  'created',
  'analysis',
  'architecture',
  'development',
  'review',
  'testing',
  'deploy-staging',
  'deploy',
  'done',
] as const;

export interface StageDef {
  name: string;
  /** The agent role that works in this stage; null for created / done. */
  worker: string | null;
  /** The exit gate (registry name); null = no gate (created) or terminal (done). */
  gate: string | null;
  /** Gates that run after `gate` on the edge out of this stage (security, merge). */
  edgeGates?: readonly string[] | undefined;
}

export interface PipelineDef {
  stages: readonly StageDef[];
  tracks: Readonly<Record<string, readonly string[]>>;
}

export const DEFAULT_PIPELINE: PipelineDef = {
  stages: [
    { name: 'created', worker: null, gate: null },
    { name: 'analysis', worker: 'analyst', gate: 'analysis_approval' },
    { name: 'architecture', worker: 'architect', gate: 'check_architecture_done' },
    { name: 'development', worker: 'developer', gate: 'check_tests_local' },
    { name: 'review', worker: 'reviewer', gate: 'check_reviewer_verdict' },
    { name: 'testing', worker: 'tester', gate: 'check_tests_passed' },
    {
      name: 'deploy-staging',
      worker: 'deployer',
      gate: 'check_staging_status',
      edgeGates: ['security_gate', 'merge_gate'],
    },
    { name: 'deploy', worker: 'deployer', gate: 'check_deploy_status' },
    { name: 'done', worker: null, gate: null },
  ],
  tracks: {
    full: [...DEFAULT_STAGES],
    bug: DEFAULT_STAGES.filter((s) => s !== 'architecture'),
  },
};

function trackOf(p: PipelineDef, track: string): readonly string[] {
  const stages = p.tracks[track];
  if (!stages) throw new OrchError('UNKNOWN_TRACK', `pipeline has no track "${track}"`);
  return stages;
}

export function stageDef(p: PipelineDef, stage: string): StageDef {
  const def = p.stages.find((s) => s.name === stage);
  if (!def) throw new OrchError('UNKNOWN_STAGE', `pipeline has no stage "${stage}"`);
  return def;
}

function indexIn(p: PipelineDef, track: string, stage: string): number {
  const i = trackOf(p, track).indexOf(stage);
  if (i < 0) throw new OrchError('UNKNOWN_STAGE', `stage "${stage}" is not on track "${track}"`);
  return i;
}

/** The stage after `stage` on the track, or null at the terminal stage. */
export function next(p: PipelineDef, track: string, stage: string): string | null {
  return trackOf(p, track)[indexIn(p, track, stage) + 1] ?? null;
}

/** The stage before `stage` on the track, or null at the first stage. */
export function previous(p: PipelineDef, track: string, stage: string): string | null {
  const i = indexIn(p, track, stage);
  return i === 0 ? null : (trackOf(p, track)[i - 1] ?? null);
}

/** The agent launched when a task advances out of `stage` (the worker of the next stage). */
export function agentFor(p: PipelineDef, track: string, stage: string): string | null {
  const to = next(p, track, stage);
  return to === null ? null : stageDef(p, to).worker;
}

export function gateFor(p: PipelineDef, stage: string): string | null {
  return stageDef(p, stage).gate;
}

export function isTerminal(p: PipelineDef, track: string, stage: string): boolean {
  return next(p, track, stage) === null;
}

/** Validates a pipeline definition from config: known tracks, stages that exist, one terminal. */
export function validatePipeline(p: PipelineDef): PipelineDef {
  const names = new Set(p.stages.map((s) => s.name));
  if (names.size !== p.stages.length) throw new OrchError('CONFIG_INVALID', 'duplicate stage name');
  if (!p.tracks.full) throw new OrchError('CONFIG_INVALID', 'pipeline needs a "full" track');
  for (const [track, stages] of Object.entries(p.tracks)) {
    for (const s of stages) {
      if (!names.has(s))
        throw new OrchError('CONFIG_INVALID', `track ${track}: unknown stage ${s}`);
    }
    if (new Set(stages).size !== stages.length) {
      throw new OrchError('CONFIG_INVALID', `track ${track} repeats a stage`);
    }
  }
  return p;
}
