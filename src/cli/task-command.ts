import { Command } from 'commander';
import { loadConfig } from '../config/config.js';
import { loadConfigFile } from '../config/config-file.js';
import { OrchError } from '../errors.js';
import { createLogger } from '../log.js';
import { intake } from '../pipeline/intake.js';
import type { Task } from '../pipeline/task.js';
import { createRuntime, type Runtime } from '../runtime.js';
import { formatTime, printJson, printTable } from './output.js';

interface Common {
  db?: string;
  config?: string;
  json?: boolean;
}

async function withRuntime<T>(o: Common, fn: (rt: Runtime) => Promise<T>): Promise<T> {
  const config = loadConfig(process.env, { dbUrl: o.db });
  const rt = await createRuntime({
    config,
    configFile: loadConfigFile(o.config),
    log: createLogger('warn'),
  });
  try {
    return await fn(rt);
  } finally {
    await rt.stop();
  }
}

async function findTask(rt: Runtime, ref: string): Promise<Task> {
  const task = /^\d+$/.test(ref) ? await rt.tasks.get(Number(ref)) : await rt.tasks.byWorkItem(ref);
  if (!task) throw new OrchError('TASK_NOT_FOUND', `no work item ${ref}`);
  return task;
}

function row(t: Task) {
  return {
    id: t.workItemId,
    stage: t.stage,
    state: t.state,
    track: t.track,
    retries: t.devRetries,
    title: t.title.slice(0, 40),
    updated: formatTime(t.updatedAtMs),
  };
}

function withCommon(c: Command): Command {
  return c
    .option('--db <url>', 'database URL (default: ORCH_DB_URL or sqlite:./.orch/orch.db)')
    .option('--config <file>', 'orch.config.yaml (default: ./orch.config.yaml if present)')
    .option('--json', 'print JSON');
}

/** A human's action on a work item, through the local tracker's comments like any other human. */
async function humanComment(o: Common & { as: string }, ref: string, body: string) {
  return withRuntime(o, async (rt) => {
    const task = await findTask(rt, ref);
    const project = rt.projects.get(task.projectKey);
    if (project.tracker.kind === 'local') {
      await rt.tracker.addHumanComment(
        { projectId: task.trackerProjectId, itemId: task.trackerItemId },
        o.as,
        body,
      );
    }
    const { intent, result } = await rt.pipeline.onComment(task.id, { body, authorIds: [o.as] });
    if (o.json) printJson({ intent: intent.kind, result });
    else
      process.stdout.write(
        `${task.workItemId}: ${intent.kind} → ${result.kind}${'reason' in result ? ` (${result.reason})` : ''}\n`,
      );
  });
}

/** `orch task create|list|show|approve|reject|comment|cancel`. */
export function taskCommand(): Command {
  const task = new Command('task').description(
    'work items: file, inspect, approve, reject, comment',
  );
  withCommon(task.command('create'))
    .description('file a work item in the local tracker and start its pipeline')
    .requiredOption('--project <key>', 'project key from orch.config.yaml')
    .requiredOption('--title <text>', 'title')
    .option('--description <text>', 'description', '')
    .option('--bug', 'bug track: skip architecture')
    .action((o: Common & { project: string; title: string; description: string; bug?: boolean }) =>
      withRuntime(o, async (rt) => {
        const project = rt.projects.get(o.project);
        const item = await rt.tracker.createItem(project.trackerProjectId, {
          title: o.title,
          description: o.description,
        });
        const res = await intake(
          rt.core,
          rt.workspace,
          project,
          {
            trackerItemId: item.ref.itemId,
            title: o.title,
            description: o.description,
            ...(o.bug && { track: 'bug' }),
          },
          rt.log,
        );
        if (o.json) printJson(res);
        else
          process.stdout.write(
            `${res.task.workItemId} created on ${res.task.branch}; analyst job ${res.jobId}\n`,
          );
      }),
    );
  withCommon(task.command('list'))
    .description('list work items, newest first')
    .option('--all', 'include done and cancelled items')
    .action((o: Common & { all?: boolean }) =>
      withRuntime(o, async (rt) => {
        const tasks = await rt.tasks.list({ activeOnly: !o.all });
        if (o.json) printJson(tasks);
        else
          printTable(tasks.map(row), [
            'id',
            'stage',
            'state',
            'track',
            'retries',
            'title',
            'updated',
          ]);
      }),
    );
  withCommon(task.command('show <workItem>'))
    .description('a work item with its timeline and gate results')
    .action((ref: string, o: Common) =>
      withRuntime(o, async (rt) => {
        const t = await findTask(rt, ref);
        const events = await rt.tasks.events(t.id);
        const gates = await rt.tasks.gateResults(t.id);
        if (o.json) return printJson({ task: t, events, gates });
        process.stdout.write(
          `${t.workItemId} "${t.title}" — ${t.stage} (${t.state}), branch ${t.branch}${t.prUrl ? `, PR ${t.prUrl}` : ''}\n\n`,
        );
        printTable(
          events.map((e) => ({
            at: formatTime(e.atMs),
            stage: e.stage,
            type: e.type,
            message: e.message,
          })),
          ['at', 'stage', 'type', 'message'],
        );
        process.stdout.write('\n');
        printTable(
          gates.map((g) => ({
            stage: g.stage,
            gate: g.gate,
            passed: g.passed ? 'yes' : 'NO',
            reason: g.reason,
          })),
          ['stage', 'gate', 'passed', 'reason'],
        );
      }),
    );
  withCommon(task.command('approve <workItem>'))
    .description('approve the analysis (as a tracker comment ":approved:")')
    .option(
      '--as <user>',
      'approver name (must be in the project’s approvers)',
      process.env.USER ?? 'operator',
    )
    .action((ref: string, o: Common & { as: string }) => humanComment(o, ref, ':approved:'));
  withCommon(task.command('reject <workItem> <reason>'))
    .description('reject: at analysis the analyst reruns, elsewhere back to the previous stage')
    .option('--as <user>', 'approver name', process.env.USER ?? 'operator')
    .action((ref: string, reason: string, o: Common & { as: string }) =>
      humanComment(o, ref, `:rejected: ${reason}`),
    );
  withCommon(task.command('comment <workItem> <text>'))
    .description('comment (answers an analyst waiting for input)')
    .option('--as <user>', 'author name', process.env.USER ?? 'operator')
    .action((ref: string, text: string, o: Common & { as: string }) => humanComment(o, ref, text));
  withCommon(task.command('cancel <workItem> [reason]'))
    .description('stop a work item and cancel its jobs')
    .action((ref: string, reason: string | undefined, o: Common) =>
      withRuntime(o, async (rt) => {
        const t = await findTask(rt, ref);
        const result = await rt.pipeline.cancel(t.id, reason ?? 'cancelled by operator');
        if (o.json) printJson(result);
        else process.stdout.write(`${t.workItemId}: ${result.kind}\n`);
      }),
    );
  return task;
}
