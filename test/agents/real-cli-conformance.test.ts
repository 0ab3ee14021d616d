import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestDb, type TestDb } from '../helpers/test-db.js';
import { AnthropicStub, type AnthropicScenario } from '../helpers/stubs/anthropic-stub.js';
import { ResponsesStub, type ResponsesScenario } from '../helpers/stubs/responses-stub.js';
import { makeHarness, type Harness } from './agent-harness.js';
import {
  CLAUDE_BIN,
  CODEX_BIN,
  CODEX_PROVIDER,
  claudeEnv,
  codexEnv,
  haveClaude,
  haveCodex,
  makeCodexHome,
} from './real-cli-env.js';

/**
 * Conformance with the real agent CLIs: each scenario runs the pinned Claude Code / Codex binary
 * through Orch's worker and runner (preflight probe, real worktree, real SQLite store, watchdog)
 * against a loopback model-API stub, and checks what Orch records. The CLIs' own retry budgets
 * stay at Orch's default (1), as in production; watchdog limits are short to keep the suite fast.
 */
// Claude Code 2.1 prints nothing for its first 5-8 s on a loaded 2-core host (start-up, HEAD probe).
const LIMITS = { idleTimeoutS: 20, timeoutS: 120, exitGraceS: 5, killGraceS: 1 };
const CODEX_LIMITS = { ...LIMITS, idleTimeoutS: 6 };
const BRANCH = 'feature/ET-1-demo';

let db: TestDb;
let h: Harness | undefined;
const closers: (() => Promise<void> | void)[] = [];

beforeEach(async () => {
  db = await createTestDb('sqlite');
});
afterEach(async (ctx) => {
  for (const close of closers.splice(0)) await close();
  h?.cleanup();
  h = undefined;
  await db.dispose(ctx.task.result?.state === 'fail');
});

/** Enqueues one developer job (a single attempt unless said), runs one worker tick. */
async function runOnce(harness: Harness, maxAttempts = 1) {
  const { job } = await harness.enqueue('developer', {}, { maxAttempts });
  const tick = await harness.tick();
  const [run] = await harness.runs.listForJob(job.id);
  return { tick, job: (await harness.queue.get(job.id))!, run: run! };
}

describe.skipIf(!haveClaude)('real Claude Code 2.1.197 through the runner', () => {
  async function setup(scenario: AnthropicScenario, profile: Record<string, unknown> = {}) {
    const stub = await new AnthropicStub(scenario).start();
    closers.push(() => stub.close());
    const home = mkdtempSync(join(tmpdir(), 'orch-claude-home-'));
    closers.push(() => rmSync(home, { recursive: true, force: true }));
    h = makeHarness(db.db, {
      agents: {
        defaults: {
          adapter: 'claude-code',
          command: [CLAUDE_BIN],
          env: claudeEnv(stub.url, home),
          ...LIMITS,
          ...profile,
        },
      },
    });
    stub.opts.writePath = join(h.worktrees.worktreePath(h.repo, BRANCH), 'hello.txt');
    return { stub, h };
  }

  it('a tool-using run writes the file and is recorded as success with cost and tokens', async () => {
    const { h } = await setup('write');
    const { job, run } = await runOnce(h);
    expect(run).toMatchObject({ outcome: 'success', exitCode: 0, isError: false, error: null });
    expect(job).toMatchObject({ status: 'done' });
    // Two turns of the stub's usage: (1200 + 200 + 300) input and 42 output tokens each.
    expect(run).toMatchObject({ inputTokens: 3400, outputTokens: 84 });
    expect(run.costUsd).toBeGreaterThan(0);
    expect(job.result).toMatchObject({ costUsd: run.costUsd, inputTokens: 3400 });
    const wt = h.worktrees.worktreePath(h.repo, BRANCH);
    expect(readFileSync(join(wt, 'hello.txt'), 'utf8')).toBe(
      'written by the real Claude Code CLI\n',
    );
  });

  it('a 400 is a permanent failure with the API error as its reason', async () => {
    const { h } = await setup('err400');
    const { job, run } = await runOnce(h);
    expect(run).toMatchObject({ outcome: 'permanent', isError: true, exitCode: 1 });
    expect(run.error).toBe('API error 400: stub: prompt is malformed');
    expect(job).toMatchObject({ status: 'failed' });
  });

  it('a 429 with retry-after 7 is transient and the next attempt waits at least 7 s', async () => {
    const { h, stub } = await setup('err429');
    const { job, run } = await runOnce(h, 3);
    expect(run).toMatchObject({ outcome: 'transient', isError: true });
    expect(run.error).toMatch(/^API error 429: Request rejected \(429\)/);
    // The CLI's one own retry (CLAUDE_CODE_MAX_RETRIES=1) is what reports the server's delay.
    expect(stub.agentRequests()).toHaveLength(2);
    expect(job).toMatchObject({ status: 'queued', transientAttempts: 1, attempts: 0 });
    expect(job.availableAtMs).toBeGreaterThanOrEqual(h.clock.now() + 7_000);
    expect((await h.breakers.get('developer')).consecutiveTransient).toBe(1);
  });

  it.each(['err500', 'err529'] as const)(
    'a %s is transient, backs off and feeds the breaker',
    async (scenario) => {
      const { h } = await setup(scenario);
      const { job, run } = await runOnce(h, 3);
      expect(run).toMatchObject({ outcome: 'transient', isError: true });
      expect(run.error).toMatch(scenario === 'err500' ? /^API error 500: / : /^API error 529: /);
      expect(job).toMatchObject({ status: 'queued', transientAttempts: 1 });
      expect(job.availableAtMs).toBeGreaterThan(h.clock.now());
      expect((await h.breakers.get('developer')).consecutiveTransient).toBe(1);
    },
  );

  it('a model API that never answers is killed by the idle watchdog, never a success', async () => {
    const { h } = await setup('hang');
    const { job, run } = await runOnce(h);
    expect(run).toMatchObject({ outcome: 'timeout', killReason: 'idle_timeout', exitCode: -9 });
    expect(job).toMatchObject({ status: 'failed' });
  });
});

describe.skipIf(!haveCodex)('real Codex 0.171.0 through the runner', () => {
  async function setup(scenario: ResponsesScenario, profile: Record<string, unknown> = {}) {
    const stub = await new ResponsesStub(scenario, { retryAfterS: 1 }).start();
    closers.push(() => stub.close());
    const codexHome = makeCodexHome(stub.url);
    closers.push(codexHome.cleanup);
    h = makeHarness(db.db, {
      agents: {
        defaults: {
          adapter: 'codex',
          command: [CODEX_BIN],
          provider: CODEX_PROVIDER,
          env: codexEnv(codexHome.home),
          ...CODEX_LIMITS,
          ...profile,
        },
      },
    });
    return { stub, h };
  }

  it('with the default profile a tool-using run writes the file and succeeds', async () => {
    const { h } = await setup('write');
    const { job, run } = await runOnce(h);
    expect(run).toMatchObject({ outcome: 'success', exitCode: 0, isError: false });
    expect(run.argv).toEqual(expect.arrayContaining(['--sandbox', 'workspace-write']));
    expect(job).toMatchObject({ status: 'done' });
    // Two responses of 1500 input / 40 output tokens; codex reports no dollar cost.
    expect(run).toMatchObject({ inputTokens: 3000, outputTokens: 80, costUsd: null });
    const wt = h.worktrees.worktreePath(h.repo, BRANCH);
    expect(readFileSync(join(wt, 'hello.txt'), 'utf8')).toBe('written by codex\n');
  });

  it('error notices followed by a completed turn are a success, not a failure', async () => {
    const { h, stub } = await setup('flaky500');
    const { job, run } = await runOnce(h);
    expect(stub.turnRequests().length).toBeGreaterThanOrEqual(3);
    expect(run).toMatchObject({ outcome: 'success', exitCode: 0 });
    expect(job).toMatchObject({ status: 'done' });
  });

  it('a 400 is a permanent failure with a readable reason', async () => {
    const { h } = await setup('err400');
    const { job, run } = await runOnce(h);
    expect(run).toMatchObject({ outcome: 'permanent', isError: true, exitCode: 1 });
    expect(run.error).toContain('stub: invalid request');
    expect(job).toMatchObject({ status: 'failed' });
  });

  it.each(['err429', 'err500'] as const)(
    'a %s is transient, backs off and feeds the breaker',
    async (scenario) => {
      const { h } = await setup(scenario);
      const { job, run } = await runOnce(h, 3);
      expect(run).toMatchObject({ outcome: 'transient', isError: true, exitCode: 1 });
      expect(job).toMatchObject({ status: 'queued', transientAttempts: 1 });
      expect(job.availableAtMs).toBeGreaterThan(h.clock.now());
      expect((await h.breakers.get('developer')).consecutiveTransient).toBe(1);
    },
  );

  it('a model API that never answers is killed by the idle watchdog, never a success', async () => {
    const { h } = await setup('hang');
    const { job, run } = await runOnce(h);
    expect(run).toMatchObject({ outcome: 'timeout', killReason: 'idle_timeout', exitCode: -9 });
    expect(job).toMatchObject({ status: 'failed' });
  });

  it("an argv the CLI rejects fails preflight with the CLI's own error; the job stays queued", async () => {
    const { h } = await setup('write', { extraArgs: ['--full-auto'] });
    const { job } = await h.enqueue('developer');
    const tick = await h.tick();
    expect(tick.claimed).toEqual([]);
    expect(tick.preflightFailed.developer).toMatch(/unexpected argument '--full-auto' found/);
    expect(await h.queue.get(job.id)).toMatchObject({ status: 'queued', attempts: 0 });
  });
});
