import { readFileSync } from 'node:fs';
import { afterEach, expect, it } from 'vitest';
import { parseWorkflowFile, type Workflow } from '../../src/pipeline/workflow-file.js';
import { agentProfileOf } from '../../src/pipeline/workflow-overrides.js';
import { TaskStore } from '../../src/store/tasks/task-store.js';
import { describeEachDialect } from '../helpers/test-db.js';
import { fakeRole, makeHarness, type Harness } from './agent-harness.js';

const FAST = { killGraceS: 0.3, exitGraceS: 0.5, idleTimeoutS: 5, timeoutS: 20 };

/** A workflow file's `agents:` picks the configured profile that runs a role for its project. */
describeEachDialect('workflow file agent profiles', ({ current }) => {
  let h: Harness | undefined;
  afterEach(() => h?.cleanup());

  it("runs a role with the profile the job's project's workflow names, other projects with the role's own", async () => {
    const profile = (name: string) =>
      fakeRole('env_dump', { env: { FAKE_SCENARIO: 'env_dump', PROFILE_NAME: name } });
    const parsed = parseWorkflowFile('---\nagents:\n  developer: dev-alt\n---\n', {
      profiles: ['developer', 'dev-alt'],
    });
    if (!parsed.ok) throw new Error(parsed.error);
    const workflows = new Map<string, Workflow>([['AA', parsed.workflow]]);
    const tasks = new TaskStore(current().db);
    h = makeHarness(current().db, {
      agents: {
        defaults: FAST,
        roles: { developer: profile('own'), 'dev-alt': profile('alt') },
      },
      profileOf: agentProfileOf({
        projectOf: async (taskId) => (await tasks.get(taskId))?.projectKey ?? null,
        workflows: { current: (key) => workflows.get(key) },
      }),
    });
    const a = await h.enqueue('developer', { branch: 'f/a' }, { taskId: await h.task('AA') });
    const b = await h.enqueue('developer', { branch: 'f/b' }, { taskId: await h.task('BB') });
    const loose = await h.enqueue('developer', { branch: 'f/none' });
    await h.tick();
    await h.tick();
    const envOf = async (jobId: number) => {
      const [run] = await h!.runs.listForJob(jobId);
      expect(await h!.queue.get(jobId)).toMatchObject({ status: 'done' });
      const log = readFileSync(run!.logPath, 'utf8');
      return {
        profile: /ENV PROFILE_NAME=(\S+)/.exec(log)?.[1],
        role: /ENV ORCH_ROLE=(\S+)/.exec(log)?.[1],
      };
    };
    expect(await envOf(a.job.id)).toEqual({ profile: 'alt', role: 'developer' });
    expect(await envOf(b.job.id)).toEqual({ profile: 'own', role: 'developer' });
    expect(await envOf(loose.job.id)).toEqual({ profile: 'own', role: 'developer' });
  });
});
