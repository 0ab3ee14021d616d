import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { adapterFor } from '../../src/agents/adapters/adapter-for.js';
import { agentsSectionSchema } from '../../src/agents/agents-config.js';
import { AgentProcess } from '../../src/agents/process-runner.js';
import { outcomeOf } from '../../src/agents/run-outcome.js';
import { taskFilePath, writeTaskFile } from '../../src/agents/task-file.js';
import { childBaseEnv } from '../../src/config/child-env.js';
import {
  checkAnalysisComplete,
  checkArchitectureDone,
  checkDeployStatus,
  checkReviewerVerdict,
  checkStagingStatus,
  checkTestsPassed,
} from '../../src/gates/artifact-gates.js';
import { checkTestsLocal } from '../../src/gates/forge-gates.js';
import { parseFrontmatter } from '../../src/gates/frontmatter.js';
import type { Gate, GateContext } from '../../src/gates/gate.js';
import type { Forge } from '../../src/integrations/forge/forge.js';
import { ruleFor, type RollbackRule } from '../../src/pipeline/rollbacks.js';
import { classifyRun } from '../../src/queue/classifier.js';
import { scratchWorkItem } from '../helpers/work-item.js';

/**
 * docs/agents.md, docs/schemas/ and examples/command-agent.sh against the real gate code: the
 * doc's examples pass the gates and their schemas, every schema value means to the gate what the
 * schema says, and the example agent passes every stage's gate when run as the command adapter
 * runs it.
 */
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const DOC = readFileSync(join(ROOT, 'docs/agents.md'), 'utf8');
const SCHEMA_DIR = join(ROOT, 'docs/schemas');
const SCRIPT = join(ROOT, 'examples/command-agent.sh');
const noForge = {} as Forge; // artifact gates never touch the forge

interface DocExample {
  name: string;
  alt: boolean;
  body: string;
}

/** Every `<!-- example: NAME -->` (or `example-alt`) followed by a fenced block in the doc. */
function docExamples(): DocExample[] {
  const re = /<!-- (example|example-alt): (\S+) -->\n```[a-z]*\n([\s\S]*?)\n```/g;
  return [...DOC.matchAll(re)].map((m) => ({
    name: m[2]!,
    alt: m[1] === 'example-alt',
    body: `${m[3]!}\n`,
  }));
}

function example(name: string): string {
  const found = docExamples().find((e) => e.name === name);
  if (!found) throw new Error(`docs/agents.md has no example "${name}"`);
  return found.body;
}

interface JsonSchema {
  $schema: string;
  required: string[];
  properties: Record<string, { oneOf?: { title: string; enum: string[] }[] }>;
}

function loadSchema(name: string): { json: JsonSchema; validator: z.ZodType } {
  const json = JSON.parse(
    readFileSync(join(SCHEMA_DIR, `${name}.schema.json`), 'utf8'),
  ) as JsonSchema;
  return { json, validator: z.fromJSONSchema(json as z.core.JSONSchema.JSONSchema) };
}

/** The verdict files and what docs/agents.md says a red verdict leads to (its tables). */
const VERDICT_FILES: {
  schema: string;
  file: string;
  gate: Gate;
  stage: string;
  onFail: RollbackRule['kind'];
  onUnusable: RollbackRule['kind'];
}[] = [
  {
    schema: 'review',
    file: '12-review.md',
    gate: checkReviewerVerdict,
    stage: 'review',
    onFail: 'to_development',
    onUnusable: 'block',
  },
  {
    schema: 'test-report',
    file: '13-test-report.md',
    gate: checkTestsPassed,
    stage: 'testing',
    onFail: 'to_development',
    onUnusable: 'to_development',
  },
  {
    schema: 'staging-log',
    file: '15-staging-log.md',
    gate: checkStagingStatus,
    stage: 'deploy-staging',
    onFail: 'to_development',
    onUnusable: 'to_development',
  },
  {
    schema: 'deploy-log',
    file: '14-deploy-log.md',
    gate: checkDeployStatus,
    stage: 'deploy',
    onFail: 'block',
    onUnusable: 'block',
  },
];

/** The verdict field: the schema's one required property, with its pass and fail values. */
function verdictField(json: JsonSchema) {
  expect(json.required).toHaveLength(1);
  const field = json.required[0]!;
  const branches = json.properties[field]?.oneOf ?? [];
  const values = (title: string) => branches.find((b) => b.title === title)?.enum ?? [];
  return { field, pass: values('pass'), fail: values('fail') };
}

describe('the JSON Schemas in docs/schemas', () => {
  it('are draft 2020-12, one per verdict file and one for the test plan', () => {
    const files = readdirSync(SCHEMA_DIR).filter((f) => f.endsWith('.schema.json'));
    const covered = [...VERDICT_FILES.map((v) => v.schema), 'test-plan'];
    expect(files).toEqual(expect.arrayContaining(covered.map((s) => `${s}.schema.json`)));
    for (const s of covered) {
      expect(loadSchema(s).json.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    }
  });

  describe.each(VERDICT_FILES)('$schema.schema.json', (v) => {
    const { json, validator } = loadSchema(v.schema);
    const { field, pass, fail } = verdictField(json);
    const run = async (frontmatter: string) => {
      const w = scratchWorkItem();
      w.write(v.file, `---\n${frontmatter}---\n# body\n`);
      return v.gate(w.ctx(noForge));
    };

    it('lists values that pass and values that fail', () => {
      expect(pass.length).toBeGreaterThan(0);
      expect(fail.length).toBeGreaterThan(0);
    });

    it('has every "pass" value pass the gate', async () => {
      for (const value of pass) {
        expect(validator.safeParse({ [field]: value }).success).toBe(true);
        expect(await run(`${field}: ${value}\n`)).toMatchObject({ passed: true });
      }
    });

    it('has every "fail" value fail the gate as a verdict, with the documented consequence', async () => {
      for (const value of fail) {
        expect(validator.safeParse({ [field]: value }).success).toBe(true);
        const r = await run(`${field}: ${value}\n`);
        expect(r).toMatchObject({ passed: false, reason: `${field}: ${value}` });
        expect(ruleFor(v.stage, r).kind).toBe(v.onFail);
      }
    });

    it('refuses a value outside the schema, as the gate does', async () => {
      expect(validator.safeParse({ [field]: 'MAYBE' }).success).toBe(false);
      const r = await run(`${field}: MAYBE\n`);
      expect(r).toMatchObject({ passed: false, reason: `${v.file}: unrecognized ${field}: MAYBE` });
      expect(ruleFor(v.stage, r).kind).toBe(v.onUnusable);
    });

    it('refuses frontmatter without the field, as the gate does', async () => {
      expect(validator.safeParse({ other: 'APPROVED' }).success).toBe(false);
      expect(await run(`other: ${pass[0]}\n`)).toMatchObject({ passed: false });
    });
  });

  it('test-plan.schema.json refuses an empty tests list, as check_analysis_complete does', async () => {
    const { validator } = loadSchema('test-plan');
    for (const plan of ['tests: []\n', 'plan: [a]\n']) {
      expect(validator.safeParse(parseYaml(plan)).success).toBe(false);
      const w = scratchWorkItem();
      for (const f of ['01-brd.md', '02-trz.md', '03-acceptance-criteria.md'])
        w.write(f, example(f));
      w.write('04-test-plan.yaml', plan);
      expect(await checkAnalysisComplete(w.ctx(noForge))).toMatchObject({ passed: false });
    }
  });
});

describe('the examples in docs/agents.md', () => {
  const files = () => docExamples().filter((e) => !e.alt && /\.(md|yaml)$/.test(e.name));
  const stageGates: [string, Gate][] = [
    ['check_analysis_complete', checkAnalysisComplete],
    ['check_architecture_done', checkArchitectureDone],
    ...VERDICT_FILES.map((v): [string, Gate] => [v.file, v.gate]),
  ];

  it('cover every file a stage gate reads', () => {
    const names = files().map((e) => e.name);
    expect(names).toEqual(
      expect.arrayContaining([
        '01-brd.md',
        '02-trz.md',
        '03-acceptance-criteria.md',
        '04-test-plan.yaml',
        ...VERDICT_FILES.map((v) => v.file),
      ]),
    );
    expect(names.some((n) => /^06-adr\/[^/]+\.md$/.test(n))).toBe(true);
  });

  it('pass every stage gate when written into a work item', async () => {
    const w = scratchWorkItem('ORCH-1');
    for (const e of files()) w.write(e.name, e.body);
    for (const [name, gate] of stageGates) {
      expect(await gate(w.ctx(noForge)), name).toMatchObject({ passed: true });
    }
  });

  it('are valid against their schemas', () => {
    const plan = loadSchema('test-plan').validator.safeParse(
      parseYaml(example('04-test-plan.yaml')),
    );
    expect(plan.success).toBe(true);
    for (const v of VERDICT_FILES) {
      const fm = parseFrontmatter(example(v.file));
      expect(fm.kind, v.file).toBe('ok');
      if (fm.kind === 'ok')
        expect(loadSchema(v.schema).validator.safeParse(fm.data).success).toBe(true);
    }
  });

  it('send the item back to analysis with 10-conflict.md, and have non-blank questions', async () => {
    const w = scratchWorkItem('ORCH-1');
    for (const e of files()) w.write(e.name, e.body);
    w.write('10-conflict.md', example('10-conflict.md'));
    const r = await checkArchitectureDone(w.ctx(noForge));
    expect(r.passed).toBe(false);
    expect(ruleFor('architecture', r).kind).toBe('to_analysis');
    expect(example('01-questions.md').trim()).not.toBe('');
  });

  it('show a result line that the command adapter reads as a success with its cost', () => {
    const line = example('result-line').trim();
    const parser = adapterFor('command').createParser();
    parser.line(line);
    const parsed = parser.snapshot();
    const reported = JSON.parse(line) as {
      total_cost_usd: number;
      usage: { output_tokens: number };
    };
    expect(parsed.costUsd).toBe(reported.total_cost_usd);
    expect(parsed.outputTokens).toBe(reported.usage.output_tokens);
    const outcome = classifyRun({
      parsed,
      exitCode: 0,
      killReason: null,
      requiresResult: adapterFor('command').requiresResult,
      logTail: line,
      nowMs: 0,
      defaultQuotaPauseMs: 1000,
    });
    expect(outcome).toEqual({ kind: 'success' });
  });
});

/** The documented orch.config.yaml, with the example script's real path. */
function documentedCommand(): readonly string[] {
  const section = agentsSectionSchema.parse(
    (parseYaml(example('orch.config.yaml')) as { agents: unknown }).agents,
  );
  expect(section.defaults.adapter).toBe('command');
  const argv = section.defaults.command ?? [];
  expect(argv[0]).toMatch(/\/examples\/command-agent\.sh$/);
  return [SCRIPT, ...argv.slice(1)];
}

/** Runs the example agent for one job as the runner does: task file, adapter argv, worktree cwd. */
async function runExampleAgent(worktree: string, job: { role: string; stage: string; id: number }) {
  const taskFile = taskFilePath(worktree, job.id, job.id);
  const header = { jobId: job.id, runId: job.id, attempt: 1, role: job.role, repo: 'shop' };
  writeTaskFile(
    taskFile,
    { ...header, branch: 'feature/ORCH-1', taskId: 1, workItemId: 'ORCH-1', stage: job.stage },
    `Do the ${job.role} work.`,
  );
  const adapter = adapterFor('command');
  const argv = adapter.buildArgv({
    role: job.role,
    jobId: job.id,
    runId: job.id,
    worktree,
    taskFile,
    prompt: `Your task is in ${taskFile}`,
    command: documentedCommand(),
    model: undefined,
    permissionMode: undefined,
    allowedTools: [],
    extraArgs: [],
    cliMaxRetries: 1,
    provider: undefined,
  });
  expect(argv).toEqual([SCRIPT, job.role, taskFile]);
  const limits = { wallMs: 30_000, idleMs: 30_000, exitGraceMs: 5_000, killGraceMs: 1_000 };
  const proc = new AgentProcess({
    argv,
    cwd: worktree,
    env: { ...childBaseEnv(), ORCH_ROLE: job.role, ORCH_TASK_FILE: taskFile },
    logPath: join(mkdtempSync(join(tmpdir(), 'orch-run-')), 'run.log'),
    parser: adapter.createParser(),
    limits,
    pollMs: 20,
  });
  const result = await proc.done;
  const outcome = outcomeOf(
    { ...result, leaseLost: false },
    { requiresResult: adapter.requiresResult, nowMs: 0, defaultQuotaPauseMs: 1000, limits },
  );
  return { outcome, parsed: result.parsed, log: result.logTail };
}

describe('examples/command-agent.sh, run as the command adapter runs it', () => {
  const jobs: { role: string; stage: string; gate: Gate }[] = [
    { role: 'analyst', stage: 'analysis', gate: checkAnalysisComplete },
    { role: 'architect', stage: 'architecture', gate: checkArchitectureDone },
    { role: 'developer', stage: 'development', gate: checkTestsLocal },
    { role: 'reviewer', stage: 'review', gate: checkReviewerVerdict },
    { role: 'tester', stage: 'testing', gate: checkTestsPassed },
    { role: 'deployer', stage: 'deploy-staging', gate: checkStagingStatus },
    { role: 'deployer', stage: 'deploy', gate: checkDeployStatus },
  ];

  it('writes what each stage gate needs and reports a successful run with its cost', async () => {
    const worktree = mkdtempSync(join(tmpdir(), 'orch-cmd-agent-'));
    const git = (...args: string[]) => execFileSync('git', args, { cwd: worktree, stdio: 'pipe' });
    git('init', '--quiet', '--initial-branch=main');
    git(
      '-c',
      'user.name=t',
      '-c',
      'user.email=t@example.test',
      'commit',
      '--quiet',
      '--allow-empty',
      '-m',
      'init',
    );
    const ctx: GateContext = {
      workItemId: 'ORCH-1',
      repo: 'shop',
      branch: 'feature/ORCH-1',
      baseBranch: 'main',
      worktree,
      testCommand: ['git', 'status', '--short'],
      testTimeoutMs: 10_000,
      forge: noForge,
    };
    let id = 1;
    for (const job of jobs) {
      const run = await runExampleAgent(worktree, { ...job, id: id++ });
      expect(run.outcome, `${job.role} in ${job.stage}: ${run.log}`).toEqual({ kind: 'success' });
      expect(run.parsed.costUsd).not.toBeNull();
      expect(await job.gate(ctx), `${job.role} in ${job.stage}`).toMatchObject({ passed: true });
    }
  });

  it('fails the run for a role it has no artifacts for', async () => {
    const worktree = mkdtempSync(join(tmpdir(), 'orch-cmd-agent-'));
    const run = await runExampleAgent(worktree, { role: 'semgrep', stage: 'review', id: 1 });
    expect(run.outcome.kind).toBe('permanent');
  });
});
