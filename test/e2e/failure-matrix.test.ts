import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import type { Project } from '../../src/pipeline/project.js';
import type { Task } from '../../src/pipeline/task.js';
import type { Runtime } from '../../src/runtime.js';
import type { RecordingNotifier } from '../../src/integrations/notify/notifier.js';
import { LessonStore } from '../../src/store/lessons/lesson-store.js';
import { describeEachDialect } from '../helpers/test-db.js';
import {
  deliverOutbox,
  APPROVER,
  commitOnMain,
  drive,
  fileItem,
  matrixRuntime,
  remoteHead,
  type Scenario,
} from './failure-matrix-harness.js';

/**
 * The failure matrix (issue 12): real agent processes fail in every way we know, and each work
 * item must end in a state a person can see (Blocked, or cancelled) with the reason in words — in
 * the timeline, as a tracker comment and as a notification —, must stay there when the reconciler
 * runs, and must reach done once a person resumes it with a working agent.
 */
interface Row extends Scenario {
  stage: string;
  state: 'blocked' | 'cancelled';
  reason: RegExp;
  /** What the person fixes before resuming (the agent's scenario is always reset). */
  fix?: (rt: Runtime, task: Task) => void;
}

const slug = (id: string) => id.toLowerCase().replace(/[^a-z0-9]+/g, '-');
const retriesOut = (what: string) => new RegExp(`^${what}; developer retries exhausted \\(2/2\\)`);

const ROWS: Row[] = [
  {
    key: 'NZ',
    scenario: { developer: 'crash' },
    stage: 'development',
    state: 'blocked',
    reason: /^developer failed after 2 attempts: exit code 3: sim-agent: simulated crash$/,
  },
  {
    key: 'TO',
    scenario: { developer: 'slow' },
    stage: 'development',
    state: 'blocked',
    reason: /^developer timed out after 20 s$/,
  },
  {
    key: 'IH',
    scenario: { developer: 'hang' },
    stage: 'development',
    state: 'blocked',
    reason: /^developer timed out: no output for 12 s \(idle hang\)$/,
  },
  {
    key: 'CM',
    scenario: { developer: 'crash_mid' },
    stage: 'development',
    state: 'blocked',
    reason: /^developer failed after 2 attempts: crashed: killed by SIGKILL/,
  },
  {
    key: 'IE',
    scenario: { developer: 'is_error' },
    stage: 'development',
    state: 'blocked',
    reason:
      /^developer failed after 2 attempts: agent result error_during_execution: Error: the tool call failed/,
  },
  {
    key: 'RC',
    scenario: { reviewer: 'request_changes_always' },
    maxDeveloperRetries: 2,
    stage: 'review',
    state: 'blocked',
    reason: retriesOut('REQUEST_CHANGES from reviewer'),
  },
  {
    key: 'TR',
    scenario: { developer: 'break_tests' },
    maxDeveloperRetries: 2,
    stage: 'development',
    state: 'blocked',
    reason: retriesOut('Local tests are red'),
  },
  {
    key: 'SG',
    scenario: { developer: 'leak_secret' },
    maxDeveloperRetries: 2,
    stage: 'deploy-staging',
    state: 'blocked',
    reason: retriesOut('Security gate FAILED'),
    // The token is a test fixture: the person allowlists its path on the base branch.
    fix: (rt, t) =>
      commitOnMain(rt, t.repo, {
        '.gitleaks.toml': '[allowlist]\npaths = ["config/.*\\\\.env"]\n',
      }),
  },
  {
    key: 'MC',
    scenario: {},
    maxDeveloperRetries: 2,
    stage: 'deploy-staging',
    state: 'blocked',
    reason: retriesOut('Merge gate FAILED'),
    // The person removes the conflicting file from the base branch.
    fix: (rt, t) => commitOnMain(rt, t.repo, { [`src/orch-sim/${slug(t.workItemId)}.js`]: null }),
  },
  {
    key: 'CX',
    scenario: { developer: 'slow' },
    stage: 'development',
    state: 'cancelled',
    reason: /^stop it$/,
  },
];

async function expectVisible(rt: Runtime, notifier: RecordingNotifier, row: Row, t: Task) {
  const where = `${row.key} (${t.workItemId})`;
  expect(t, where).toMatchObject({ stage: row.stage, state: row.state });
  expect(t.lastError, where).toMatch(row.reason);
  const events = await rt.tasks.events(t.id);
  const type = row.state === 'blocked' ? 'blocked' : 'cancelled';
  expect(
    events.filter((e) => e.type === type).map((e) => e.message),
    where,
  ).toEqual([t.lastError]);
  const comments = await rt.tracker.listComments({ projectId: row.key, itemId: t.trackerItemId });
  const prefix = row.state === 'blocked' ? '⛔ Blocked: ' : '🛑 Cancelled: ';
  expect(
    comments.map((c) => c.body),
    where,
  ).toContain(`${prefix}${t.lastError}`);
  const notified = notifier.events.filter(
    (e) => 'taskId' in e && e.taskId === t.id && e.type === `task_${row.state}`,
  );
  expect(
    notified.map((e) => ('message' in e ? e.message : null)),
    where,
  ).toEqual([t.lastError]);
}

/** Waits for the side effects that follow a committed change (tracker comment, notification). */
async function settle(rt: Runtime) {
  await rt.worker.whenIdle();
  await deliverOutbox(rt);
  await new Promise((r) => setTimeout(r, 500));
}

/** Waits (approving analyses on the way) until `taskId` has a running `kind` agent; its job id. */
async function runningAgent(rt: Runtime, all: Task[], taskId: number, kind: string) {
  const deadline = Date.now() + 240_000;
  while (Date.now() < deadline) {
    await drive(
      rt,
      all.map((t) => t.id),
      () => true,
      1_000,
    );
    const running = await rt.admin.list({ taskId, status: 'running' });
    const job = running.find((j) => j.kind === kind && j.agentRunId !== null);
    if (job) return job.id;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`no running ${kind} for task ${taskId}`);
}

describeEachDialect('failure matrix', ({ current }) => {
  it('ends every failing item visibly, keeps it there, and resume takes it to done', async () => {
    const { rt, notifier } = await matrixRuntime(current().url, ROWS, {
      env: { ORCH_LEASE_SECONDS: '3' },
    });
    try {
      const tasks = new Map<string, Task>();
      for (const row of ROWS) tasks.set(row.key, await fileItem(rt, row.key));
      const mc = tasks.get('MC')!;
      commitOnMain(rt, mc.repo, {
        [`src/orch-sim/${slug(mc.workItemId)}.js`]: '// a conflicting change on main\n',
      });
      await rt.start({ daemons: false });

      // Cancel while the developer of CX runs: no push and no PR update may follow.
      const cx = tasks.get('CX')!;
      const cxJob = await runningAgent(rt, [...tasks.values()], cx.id, 'developer');
      const headAtCancel = remoteHead(rt, cx.repo, cx.branch);
      const prAtCancel = await rt.forge.findPullRequest(cx.repo, cx.branch);
      expect((await rt.pipeline.cancel(cx.id, 'stop it')).kind).toBe('cancelled');
      const byKey = (key: string) => tasks.get(key)!.id;
      const ids = ROWS.map((r) => byKey(r.key));
      await drive(rt, ids, (t) => t.state === 'blocked' || t.state === 'cancelled', 240_000);
      await settle(rt);
      for (const row of ROWS) {
        const t = (await rt.tasks.get(byKey(row.key)))!;
        await expectVisible(rt, notifier, row, t);
      }
      // Each red gate taught the journal one automatic lesson (rollbacks and the block deduplicated).
      const rc = tasks.get('RC')!;
      const rcLessons = await new LessonStore(rt.db, rt.clock).list({ workItem: rc.workItemId });
      expect(rcLessons.map((l) => [l.lesson_type, l.source, l.stage])).toEqual([
        ['gate_failure', 'auto', 'review'],
      ]);
      expect(rcLessons[0]!.root_cause).toContain('check_reviewer_verdict');
      expect((await rt.queue.get(cxJob))!.status).toBe('cancelled');
      expect(remoteHead(rt, cx.repo, cx.branch)).toBe(headAtCancel);
      expect((await rt.forge.findPullRequest(cx.repo, cx.branch))?.headSha).toBe(
        prAtCancel?.headSha,
      );

      // Nothing automatic moves them: the reconciler leaves every one where it is.
      const before = await Promise.all(ids.map((id) => rt.tasks.get(id)));
      await rt.recovery.reconciler.runOnce();
      await rt.recovery.reconciler.runOnce();
      const after = await Promise.all(ids.map((id) => rt.tasks.get(id)));
      expect(after.map((t) => [t!.stage, t!.state])).toEqual(
        before.map((t) => [t!.stage, t!.state]),
      );

      // A person fixes what was wrong and resumes: every item reaches done.
      for (const row of ROWS) {
        const t = (await rt.tasks.get(byKey(row.key)))!;
        (rt.projects.get(row.key) as { scenario?: Project['scenario'] }).scenario = {};
        row.fix?.(rt, t);
        const r = await rt.pipeline.resume(t.id, { by: APPROVER, note: 'fixed; try again' });
        expect(r.kind, row.key).toBe('rerun');
      }
      const done = await drive(rt, ids, (t) => t.state === 'done', 600_000);
      expect([...done.values()].map((t) => `${t.workItemId}:${t.stage}/${t.state}`)).toEqual(
        ROWS.map((r) => `${tasks.get(r.key)!.workItemId}:done/done`),
      );
    } finally {
      await rt.stop();
    }
  }, 1_200_000);

  it('blocks an item whose agent binary is missing, and resume runs it once it exists', async () => {
    const cli = join(mkdtempSync(join(tmpdir(), 'orch-bin-')), 'orch-dev');
    const { rt, notifier } = await matrixRuntime(current().url, [MISSING], {
      env: { ORCH_PREFLIGHT_GRACE_SECONDS: '0' },
      agents: {
        defaults: { adapter: 'scripted', timeoutS: 60, idleTimeoutS: 30 },
        roles: { developer: { adapter: 'scripted', command: [cli] } },
      },
    });
    try {
      const task = await fileItem(rt, 'MB');
      await rt.start({ daemons: false });
      await drive(rt, [task.id], (x) => x.state === 'blocked', 120_000);
      await settle(rt);
      await expectVisible(rt, notifier, MISSING, (await rt.tasks.get(task.id))!);
      await rt.recovery.reconciler.runOnce();
      expect((await rt.tasks.get(task.id))!.state).toBe('blocked');
      // The person installs the agent CLI; resume runs the developer with a fresh budget.
      installCli(cli);
      expect((await rt.pipeline.resume(task.id, { by: APPROVER })).kind).toBe('rerun');
      await drive(rt, [task.id], (x) => x.state === 'done', 180_000);
    } finally {
      await rt.stop();
    }
  }, 400_000);
});

const MISSING: Row = {
  key: 'MB',
  scenario: {},
  stage: 'development',
  state: 'blocked',
  reason:
    /^developer cannot run: agent binary ".*orch-dev" not found or not executable \(preflight failing for over 0 s\)$/,
};

/** An `orch` CLI wrapper at `path` (runs the sources through tsx), as a person would install it. */
function installCli(path: string) {
  const main = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
  const tsx = import.meta.resolve('tsx');
  writeFileSync(path, `#!/bin/sh\nexec '${process.execPath}' --import '${tsx}' '${main}' "$@"\n`);
  chmodSync(path, 0o755);
}
