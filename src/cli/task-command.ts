import { Command } from 'commander';
import { loadConfig } from '../config/config.js';
import { loadConfigFile } from '../config/config-file.js';
import { OrchError } from '../errors.js';
import { createLogger } from '../log.js';
import { fileWorkItem } from '../pipeline/file-item.js';
import { addTaskDependencies, removeTaskDependencies } from '../pipeline/task-deps.js';
import type { AdvanceResult } from '../pipeline/engine.js';
import type { Task } from '../pipeline/task.js';
import type { TaskEvent } from '../store/tasks/task-store.js';
import { createRuntime, type Runtime } from '../runtime.js';
import { formatTime, printJson, printTable } from './output.js';

export interface Common {
  db?: string;
  config?: string;
  json?: boolean;
}

export async function withRuntime<T>(o: Common, fn: (rt: Runtime) => Promise<T>): Promise<T> {
  const config = loadConfig(process.env, { dbUrl: o.db });
  const rt = await createRuntime({
    config,
    // The same file as `orch serve` reads (ORCH_CONFIG), so approvers and projects agree.
    configFile: loadConfigFile(o.config ?? config.env.ORCH_CONFIG),
    log: createLogger('warn', { format: config.env.ORCH_LOG_FORMAT }),
  });
  try {
    return await fn(rt);
  } finally {
    // The command's side effects are in the outbox: deliver them before exiting (what fails
    // stays there for `orch serve`).
    await rt.outbox.runOnce().catch(() => undefined);
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

export function withCommon(c: Command): Command {
  return c
    .option('--db <url>', 'database URL (default: ORCH_DB_URL or sqlite:./.orch/orch.db)')
    .option('--config <file>', 'orch.config.yaml (default: ORCH_CONFIG or ./orch.config.yaml)')
    .option('--json', 'print JSON');
}

/** Who the CLI acts as unless `--as` says otherwise: the login name, else "operator". */
const DEFAULT_ACTOR = process.env.USER ?? 'operator';
const AS_HELP = `who acts (default: $USER, here "${DEFAULT_ACTOR}"); for approve/reject it must be in the project's approvers`;

type CommentAction = 'approval' | 'rejection' | 'answer' | 'comment';

/** The error code of an action that changed nothing (exit 1, never a silent 0). */
const NOOP_CODES: Record<CommentAction, string | null> = {
  approval: 'NOTHING_TO_APPROVE',
  rejection: 'NOTHING_TO_REJECT',
  answer: 'NOT_WAITING_FOR_INPUT',
  comment: null,
};

/**
 * A human's action on a work item, through the tracker's comments like any other human's (so
 * the approver allowlist applies). Refused or no-op actions throw with a code: exit 1.
 */
async function humanComment(
  o: Common & { as: string },
  ref: string,
  body: string,
  action: CommentAction,
) {
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
    if (intent.kind === 'unauthorized') {
      const list = project.approvers.length > 0 ? project.approvers.join(', ') : 'none configured';
      throw new OrchError(
        'NOT_AN_APPROVER',
        `"${o.as}" is not an approver of project ${project.key} (approvers: ${list}); pass --as <name>`,
      );
    }
    const code = NOOP_CODES[action];
    if (result.kind === 'noop' && code) throw new OrchError(code, result.reason);
    if (result.kind === 'gate_failed')
      throw new OrchError('GATE_FAILED', `${result.gate.gate}: ${result.gate.reason}`);
    printResult(o, task, intent.kind, result);
  });
}

function printResult(o: Common, task: Task, what: string, result: AdvanceResult) {
  if (o.json) return printJson({ intent: what, result });
  const why = 'reason' in result ? ` (${result.reason})` : '';
  process.stdout.write(`${task.workItemId}: ${what} → ${result.kind}${why}\n`);
}

/** What a person can do about a task in its current state (shown by `task show`). */
function wayOut(t: Task): string | null {
  switch (t.state) {
    case 'blocked':
      return `orch task resume ${t.workItemId} [--note "…"] [--stage S] | orch task reject ${t.workItemId} "<reason>" | orch task cancel ${t.workItemId}`;
    case 'needs_input':
      return `orch task answer ${t.workItemId} "<answer>"`;
    case 'awaiting_approval':
      return `orch task approve ${t.workItemId} | orch task reject ${t.workItemId} "<reason>"`;
    case 'cancelled':
      return `orch task resume ${t.workItemId} [--stage S]`;
    case 'waiting':
      return `starts by itself when its repository's serial gate opens (orch repo unfreeze ${t.repo} if frozen) | orch task cancel ${t.workItemId}`;
    case 'active':
    case 'done':
      return null;
  }
}

/** The analyst's open questions: the detail of the latest needs-input event. */
function openQuestions(t: Task, events: TaskEvent[]): string | null {
  if (t.state !== 'needs_input') return null;
  const e = events.filter((x) => x.type === 'needs_input').at(-1);
  const q = (e?.detail as { questions?: unknown } | null)?.questions;
  return typeof q === 'string' ? q : null;
}

/** `orch task create|list|show|approve|reject|answer|comment|resume|cancel`. */
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
    .option('--label <name...>', 'tracker labels (label auto-mode may route or auto-approve)')
    .option(
      '--depends-on <workItem...>',
      'work items this one waits for: it stops after analysis until they are done',
    )
    .action(
      (
        o: Common & {
          project: string;
          title: string;
          description: string;
          bug?: boolean;
          label?: string[];
          dependsOn?: string[];
        },
      ) =>
        withRuntime(o, async (rt) => {
          const { dependsOn: deps, ...res } = await fileWorkItem(rt, rt.projects.get(o.project), {
            title: o.title,
            description: o.description,
            labels: o.label ?? [],
            ...(o.bug && { bug: true }),
            ...(o.dependsOn && { dependsOn: o.dependsOn }),
          });
          if (o.json) printJson({ ...res, depends_on: deps.map((d) => d.dependsOnWorkItemId) });
          else
            process.stdout.write(
              `${res.task.workItemId} created on ${res.task.branch}; analyst job ${res.jobId}` +
                `${deps.length ? `; depends on ${deps.map((d) => d.dependsOnWorkItemId).join(', ')}` : ''}\n`,
            );
        }),
    );
  withCommon(task.command('deps <workItem>'))
    .description('what a work item depends on (it waits after analysis until they are done)')
    .option('--add <workItem...>', 'add dependencies (a cycle is refused)')
    .option('--remove <workItem...>', 'remove dependencies (a waiting item may start)')
    .action((ref: string, o: Common & { add?: string[]; remove?: string[] }) =>
      withRuntime(o, async (rt) => {
        const t = await findTask(rt, ref);
        if (o.add?.length) await addTaskDependencies(rt.pipeline, t, o.add);
        if (o.remove?.length) await removeTaskDependencies(rt.pipeline, t, o.remove);
        const deps = await rt.serialGate.repo.dependenciesOf(rt.db, t.id);
        if (o.json) return printJson({ work_item: t.workItemId, depends_on: deps });
        printTable(
          deps.map((d) => ({
            depends_on: d.dependsOnWorkItemId,
            stage: d.stage,
            state: d.state,
            source: d.source,
          })),
          ['depends_on', 'stage', 'state', 'source'],
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
        const questions = openQuestions(t, events);
        const next = wayOut(t);
        if (o.json) return printJson({ task: t, events, gates, questions, way_out: next });
        process.stdout.write(
          `${t.workItemId} "${t.title}" — ${t.stage} (${t.state}), branch ${t.branch}${t.prUrl ? `, PR ${t.prUrl}` : ''}\n`,
        );
        if (t.state === 'blocked')
          process.stdout.write(`Blocked: ${t.lastError ?? 'no reason recorded'}\n`);
        if (questions) process.stdout.write(`Questions from the analyst:\n${questions}\n`);
        if (next) process.stdout.write(`Way out: ${next}\n`);
        process.stdout.write('\n');
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
    .option('--as <user>', AS_HELP, DEFAULT_ACTOR)
    .action((ref: string, o: Common & { as: string }) =>
      humanComment(o, ref, ':approved:', 'approval'),
    );
  withCommon(task.command('reject <workItem> <reason>'))
    .description(
      'reject: at analysis the analyst reruns, elsewhere back to the previous stage (also from Blocked)',
    )
    .option('--as <user>', AS_HELP, DEFAULT_ACTOR)
    .action((ref: string, reason: string, o: Common & { as: string }) =>
      humanComment(o, ref, `:rejected: ${reason}`, 'rejection'),
    );
  withCommon(task.command('answer <workItem> <text>'))
    .description("answer the analyst's questions of a Needs-Input item (see `task show`)")
    .option('--as <user>', AS_HELP, DEFAULT_ACTOR)
    .action((ref: string, text: string, o: Common & { as: string }) =>
      humanComment(o, ref, text, 'answer'),
    );
  withCommon(task.command('comment <workItem> <text>'))
    .description('comment on a work item (answers an analyst waiting for input)')
    .option('--as <user>', AS_HELP, DEFAULT_ACTOR)
    .action((ref: string, text: string, o: Common & { as: string }) =>
      humanComment(o, ref, text, 'comment'),
    );
  withCommon(task.command('resume <workItem>'))
    .description(
      "re-run a Blocked (or cancelled) item's stage agent with a fresh retry budget and your note",
    )
    .option('--stage <stage>', 'the stage to re-run (default: the stage it stopped in)')
    .option('--note <text>', 'put into the agent’s prompt: what changed, what to do')
    .option('--as <user>', AS_HELP, DEFAULT_ACTOR)
    .action((ref: string, o: Common & { as: string; stage?: string; note?: string }) =>
      withRuntime(o, async (rt) => {
        const t = await findTask(rt, ref);
        const result = await rt.pipeline.resume(t.id, { stage: o.stage, note: o.note, by: o.as });
        if (result.kind === 'noop') throw new OrchError('NOTHING_TO_RESUME', result.reason);
        printResult(o, t, 'resume', result);
      }),
    );
  withCommon(task.command('cancel <workItem> [reason]'))
    .description('stop a work item and cancel its jobs')
    .action((ref: string, reason: string | undefined, o: Common) =>
      withRuntime(o, async (rt) => {
        const t = await findTask(rt, ref);
        const result = await rt.pipeline.cancel(t.id, reason ?? 'cancelled by operator');
        if (result.kind === 'noop') throw new OrchError('NOTHING_TO_CANCEL', result.reason);
        printResult(o, t, 'cancel', result);
      }),
    );
  return task;
}
