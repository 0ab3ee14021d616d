import type { ServerResponse } from 'node:http';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { DashboardFeedRepo, FeedEvent } from '../../store/tasks/dashboard-feed-repo.js';
import type { HttpRoutes } from '../deps.js';
import { EventHub, type HubEvent } from '../event-hub.js';
import { sseEvent } from '../log-stream.js';

const tags = ['dashboard'];

/** A resuming client missed at most this many entries; with more it gets `reset`. */
export const REPLAY_LIMIT = 500;

const eventsQuery = z.object({
  after: z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER).optional(),
});

export interface EventsRouteOptions {
  /** The hub's read interval (default 500 ms). */
  pollMs?: number;
  /** A comment line keeps proxies from closing an idle stream (default 15 s). */
  keepAliveMs?: number;
}

/** Pure: the `Last-Event-ID` header as a cursor; undefined when absent or not a number. */
export function lastEventId(header: string | string[] | undefined): number | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  return value !== undefined && /^\d{1,15}$/.test(value.trim()) ? Number(value) : undefined;
}

function taskEvent(e: FeedEvent): string {
  const data = {
    task_id: e.taskId,
    work_item_id: e.workItemId,
    type: e.type,
    stage: e.stage,
    at_ms: e.atMs,
  };
  return `id: ${e.id}\n${sseEvent(JSON.stringify(data), 'task')}`;
}

function hubEvent(e: HubEvent): string {
  switch (e.kind) {
    case 'task':
      return taskEvent(e.event);
    case 'runs':
      return sseEvent(JSON.stringify(e.taskIds === null ? {} : { task_ids: e.taskIds }), 'runs');
    case 'jobs':
      return sseEvent('{}', 'jobs');
  }
}

/** Replays the entries in (after, cursor]; one `reset` when more than REPLAY_LIMIT were missed. */
async function replay(
  feed: Pick<DashboardFeedRepo, 'eventsAfter'>,
  after: number,
  cursor: number,
): Promise<string> {
  if (after >= cursor) return '';
  const missed = (await feed.eventsAfter(after, REPLAY_LIMIT + 1)).filter((e) => e.id <= cursor);
  if (missed.length > REPLAY_LIMIT) return sseEvent('{}', 'reset');
  return missed.map(taskEvent).join('');
}

/**
 * `GET /api/events` (issue 19): one server-sent event stream for the dashboard — `hello` with the
 * cursor, then `task` (every new timeline entry, with its id), `runs` and `jobs` (something
 * changed: refetch), `: keepalive` every 15 s. Resumes after `Last-Event-ID` or `?after=N`.
 * Every client shares one EventHub; a closed connection unsubscribes, closing the server ends
 * every stream.
 */
export function eventRoutes(feed: DashboardFeedRepo, o: EventsRouteOptions = {}): HttpRoutes {
  return (app: FastifyInstance) => {
    const hub = new EventHub({
      feed,
      ...(o.pollMs !== undefined && { pollMs: o.pollMs }),
      onError: (err) => app.log.warn({ err }, 'dashboard event feed read failed'),
    });
    const open = new Set<ServerResponse>();
    app.addHook('onClose', (_app, done) => {
      hub.stop();
      for (const res of open) res.end();
      done();
    });
    app.withTypeProvider<ZodTypeProvider>().get(
      '/api/events',
      {
        schema: {
          tags,
          summary:
            'Dashboard change stream (text/event-stream): hello, task, runs, jobs, reset events',
          querystring: eventsQuery,
        },
      },
      async (request, reply) => {
        const after = lastEventId(request.headers['last-event-id']) ?? request.query.after;
        reply.hijack();
        const res = reply.raw;
        res.writeHead(200, {
          'content-type': 'text/event-stream; charset=utf-8',
          'cache-control': 'no-store, no-transform',
          connection: 'keep-alive',
          'x-accel-buffering': 'no',
        });
        open.add(res);
        // Live entries arrive while the replay is read: held back until it is written.
        let held: HubEvent[] | null = [];
        const write = (text: string) => {
          if (!res.writableEnded) res.write(text);
        };
        let closed = false;
        let cleanup = () => undefined as void;
        res.on('close', () => {
          closed = true;
          open.delete(res);
          cleanup();
        });
        const subscribed = await hub
          .subscribe((e) => (held ? held.push(e) : write(hubEvent(e))))
          .catch((err: unknown) => {
            request.log.warn({ err }, 'dashboard event stream could not start');
            res.end();
            return null;
          });
        if (!subscribed) return;
        const { cursor, unsubscribe } = subscribed;
        const keepAlive = setInterval(() => write(': keepalive\n\n'), o.keepAliveMs ?? 15_000);
        cleanup = () => {
          clearInterval(keepAlive);
          unsubscribe();
        };
        // The client left while the hub was starting.
        if (closed) return cleanup();
        write(`retry: 2000\n\n${sseEvent(JSON.stringify({ last_event_id: cursor }), 'hello')}`);
        try {
          if (after !== undefined) write(await replay(feed, after, cursor));
        } catch (err) {
          request.log.warn({ err }, 'dashboard event replay failed');
          write(sseEvent('{}', 'reset'));
        }
        for (const e of held) write(hubEvent(e));
        held = null;
      },
    );
  };
}
