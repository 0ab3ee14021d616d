import { describe, expect, it } from 'vitest';
import {
  checkAnalysisComplete,
  checkArchitectureDone,
  checkDeployStatus,
  checkReviewerVerdict,
  checkStagingStatus,
  checkTestsPassed,
} from '../../src/gates/artifact-gates.js';
import type { Gate } from '../../src/gates/gate.js';
import { GateRegistry } from '../../src/gates/registry.js';
import type { Forge } from '../../src/integrations/forge/forge.js';
import { scratchWorkItem } from '../helpers/work-item.js';

// Artifact gates never touch the forge.
const noForge = {} as Forge;

const verdictGates: [string, Gate, string, string, string, string][] = [
  [
    'check_reviewer_verdict',
    checkReviewerVerdict,
    '12-review.md',
    'verdict',
    'APPROVED',
    'REQUEST_CHANGES',
  ],
  ['check_tests_passed', checkTestsPassed, '13-test-report.md', 'result', 'PASS', 'FAIL'],
  [
    'check_staging_status',
    checkStagingStatus,
    '15-staging-log.md',
    'staging_status',
    'SUCCESS',
    'FAILED',
  ],
  [
    'check_deploy_status',
    checkDeployStatus,
    '14-deploy-log.md',
    'deploy_status',
    'SUCCESS',
    'FAILED',
  ],
];

describe.each(verdictGates)('%s', (name, gate, file, field, good, bad) => {
  it('passes on the positive verdict in the frontmatter', async () => {
    const w = scratchWorkItem();
    w.write(file, `---\ntype: x\n${field}: ${good}\n---\n# body says ${bad}\n`);
    expect(await gate(w.ctx(noForge))).toMatchObject({
      gate: name,
      passed: true,
      reason: `${field}: ${good}`,
    });
  });

  it('fails on the negative verdict, with the token in the reason', async () => {
    const w = scratchWorkItem();
    w.write(file, `---\n${field}: ${bad}\n---\n# body says ${good}\n`);
    const r = await gate(w.ctx(noForge));
    expect(r).toMatchObject({ passed: false });
    expect(r.reason).toContain(bad);
  });

  it('lets a negative token win over a positive one', async () => {
    const w = scratchWorkItem();
    w.write(file, `---\n${field}: "${good} but ${bad}"\n---\n`);
    expect((await gate(w.ctx(noForge))).passed).toBe(false);
  });

  it('fails when the file is missing', async () => {
    const w = scratchWorkItem();
    expect(await gate(w.ctx(noForge))).toMatchObject({
      passed: false,
      reason: `${file} not found`,
    });
  });

  it('fails when the verdict is only in the prose, not the frontmatter', async () => {
    const w = scratchWorkItem();
    w.write(file, `# Report\n${field}: ${good}\n`);
    const r = await gate(w.ctx(noForge));
    expect(r.passed).toBe(false);
    expect(r.reason).toMatch(/no YAML frontmatter/);
  });

  it('fails on broken frontmatter', async () => {
    const w = scratchWorkItem();
    w.write(file, `---\n${field}: [${good}\n---\n`);
    const r = await gate(w.ctx(noForge));
    expect(r.passed).toBe(false);
    expect(r.reason).toMatch(/not valid YAML/);
  });
});

describe('check_analysis_complete', () => {
  const plan = 'work_item: ET-001\ntests:\n  - id: TC-01\n    type: unit\n    expected: PASS\n';

  it('passes with all four analyst artifacts and a test plan with tests', async () => {
    const w = scratchWorkItem();
    for (const f of ['01-brd.md', '02-trz.md', '03-acceptance-criteria.md']) w.write(f, '# x\n');
    w.write('04-test-plan.yaml', plan);
    expect(await checkAnalysisComplete(w.ctx(noForge))).toMatchObject({ passed: true });
  });

  it('names the missing artifacts', async () => {
    const w = scratchWorkItem();
    w.write('01-brd.md', '# x\n');
    const r = await checkAnalysisComplete(w.ctx(noForge));
    expect(r).toMatchObject({
      passed: false,
      reason: 'missing: 02-trz.md, 03-acceptance-criteria.md, 04-test-plan.yaml',
    });
  });

  it('fails on a broken or empty test plan', async () => {
    const w = scratchWorkItem();
    for (const f of ['01-brd.md', '02-trz.md', '03-acceptance-criteria.md']) w.write(f, '# x\n');
    w.write('04-test-plan.yaml', 'tests: [unclosed\n');
    expect((await checkAnalysisComplete(w.ctx(noForge))).reason).toMatch(/not valid YAML/);
    w.write('04-test-plan.yaml', 'tests: []\n');
    expect((await checkAnalysisComplete(w.ctx(noForge))).reason).toMatch(/no tests/);
  });
});

describe('check_architecture_done', () => {
  it('passes with an ADR and fails without one', async () => {
    const w = scratchWorkItem();
    expect(await checkArchitectureDone(w.ctx(noForge))).toMatchObject({
      passed: false,
      reason: 'no ADR in 06-adr/',
    });
    w.write('06-adr/ADR-001-storage.md', '# ADR\n');
    expect(await checkArchitectureDone(w.ctx(noForge))).toMatchObject({ passed: true });
  });

  it('fails when the architect reports a conflict, with its text as evidence', async () => {
    const w = scratchWorkItem();
    w.write('06-adr/ADR-001-storage.md', '# ADR\n');
    w.write('10-conflict.md', 'TRZ requires X and Y, which contradict.');
    const r = await checkArchitectureDone(w.ctx(noForge));
    expect(r).toMatchObject({ passed: false, evidence: 'TRZ requires X and Y, which contradict.' });
    expect(r.reason).toContain('10-conflict.md');
  });
});

describe('gate registry', () => {
  it('fails an unknown gate instead of advancing', async () => {
    const w = scratchWorkItem();
    expect(await new GateRegistry().evaluate('check_nothing', w.ctx(noForge))).toEqual({
      gate: 'check_nothing',
      passed: false,
      reason: 'Unknown gate: check_nothing',
    });
  });

  it('turns a throwing gate into a failed result', async () => {
    const w = scratchWorkItem();
    const reg = new GateRegistry({ boom: () => Promise.reject(new Error('disk on fire')) });
    expect(await reg.evaluate('boom', w.ctx(noForge))).toMatchObject({
      passed: false,
      reason: 'gate error: disk on fire',
    });
  });
});
