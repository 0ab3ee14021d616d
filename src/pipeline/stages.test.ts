import { describe, expect, it } from 'vitest';
import {
  agentFor,
  DEFAULT_PIPELINE as P,
  gateFor,
  isTerminal,
  next,
  previous,
  validatePipeline,
} from './stages.js';

describe('stage machine', () => {
  it('walks the nine default stages in order on the full track', () => {
    const walk: string[] = ['created'];
    for (let s: string | null = 'created'; (s = next(P, 'full', s));) walk.push(s);
    expect(walk).toEqual([
      'created',
      'analysis',
      'architecture',
      'development',
      'review',
      'testing',
      'deploy-staging',
      'deploy',
      'done',
    ]);
    expect(isTerminal(P, 'full', 'done')).toBe(true);
  });

  it('launches the agent of the stage being left: analysis → architecture launches the architect', () => {
    expect(agentFor(P, 'full', 'created')).toBe('analyst');
    expect(agentFor(P, 'full', 'analysis')).toBe('architect');
    expect(agentFor(P, 'full', 'architecture')).toBe('developer');
    expect(agentFor(P, 'full', 'development')).toBe('reviewer');
    expect(agentFor(P, 'full', 'review')).toBe('tester');
    expect(agentFor(P, 'full', 'testing')).toBe('deployer');
    expect(agentFor(P, 'full', 'deploy-staging')).toBe('deployer');
    expect(agentFor(P, 'full', 'deploy')).toBeNull();
    expect(agentFor(P, 'full', 'done')).toBeNull();
  });

  it('skips architecture on the bug track and launches the developer after analysis', () => {
    expect(next(P, 'bug', 'analysis')).toBe('development');
    expect(agentFor(P, 'bug', 'analysis')).toBe('developer');
    expect(previous(P, 'bug', 'development')).toBe('analysis');
    expect(() => next(P, 'bug', 'architecture')).toThrow(/not on track/);
  });

  it('knows each stage’s exit gate and previous stage', () => {
    expect(gateFor(P, 'analysis')).toBe('analysis_approval');
    expect(gateFor(P, 'review')).toBe('check_reviewer_verdict');
    expect(gateFor(P, 'done')).toBeNull();
    expect(previous(P, 'full', 'review')).toBe('development');
    expect(previous(P, 'full', 'created')).toBeNull();
  });

  it('rejects a pipeline whose track names an unknown stage', () => {
    expect(() =>
      validatePipeline({ stages: P.stages, tracks: { full: ['created', 'nope'] } }),
    ).toThrow(/unknown stage/);
    expect(() => validatePipeline({ stages: P.stages, tracks: { bug: ['created'] } })).toThrow(
      /full/,
    );
  });
});

describe('per-project pipeline overrides', () => {
  it('replaces a stage’s gate and a track, keeping the rest of the default machine', async () => {
    const { pipelineFor } = await import('./build-projects.js');
    const p = pipelineFor('ET', {
      stages: [{ name: 'development', worker: 'developer', gate: 'check_ci_green' }],
      tracks: { hotfix: ['created', 'analysis', 'development', 'deploy', 'done'] },
    });
    expect(gateFor(p, 'development')).toBe('check_ci_green');
    expect(gateFor(p, 'review')).toBe('check_reviewer_verdict');
    expect(next(p, 'hotfix', 'development')).toBe('deploy');
    expect(agentFor(p, 'hotfix', 'development')).toBe('deployer');
    expect(next(p, 'full', 'development')).toBe('review');
  });

  it('rejects an override whose track names an unknown stage, naming the project', async () => {
    const { pipelineFor } = await import('./build-projects.js');
    expect(() => pipelineFor('ET', { tracks: { fast: ['created', 'nowhere'] } })).toThrow(
      /project ET: .*unknown stage/,
    );
  });

  it('refuses at startup a stage machine that names an unknown gate', async () => {
    const { assertGatesKnown, pipelineFor } = await import('./build-projects.js');
    const pipeline = pipelineFor('ET', {
      stages: [{ name: 'review', worker: 'reviewer', gate: 'check_vibes' }],
    });
    const project = { key: 'ET', pipeline } as Parameters<typeof assertGatesKnown>[0][number];
    expect(() => assertGatesKnown([project], (g) => g !== 'check_vibes')).toThrow(
      /unknown gate "check_vibes"/,
    );
  });
});
