import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { hooksSchema } from '../../src/config/workspace-hooks-config.js';
import { parseWorkflowFile, type Workflow } from '../../src/pipeline/workflow-file.js';
import { hooksByRepo } from '../../src/pipeline/workflow-overrides.js';
import { describeEachDialect } from '../helpers/test-db.js';
import { fakeRole, makeHarness, type Harness, type HarnessOptions } from './agent-harness.js';

const FAST = { killGraceS: 0.3, exitGraceS: 0.5, idleTimeoutS: 5, timeoutS: 20 };
const BRANCH = 'feature/ET-1-demo';

/** Alive and not a zombie. */
function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

/** A hook that records its name (and whether the agent has written its file yet) and its env. */
function recorder(out: string): string {
  return [
    `env > "${out}/$ORCH_HOOK.env"`,
    `if [ -e agent-was-here.txt ]; then echo "$ORCH_HOOK:agent" >> "${out}/order"; else echo "$ORCH_HOOK" >> "${out}/order"; fi`,
  ].join('\n');
}

function envOf(file: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const i = line.indexOf('=');
    if (i > 0) out[line.slice(0, i)] = line.slice(i + 1);
  }
  return out;
}

describeEachDialect('workspace hooks around agent runs', ({ current }) => {
  let h: Harness | undefined;
  const setup = (o: HarnessOptions) =>
    (h = makeHarness(current().db, {
      agents: { defaults: FAST, roles: { developer: fakeRole('success') } },
      ...o,
    }));
  afterEach(() => h?.cleanup());

  it('runs after_create once, before_run and after_run around every run, with the allowlisted env', async () => {
    const h0 = setup({});
    const out = h0.dir;
    h0.cleanup();
    const hook = recorder(out);
    const h = setup({
      dir: out,
      hooks: {
        after_create: hook,
        beforeRun: hook,
        after_run: `${hook}\necho hello-from-after-run`,
      },
      parentEnv: {
        ORCH_ADMIN_TOKEN: 'super-secret',
        ORCH_DB_URL: 'postgres://u:pw@h/db',
        ANTHROPIC_API_KEY: 'sk-agent-only',
      },
    });
    const first = await h.enqueue('developer', { stage: 'development' });
    await h.tick();
    expect(await h.queue.get(first.job.id)).toMatchObject({ status: 'done' });
    const read = () => readFileSync(join(out, 'order'), 'utf8').trim().split('\n');
    expect(read()).toEqual(['after_create', 'before_run', 'after_run:agent']);

    const wt = h.worktrees.worktreePath(h.repo, BRANCH);
    for (const name of ['after_create', 'before_run', 'after_run']) {
      const env = envOf(join(out, `${name}.env`));
      expect(env).toMatchObject({
        ORCH_HOOK: name,
        ORCH_WORK_ITEM_ID: 'ET-1',
        ORCH_STAGE: 'development',
        ORCH_ROLE: 'developer',
        ORCH_WORKTREE: wt,
        PWD: wt,
      });
      expect(env.ORCH_ADMIN_TOKEN).toBeUndefined();
      expect(env.ORCH_DB_URL).toBeUndefined();
      expect(env.ANTHROPIC_API_KEY).toBeUndefined();
    }
    const [run] = await h.runs.listForJob(first.job.id);
    expect(readFileSync(run!.logPath, 'utf8')).toMatch(
      /\[orch\] after_run hook: ok in \d+ ms\n[\s\S]*hello-from-after-run/,
    );

    // The worktree is reused: no second after_create.
    const second = await h.enqueue('developer', { stage: 'development' });
    await h.tick();
    expect(await h.queue.get(second.job.id)).toMatchObject({ status: 'done' });
    expect(read()).toEqual([
      'after_create',
      'before_run',
      'after_run:agent',
      'before_run:agent',
      'after_run:agent',
    ]);
  });

  it('fails the job naming after_create when it fails, removes the new worktree, never spawns the agent', async () => {
    const h = setup({ hooks: { afterCreate: 'echo installing; echo boom >&2; exit 3' } });
    const { job } = await h.enqueue('developer', {}, { maxAttempts: 1 });
    await h.tick();
    const failed = await h.queue.get(job.id);
    expect(failed).toMatchObject({ status: 'failed' });
    expect(failed!.error).toContain('WORKSPACE_HOOK_FAILED');
    expect(failed!.error).toContain('after_create hook failed (exit code 3)');
    expect(failed!.error).toContain('boom');
    expect(await h.runs.listForJob(job.id)).toEqual([]);
    expect(existsSync(h.worktrees.worktreePath(h.repo, BRANCH))).toBe(false);
  });

  it('runs after_create again on the retry after it failed', async () => {
    const h0 = setup({});
    const out = h0.dir;
    h0.cleanup();
    // Fails the first time only.
    const script = `if [ -e "${out}/tried" ]; then echo ok; else touch "${out}/tried"; exit 1; fi`;
    const h = setup({ dir: out, hooks: { afterCreate: script } });
    const { job } = await h.enqueue('developer', {}, { maxAttempts: 2 });
    await h.tick();
    expect(await h.queue.get(job.id)).toMatchObject({ status: 'queued', attempts: 1 });
    h.clock.advance(3_600_000);
    await h.tick();
    expect(await h.queue.get(job.id)).toMatchObject({ status: 'done' });
  });

  it('fails the run naming before_run when it fails, and the agent never spawns', async () => {
    const h = setup({ hooks: { before_run: 'echo "no database for you"; exit 1' } });
    const { job } = await h.enqueue('developer', {}, { maxAttempts: 1 });
    await h.tick();
    const failed = await h.queue.get(job.id);
    expect(failed).toMatchObject({ status: 'failed' });
    expect(failed!.error).toContain('before_run hook failed (exit code 1): no database for you');
    const [run] = await h.runs.listForJob(job.id);
    expect(run).toMatchObject({ outcome: 'permanent', pid: null });
    expect(run!.error).toContain('before_run hook failed');
    const wt = h.worktrees.worktreePath(h.repo, BRANCH);
    expect(existsSync(join(wt, 'agent-was-here.txt'))).toBe(false);
  });

  it('keeps a successful run done when after_run fails, and writes the failure to the run log', async () => {
    const h = setup({ hooks: { afterRun: 'echo cleanup broke; exit 7' } });
    const { job } = await h.enqueue('developer', {}, { maxAttempts: 1 });
    await h.tick();
    expect(await h.queue.get(job.id)).toMatchObject({ status: 'done' });
    const [run] = await h.runs.listForJob(job.id);
    expect(run).toMatchObject({ outcome: 'success' });
    expect(readFileSync(run!.logPath, 'utf8')).toContain(
      '[orch] after_run hook: after_run hook failed (exit code 7): cleanup broke',
    );
  });

  it('kills a hook past its timeout with its whole process group and fails the run', async () => {
    const h0 = setup({});
    const out = h0.dir;
    h0.cleanup();
    const script = `sleep 30 & echo $! > "${out}/bg.pid"; wait`;
    const h = setup({ dir: out, hooks: { beforeRun: script, timeoutS: 0.5 } });
    const { job } = await h.enqueue('developer', {}, { maxAttempts: 1 });
    await h.tick();
    const failed = await h.queue.get(job.id);
    expect(failed).toMatchObject({ status: 'failed' });
    expect(failed!.error).toContain('before_run hook failed (timed out after 0.5 s)');
    const bg = Number(readFileSync(join(out, 'bg.pid'), 'utf8').trim());
    expect(bg).toBeGreaterThan(0);
    expect(pidAlive(bg)).toBe(false);
  });

  it("runs the workflow file's hooks instead of the project's, and the project's without one", async () => {
    const h0 = setup({});
    const out = h0.dir;
    h0.cleanup();
    const projectHooks = hooksSchema.parse({ beforeRun: `echo project >> "${out}/order"` });
    const parsed = parseWorkflowFile(
      `---\nhooks:\n  before_run: echo workflow >> "${out}/order"\n  timeout_s: 5\n---\n`,
    );
    if (!parsed.ok) throw new Error(parsed.error);
    let workflow: Workflow | undefined = parsed.workflow;
    const h = setup({
      dir: out,
      hooksFor: hooksByRepo({
        projectOf: (repo) => (repo === h.repo ? 'ET' : undefined),
        projectHooks: (key) => (key === 'ET' ? projectHooks : undefined),
        workflows: { current: (key) => (key === 'ET' ? workflow : undefined) },
      }),
    });
    const first = await h.enqueue('developer', { stage: 'development' });
    await h.tick();
    expect(await h.queue.get(first.job.id)).toMatchObject({ status: 'done' });
    const read = () => readFileSync(join(out, 'order'), 'utf8').trim().split('\n');
    expect(read()).toEqual(['workflow']);

    workflow = { templates: {} }; // a workflow file without `hooks:`: the project's run
    const second = await h.enqueue('developer', { stage: 'development' });
    await h.tick();
    expect(await h.queue.get(second.job.id)).toMatchObject({ status: 'done' });
    expect(read()).toEqual(['workflow', 'project']);
  });
});
