import { Command } from 'commander';
import { systemClock } from '../clock.js';
import { loadConfig } from '../config/config.js';
import { OrchError } from '../errors.js';
import { JobQueue } from '../queue/job-queue.js';
import { openQueue } from '../queue/open-queue.js';
import type { Job } from '../queue/job.js';
import { formatTime, printJson, printTable } from './output.js';

function parseId(raw: string): number {
  const id = Number(raw);
  if (!Number.isSafeInteger(id) || id < 1)
    throw new OrchError('USAGE', `job id must be a positive integer, got "${raw}"`);
  return id;
}

function summary(job: Job) {
  return {
    id: job.id,
    kind: job.kind,
    status: job.status,
    priority: job.priority,
    attempts: `${job.attempts}/${job.maxAttempts}`,
    transient: job.transientAttempts,
    task: job.taskId,
    available: formatTime(job.availableAtMs),
    error: job.error?.slice(0, 60) ?? null,
  };
}

async function withQueue<T>(
  dbUrl: string | undefined,
  fn: (q: Awaited<ReturnType<typeof openQueue>>) => Promise<T>,
) {
  const opened = await openQueue(loadConfig(process.env, { dbUrl }), systemClock);
  try {
    return await fn(opened);
  } finally {
    await opened.db.close();
  }
}

/** `orch jobs list|show|retry|cancel|enqueue`. */
export function jobsCommand(): Command {
  const jobs = new Command('jobs').description('inspect and manage queued jobs');
  const dbOpt = [
    '--db <url>',
    'database URL (default: ORCH_DB_URL or sqlite:./.orch/orch.db)',
  ] as const;

  jobs
    .command('list')
    .description('list jobs, newest first')
    .option(...dbOpt)
    .option(
      '--status <status>',
      'only jobs in this status (queued, running, done, failed, cancelled)',
    )
    .option('--kind <kind>', 'only jobs of this kind')
    .option('--limit <n>', 'at most this many', '50')
    .option('--json', 'print JSON')
    .action(
      async (o: { db?: string; status?: string; kind?: string; limit: string; json?: boolean }) => {
        const status = o.status === undefined ? undefined : JobQueue.assertStatus(o.status);
        const list = await withQueue(o.db, ({ admin }) =>
          admin.list({
            ...(status && { status }),
            ...(o.kind && { kind: o.kind }),
            limit: Number(o.limit),
          }),
        );
        if (o.json) printJson(list);
        else
          printTable(list.map(summary), [
            'id',
            'kind',
            'status',
            'priority',
            'attempts',
            'transient',
            'task',
            'available',
            'error',
          ]);
      },
    );

  jobs
    .command('show <id>')
    .description('show one job in full')
    .option(...dbOpt)
    .option('--json', 'print JSON')
    .action(async (rawId: string, o: { db?: string; json?: boolean }) => {
      const id = parseId(rawId);
      const job = await withQueue(o.db, ({ queue }) => queue.get(id));
      if (!job) throw new OrchError('JOB_NOT_FOUND', `job ${id} does not exist`);
      const shown = { ...job, leaseToken: job.leaseToken ? '[held]' : null };
      if (o.json) printJson(shown);
      else
        for (const [k, v] of Object.entries(shown))
          process.stdout.write(`${k.padEnd(18)} ${JSON.stringify(v)}\n`);
    });

  jobs
    .command('retry <id>')
    .description('requeue a failed or cancelled job with fresh attempts')
    .option(...dbOpt)
    .option('--json', 'print JSON')
    .action(async (rawId: string, o: { db?: string; json?: boolean }) => {
      const job = await withQueue(o.db, ({ admin }) => admin.retry(parseId(rawId)));
      if (o.json) printJson(job);
      else process.stdout.write(`job ${job.id} queued again\n`);
    });

  jobs
    .command('cancel <id>')
    .description('cancel a queued job, or ask the holder of a running job to stop')
    .option(...dbOpt)
    .option('--json', 'print JSON')
    .action(async (rawId: string, o: { db?: string; json?: boolean }) => {
      const res = await withQueue(o.db, ({ admin }) => admin.requestCancel(parseId(rawId)));
      if (o.json) printJson(res);
      else
        process.stdout.write(
          res.immediate
            ? `job ${res.job.id} cancelled\n`
            : `job ${res.job.id}: cancel requested; its agent stops at the next heartbeat\n`,
        );
    });

  jobs
    .command('enqueue <kind>')
    .description('enqueue a job (for operators and scripts)')
    .option(...dbOpt)
    .option('--payload <json>', 'JSON payload', '{}')
    .option('--priority <n>', 'priority (higher runs first)', '0')
    .option('--key <idempotencyKey>', 'idempotency key: the same key never creates a second job')
    .option('--json', 'print JSON')
    .action(
      async (
        kind: string,
        o: { db?: string; payload: string; priority: string; key?: string; json?: boolean },
      ) => {
        let payload: unknown;
        try {
          payload = JSON.parse(o.payload);
        } catch (err) {
          throw new OrchError('INVALID_PAYLOAD', 'payload is not valid JSON', { cause: err });
        }
        const res = await withQueue(o.db, ({ queue }) =>
          queue.enqueue({
            kind,
            payload,
            priority: Number(o.priority),
            ...(o.key !== undefined && { idempotencyKey: o.key }),
          }),
        );
        if (o.json) printJson(res);
        else
          process.stdout.write(
            `${res.created ? 'enqueued' : 'already exists:'} job ${res.job.id}\n`,
          );
      },
    );

  return jobs;
}
