import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { ManualClock } from '../../src/clock.js';
import { WorktreeManager } from '../../src/agents/worktrees.js';
import { leasedMergeGate, mergeGate } from '../../src/gates/merge/merge-gate.js';
import { MergeLeases } from '../../src/recovery/merge-leases.js';
import { DEFAULT_SECURITY_GATE_CONFIG } from '../../src/gates/security/index.js';
import { securityGate } from '../../src/gates/security-gate-adapter.js';
import { DEFAULT_GATES, GateRegistry } from '../../src/gates/registry.js';
import { LocalForge } from '../../src/integrations/forge/local-forge.js';
import { RecordingNotifier } from '../../src/integrations/notify/notifier.js';
import { LocalTracker } from '../../src/integrations/tracker/local-tracker.js';
import { silentLogger } from '../../src/log.js';
import { OutboxStore } from '../../src/store/outbox/outbox-store.js';
import { OutboxWorker } from '../../src/outbox/outbox-worker.js';
import { effectDeliverer } from '../../src/pipeline/effects.js';
import { CoreEngine } from '../../src/pipeline/engine.js';
import { GitWorkspace } from '../../src/pipeline/git-workspace.js';
import { intake } from '../../src/pipeline/intake.js';
import { Pipeline } from '../../src/pipeline/pipeline.js';
import { ProjectRegistry, type Project } from '../../src/pipeline/project.js';
import { DEFAULT_PIPELINE } from '../../src/pipeline/stages.js';
import type { Task } from '../../src/pipeline/task.js';
import { TaskStore } from '../../src/store/tasks/task-store.js';
import type { Db } from '../../src/store/db.js';
import type { WorkflowLookup } from '../../src/pipeline/workflow-registry.js';
import { makeQueue } from './queue.js';

/** A sample product repo: its test suite fails while a file named BROKEN exists. */
export function seedSampleRepo(dir: string): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, 'test.sh'),
    'if [ -e BROKEN ]; then echo "FAIL: BROKEN present"; exit 1; fi\necho "all tests pass"\n',
  );
  writeFileSync(join(dir, 'README.md'), '# sample\n');
  const g = (...args: string[]) => execFileSync('git', args, { cwd: dir, stdio: 'ignore' });
  g('init', '--quiet', '--initial-branch', 'main');
  g('add', '-A');
  g('-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '--quiet', '-m', 'seed');
}

/**
 * The pipeline on a real database, real git (a bare repo in the local forge, real worktrees) and
 * the local tracker; agents are played by `agent()`, which writes files into the worktree and
 * then calls the same hook the runner calls after a successful run.
 */
export async function pipelineEnv(
  db: Db,
  options: {
    maxDeveloperRetries?: number;
    securityGate?: boolean;
    leasedMerge?: boolean;
    /** The runtime's secret masker (config/secret-masker.ts) for gate results. */
    mask?: (text: string) => string;
    /** The projects' workflow files (workflow-registry.ts); absent = built-in prompts. */
    workflows?: WorkflowLookup;
    /** The engine's `isFree` (what a deferred re-check waits for is free already). */
    isFree?: (waitsFor: string) => Promise<boolean>;
  } = {},
) {
  const root = mkdtempSync(join(tmpdir(), 'orch-pipe-'));
  const clock = new ManualClock();
  const { queue, admin } = makeQueue(db, clock);
  const forge = new LocalForge(db, join(root, 'forge'), clock);
  mkdirSync(join(root, 'forge'), { recursive: true });
  seedSampleRepo(join(root, 'seed'));
  await forge.importRepo('demo', join(root, 'seed'));
  const tracker = new LocalTracker(db, clock);
  const project: Project = {
    key: 'ET',
    prefix: 'ET',
    repo: 'demo',
    baseBranch: 'main',
    tracker,
    trackerProjectId: 'ET',
    forge,
    pipeline: DEFAULT_PIPELINE,
    testCommand: ['sh', 'test.sh'],
    testTimeoutMs: 20_000,
    approvers: ['alice'],
    maxDeveloperRetries: options.maxDeveloperRetries ?? 3,
  };
  const worktrees = new WorktreeManager({
    reposDir: join(root, 'repos'),
    worktreesDir: join(root, 'wt'),
  });
  const workspace = new GitWorkspace(worktrees);
  const mask = options.mask ? { mask: options.mask } : {};
  const gates = new GateRegistry(DEFAULT_GATES, mask);
  const leases = new MergeLeases(db, {
    clock,
    log: silentLogger,
    host: 'test-host',
    pid: process.pid,
    instanceId: 'test-boot',
    pidAlive: () => true,
    reclaimEnabled: () => true,
  });
  gates.register(
    'merge_gate',
    options.leasedMerge ? leasedMergeGate(leases, { ttlMs: 300_000, deferMs: 30_000 }) : mergeGate,
  );
  const notifier = new RecordingNotifier();
  if (options.securityGate) {
    gates.register(
      'security_gate',
      securityGate(DEFAULT_SECURITY_GATE_CONFIG, { clock, log: silentLogger, notifier }),
    );
  }
  const tasks = new TaskStore(db, mask);
  const projects = new ProjectRegistry([project]);
  const outbox = new OutboxWorker({
    store: new OutboxStore(db),
    deliver: effectDeliverer({ projects, notifier, log: silentLogger }),
    clock,
    log: silentLogger,
    enabled: () => true,
  });
  const core = new CoreEngine({
    db,
    queue,
    tasks,
    gates,
    projects,
    workspace,
    outbox,
    log: silentLogger,
    clock,
    ...(options.workflows && { workflows: options.workflows }),
    ...(options.isFree && { isFree: options.isFree }),
  });
  const pipeline = new Pipeline(core, admin);

  const file = (task: Task, rel: string, text: string) => {
    const path = join(worktrees.worktreePath(forge.cloneUrl('demo'), task.branch), rel);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, text);
  };
  const artifact = (task: Task, name: string, text: string) =>
    file(task, `docs/work-items/${task.workItemId}/${name}`, text);

  return {
    root,
    clock,
    queue,
    admin,
    forge,
    tracker,
    project,
    workspace,
    worktrees,
    tasks,
    notifier,
    outbox,
    /** Delivers the side effects committed so far (tracker, notifier, forge statuses). */
    effects: () => outbox.runOnce(),
    core,
    pipeline,
    leases,
    file,
    artifact,
    async newItem(title = 'Export trails as GPX', description = 'Users want GPX export.') {
      const item = await tracker.createItem('ET', { title, description });
      return intake(
        core,
        workspace,
        project,
        { trackerItemId: item.ref.itemId, title, description },
        silentLogger,
      );
    },
    /** Plays the agent of the task's current stage: commit + push its files, then the pipeline hook. */
    async agent(taskId: number, role: string, write: (task: Task) => void = () => undefined) {
      const task = (await tasks.get(taskId))!;
      await workspace.ensure(task, project);
      write(task);
      const wt = worktrees.worktreePath(forge.cloneUrl('demo'), task.branch);
      await workspace.commitAndPush(wt, task.branch, `${role} work`);
      if (task.prNumber === null) {
        const pr = await forge.ensurePullRequest('demo', {
          head: task.branch,
          base: 'main',
          title: task.title,
          body: '',
        });
        await tasks.setPullRequest(task.id, { number: pr.number, url: pr.url });
      }
      return pipeline.onAgentFinished({ taskId, role, stage: task.stage });
    },
    task: async (id: number) => (await tasks.get(id))!,
    /** The task's worktree path. */
    worktree: (task: Task) => worktrees.worktreePath(forge.cloneUrl('demo'), task.branch),
  };
}

export const ANALYSIS =
  (env: { artifact: (t: Task, n: string, x: string) => void }) => (t: Task) => {
    for (const f of ['01-brd.md', '02-trz.md', '03-acceptance-criteria.md'])
      env.artifact(t, f, `# ${f}\n`);
    env.artifact(
      t,
      '04-test-plan.yaml',
      'tests:\n  - id: TC-01\n    type: unit\n    expected: PASS\n',
    );
  };
