import { stringify as stringifyYaml } from 'yaml';

/**
 * What the scripted demo agent writes for each role (DESIGN.md pipeline table, spec §5). Pure:
 * given the role, stage, scenario and a reader of existing files, returns the files to write and
 * how the process should end. Deterministic: the same inputs give the same bytes.
 *
 * Scenarios (per role, from the task file's `scenario` map or ORCH_SIM_SCENARIO):
 * analyst `questions` | `questions_once`; architect `conflict` | `conflict_once`;
 * developer `break_tests`; reviewer `request_changes_once` | `request_changes_always`;
 * tester `fail_once` | `fail_always`; deployer `staging_fail` | `deploy_fail`;
 * developer `leak_secret` (also commits a config file holding a token-shaped string);
 * any role `crash` | `crash_once` (exit 3, no result), `crash_mid` (writes its files, then dies by
 * SIGKILL), `is_error` (an error result with exit 0), `rate_limit` (429 result), `hang` (silent
 * forever: the idle watchdog), `slow` (prints progress forever: the wall-clock watchdog).
 */
/** Every behaviour `planSimRun` knows (the list above); any other word is a typo. */
export const SIM_SCENARIOS: readonly string[] = [
  'questions',
  'questions_once',
  'conflict',
  'conflict_once',
  'break_tests',
  'request_changes_once',
  'request_changes_always',
  'fail_once',
  'fail_always',
  'staging_fail',
  'deploy_fail',
  'leak_secret',
  'crash',
  'crash_once',
  'crash_mid',
  'is_error',
  'rate_limit',
  'hang',
  'slow',
];

export interface SimInput {
  role: string;
  stage: string | undefined;
  workItemId: string;
  attempt: number;
  scenario: string | undefined;
  prompt: string;
  /** Reads a file relative to the worktree; null when absent. */
  read: (relPath: string) => string | null;
}

export type SimEnd = 'success' | 'crash' | 'sigkill' | 'is_error' | 'rate_limit' | 'hang' | 'slow';

export interface SimPlan {
  files: { path: string; content: string }[];
  end: SimEnd;
  summary: string;
}

function doc(front: Record<string, unknown>, body: string): string {
  return `---\n${stringifyYaml(front)}---\n\n${body.trim()}\n`;
}

function slug(id: string): string {
  return id.toLowerCase().replace(/[^a-z0-9]+/g, '-');
}

function frontVersion(text: string | null): number {
  const m = text === null ? null : /^version:\s*(\d+)\s*$/m.exec(text);
  return m ? Number(m[1]) : 0;
}

export function planSimRun(input: SimInput): SimPlan {
  const s = input.scenario;
  if (s === 'crash' || (s === 'crash_once' && input.attempt <= 1))
    return { files: [], end: 'crash', summary: 'crash' };
  if (s === 'rate_limit') return { files: [], end: 'rate_limit', summary: 'rate limited' };
  if (s === 'hang') return { files: [], end: 'hang', summary: 'hang' };
  if (s === 'slow') return { files: [], end: 'slow', summary: 'working slowly' };
  if (s === 'is_error')
    return {
      files: [],
      end: 'is_error',
      summary: 'Error: the tool call failed: permission denied',
    };
  const dir = `docs/work-items/${input.workItemId}`;
  const files = roleFiles(input, dir);
  if (s === 'crash_mid') return { files, end: 'sigkill', summary: 'crashed mid-run' };
  if (s === 'leak_secret' && input.role === 'developer') files.push(leakedSecret(input));
  return {
    files,
    end: 'success',
    summary: `${input.role}: wrote ${files.map((f) => f.path).join(', ')}`,
  };
}

/** A config file with a token-shaped string the secret scan must catch (not a real token). */
function leakedSecret(input: SimInput) {
  const token = `ghp_${'0123456789abcdefghijklmnopqrstuvwxyz'.slice(0, 36)}`;
  return { path: `config/${slug(input.workItemId)}.env`, content: `GITHUB_TOKEN=${token}\n` };
}

function roleFiles(input: SimInput, dir: string): { path: string; content: string }[] {
  const id = input.workItemId;
  switch (input.role) {
    case 'analyst':
      return analystFiles(input, dir);
    case 'architect':
      return architectFiles(input, dir);
    case 'developer':
      return developerFiles(input);
    case 'reviewer':
      return [reviewFile(input, dir)];
    case 'tester': {
      const prior = input.read(`${dir}/13-test-report.md`);
      const fail =
        input.scenario === 'fail_always' || (input.scenario === 'fail_once' && prior === null);
      const result = fail ? 'FAIL' : 'PASS';
      return [
        {
          path: `${dir}/13-test-report.md`,
          content: doc(
            { type: 'test-report', work_item_id: id, result, version: frontVersion(prior) + 1 },
            `# Test report ${id}\n\nAll acceptance criteria checked: ${result}.`,
          ),
        },
      ];
    }
    case 'deployer':
      return deployerFiles(input, dir);
    default:
      return [
        {
          path: `${dir}/${input.role}-output.md`,
          content: doc(
            { type: 'agent-output', work_item_id: id, role: input.role },
            `# ${input.role}\n\nDone.`,
          ),
        },
      ];
  }
}

function analystFiles(input: SimInput, dir: string) {
  const id = input.workItemId;
  const asked = input.read(`${dir}/01-questions.md`) !== null;
  if (input.scenario === 'questions' || (input.scenario === 'questions_once' && !asked)) {
    return [
      {
        path: `${dir}/01-questions.md`,
        content: doc(
          { type: 'questions', work_item_id: id },
          `# Questions ${id}\n\n1. Which users does this affect?`,
        ),
      },
    ];
  }
  const testPlan = stringifyYaml({
    work_item: id,
    title: `Test plan for ${id}`,
    tests: [
      {
        id: 'TC-01',
        type: 'unit',
        description: 'feature works',
        module: `src/orch-sim/${slug(id)}.js`,
        expected: 'PASS',
      },
    ],
    regression: [{ command: 'node --test', expected: 'PASS', note: 'whole suite' }],
  });
  return [
    {
      path: `${dir}/01-brd.md`,
      content: doc({ type: 'brd', work_item_id: id }, `# BRD ${id}\n\n${input.prompt || 'TBD'}`),
    },
    {
      path: `${dir}/02-trz.md`,
      content: doc(
        { type: 'trz', work_item_id: id },
        `# Technical spec ${id}\n\nImplement the request in src/orch-sim/.`,
      ),
    },
    {
      path: `${dir}/03-acceptance-criteria.md`,
      content: doc(
        { type: 'acceptance-criteria', work_item_id: id },
        `# Acceptance criteria ${id}\n\n- AC-1: the feature function returns its work item id. PASS if the unit test passes.`,
      ),
    },
    { path: `${dir}/04-test-plan.yaml`, content: testPlan },
  ];
}

function architectFiles(input: SimInput, dir: string) {
  const id = input.workItemId;
  const conflicted = input.read(`${dir}/10-conflict.md`) !== null;
  if (input.scenario === 'conflict' || (input.scenario === 'conflict_once' && !conflicted)) {
    return [
      {
        path: `${dir}/10-conflict.md`,
        content: doc(
          { type: 'conflict', work_item_id: id },
          `# Conflict ${id}\n\nThe TRZ contradicts the existing architecture.`,
        ),
      },
    ];
  }
  return [
    {
      path: `${dir}/06-adr/ADR-001-${slug(id)}-design.md`,
      content: doc(
        { type: 'adr', work_item_id: id, status: 'accepted' },
        `# ADR-001 Design for ${id}\n\n## Context\nSimulated.\n\n## Decision\nOne module per feature.\n\n## Alternatives\nNone.\n\n## Consequences\nSmall change.`,
      ),
    },
  ];
}

function developerFiles(input: SimInput) {
  const id = input.workItemId;
  const name = slug(id);
  const expected = input.scenario === 'break_tests' ? `${id}-broken` : id;
  return [
    {
      path: `src/orch-sim/${name}.js`,
      content: `// ${id}: simulated feature written by the scripted developer agent.\nexport function feature() {\n  return '${id}';\n}\n`,
    },
    {
      path: `test/orch-sim/${name}.test.js`,
      content: `import { test } from 'node:test';\nimport assert from 'node:assert/strict';\nimport { feature } from '../../src/orch-sim/${name}.js';\n\ntest('${id} feature returns its id', () => {\n  assert.equal(feature(), '${expected}');\n});\n`,
    },
  ];
}

function reviewFile(input: SimInput, dir: string) {
  const id = input.workItemId;
  const prior = input.read(`${dir}/12-review.md`);
  const version = frontVersion(prior) + 1;
  const changes =
    input.scenario === 'request_changes_always' ||
    (input.scenario === 'request_changes_once' && version === 1);
  const verdict = changes ? 'REQUEST_CHANGES' : 'APPROVED';
  const findings = changes ? '- P1: add input validation to the feature function.' : '- none';
  return {
    path: `${dir}/12-review.md`,
    content: doc(
      { type: 'review', work_item_id: id, verdict, version },
      `# Review ${id}\n\n## Summary\nVerdict ${verdict}.\n\n## Findings\n${findings}\n\n## Documentation\nOK.`,
    ),
  };
}

function deployerFiles(input: SimInput, dir: string) {
  const id = input.workItemId;
  if (input.stage === 'deploy') {
    const status = input.scenario === 'deploy_fail' ? 'FAILED' : 'SUCCESS';
    return [
      {
        path: `${dir}/14-deploy-log.md`,
        content: doc(
          { work_item: id, deploy_status: status, deployed_by: 'sim-agent' },
          `# Deploy log ${id}\n\nDeploy ${status}.`,
        ),
      },
    ];
  }
  const status = input.scenario === 'staging_fail' ? 'FAILED' : 'SUCCESS';
  return [
    {
      path: `${dir}/15-staging-log.md`,
      content: doc(
        { work_item: id, staging_status: status, base_url: 'http://localhost:8501' },
        `# Staging log ${id}\n\nStaging ${status}.`,
      ),
    },
  ];
}
