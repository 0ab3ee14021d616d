import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AgentRun, AgentRunStore } from '../../store/agent-runs/agent-run-store.js';
import { readLogTail, runLogFile } from '../../agents/run-log.js';
import { OrchError } from '../../errors.js';
import type { HttpContext, HttpRoutes } from '../deps.js';
import { LogStream } from '../log-stream.js';
import { requireFullRead } from '../read-access.js';

const tags = ['dashboard'];

const runParams = z.object({
  runId: z.coerce.number().int().min(1).max(Number.MAX_SAFE_INTEGER),
});
const tailQuery = z.object({
  tail: z.coerce.number().int().min(0).max(5000).optional(),
});

const DEFAULT_TAIL_LINES = 200;

async function mustGetRun(runs: AgentRunStore, runId: number): Promise<AgentRun> {
  const run = await runs.get(runId);
  if (!run) throw new OrchError('AGENT_RUN_NOT_FOUND', `agent run ${runId} does not exist`);
  return run;
}

/** `GET /api/runs/:runId/log?tail=N`: the last N lines as JSON. */
function tailRoute(app: FastifyInstance, runs: AgentRunStore, ctx: HttpContext): void {
  const { dataDir } = ctx.deps;
  const mask = ctx.deps.mask ?? ((text: string) => text);
  app.withTypeProvider<ZodTypeProvider>().get(
    '/api/runs/:runId/log',
    {
      schema: {
        tags,
        summary: "The last lines of an agent run's log",
        params: runParams,
        querystring: tailQuery,
      },
    },
    async (request) => {
      requireFullRead(request);
      const run = await mustGetRun(runs, request.params.runId);
      const file = runLogFile(dataDir, run.logPath);
      const tail = file
        ? await readLogTail(file, request.query.tail ?? DEFAULT_TAIL_LINES)
        : { lines: [], truncated: false };
      return {
        run_id: run.id,
        running: run.finishedAtMs === null,
        outcome: run.outcome,
        exit_code: run.exitCode,
        available: file !== null,
        truncated: tail.truncated,
        lines: tail.lines.map(mask),
      };
    },
  );
}

/** `GET /api/runs/:runId/log/stream?tail=N`: server-sent events until the run finishes. */
function streamRoute(app: FastifyInstance, runs: AgentRunStore, ctx: HttpContext): void {
  const { dataDir } = ctx.deps;
  const streams = new Set<LogStream>();
  app.addHook('onClose', (_app, done) => {
    for (const s of streams) s.stop();
    done();
  });
  app.withTypeProvider<ZodTypeProvider>().get(
    '/api/runs/:runId/log/stream',
    {
      schema: {
        tags,
        summary: "Live tail of an agent run's log (text/event-stream; ends when the run finishes)",
        params: runParams,
        querystring: tailQuery,
      },
    },
    async (request, reply) => {
      requireFullRead(request);
      const run = await mustGetRun(runs, request.params.runId);
      if (run.logPath !== '' && runLogFile(dataDir, run.logPath) === null) {
        throw new OrchError(
          'RUN_LOG_UNAVAILABLE',
          `the log of run ${run.id} is not on this server`,
        );
      }
      // From here the response is ours: headers, events and the end (LogStream).
      reply.hijack();
      const stream = new LogStream(reply.raw, {
        runs,
        dataDir,
        runId: run.id,
        tail: request.query.tail ?? DEFAULT_TAIL_LINES,
        ...(ctx.deps.mask && { mask: ctx.deps.mask }),
      });
      streams.add(stream);
      await stream.start(() => streams.delete(stream));
    },
  );
}

/**
 * An agent run's log: `GET /api/runs/:runId/log?tail=N` (the last N lines as JSON) and
 * `GET /api/runs/:runId/log/stream?tail=N` (server-sent events: the tail, then appended lines,
 * until the run finishes). The file is found from the run's row only, and only inside
 * `<dataDir>/runs/`; nothing in the request names a path.
 */
export function runLogRoutes(runs: AgentRunStore): HttpRoutes {
  return (app, ctx) => {
    tailRoute(app, runs, ctx);
    streamRoute(app, runs, ctx);
  };
}
