import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { planSimRun, type SimInput } from './sim-artifacts.js';

function plan(role: string, over: Partial<SimInput> = {}, files: Record<string, string> = {}) {
  return planSimRun({
    role,
    stage: undefined,
    workItemId: 'ET-1',
    attempt: 1,
    scenario: undefined,
    prompt: 'Add login',
    read: (p) => files[p] ?? null,
    ...over,
  });
}

function front(content: string): Record<string, unknown> {
  const m = /^---\n([\s\S]*?)\n---/.exec(content);
  return parseYaml(m![1]!) as Record<string, unknown>;
}

const dir = 'docs/work-items/ET-1';

describe('planSimRun', () => {
  it('analyst writes BRD, TRZ, acceptance criteria and a test plan', () => {
    const p = plan('analyst');
    expect(p.end).toBe('success');
    expect(p.files.map((f) => f.path)).toEqual([
      `${dir}/01-brd.md`,
      `${dir}/02-trz.md`,
      `${dir}/03-acceptance-criteria.md`,
      `${dir}/04-test-plan.yaml`,
    ]);
    expect(parseYaml(p.files[3]!.content)).toMatchObject({
      work_item: 'ET-1',
      tests: [{ id: 'TC-01', expected: 'PASS' }],
    });
  });

  it('analyst asks questions once with questions_once', () => {
    expect(plan('analyst', { scenario: 'questions_once' }).files.map((f) => f.path)).toEqual([
      `${dir}/01-questions.md`,
    ]);
    const answered = plan(
      'analyst',
      { scenario: 'questions_once' },
      { [`${dir}/01-questions.md`]: 'q' },
    );
    expect(answered.files).toHaveLength(4);
  });

  it('architect writes an ADR, or a conflict', () => {
    expect(plan('architect').files[0]!.path).toBe(`${dir}/06-adr/ADR-001-et-1-design.md`);
    expect(plan('architect', { scenario: 'conflict' }).files[0]!.path).toBe(
      `${dir}/10-conflict.md`,
    );
  });

  it('developer writes code and a test, broken on request', () => {
    const ok = plan('developer');
    expect(ok.files.map((f) => f.path)).toEqual([
      'src/orch-sim/et-1.js',
      'test/orch-sim/et-1.test.js',
    ]);
    expect(ok.files[1]!.content).toContain("assert.equal(feature(), 'ET-1')");
    expect(plan('developer', { scenario: 'break_tests' }).files[1]!.content).toContain(
      'ET-1-broken',
    );
  });

  it('reviewer requests changes once, then approves with a higher version', () => {
    const first = plan('reviewer', { scenario: 'request_changes_once' }).files[0]!;
    expect(front(first.content)).toEqual({
      type: 'review',
      work_item_id: 'ET-1',
      verdict: 'REQUEST_CHANGES',
      version: 1,
    });
    const second = plan(
      'reviewer',
      { scenario: 'request_changes_once' },
      { [first.path]: first.content },
    ).files[0]!;
    expect(front(second.content)).toMatchObject({ verdict: 'APPROVED', version: 2 });
    expect(front(plan('reviewer').files[0]!.content)).toMatchObject({
      verdict: 'APPROVED',
      version: 1,
    });
  });

  it('tester passes, or fails always / once', () => {
    expect(front(plan('tester').files[0]!.content)).toMatchObject({
      type: 'test-report',
      result: 'PASS',
    });
    expect(front(plan('tester', { scenario: 'fail_always' }).files[0]!.content)).toMatchObject({
      result: 'FAIL',
    });
    const first = plan('tester', { scenario: 'fail_once' }).files[0]!;
    expect(front(first.content).result).toBe('FAIL');
    expect(
      front(
        plan('tester', { scenario: 'fail_once' }, { [first.path]: first.content }).files[0]!
          .content,
      ).result,
    ).toBe('PASS');
  });

  it('deployer writes the staging log in deploy-staging and the deploy log in deploy', () => {
    const staging = plan('deployer', { stage: 'deploy-staging' }).files[0]!;
    expect(staging.path).toBe(`${dir}/15-staging-log.md`);
    expect(front(staging.content)).toMatchObject({ staging_status: 'SUCCESS' });
    const prod = plan('deployer', { stage: 'deploy' }).files[0]!;
    expect(prod.path).toBe(`${dir}/14-deploy-log.md`);
    expect(front(prod.content)).toMatchObject({ deploy_status: 'SUCCESS' });
    expect(
      front(plan('deployer', { stage: 'deploy', scenario: 'deploy_fail' }).files[0]!.content)
        .deploy_status,
    ).toBe('FAILED');
  });

  it('crashes, rate-limits or hangs on request; crash_once only on the first attempt', () => {
    expect(plan('developer', { scenario: 'crash' }).end).toBe('crash');
    expect(plan('developer', { scenario: 'crash_once', attempt: 2 }).end).toBe('success');
    expect(plan('developer', { scenario: 'rate_limit' }).end).toBe('rate_limit');
    expect(plan('developer', { scenario: 'hang' }).end).toBe('hang');
  });

  it('is deterministic', () => {
    expect(plan('analyst')).toEqual(plan('analyst'));
  });
});
