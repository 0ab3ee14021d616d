import { LogController, type FastifyReply, type FastifyRequest } from 'fastify';
import { redactUrl } from '../log.js';

/**
 * Fastify's per-request log lines, quieter: one `request completed` line per request at debug
 * (method, redacted url, status, durationMs), at error for a 5xx or a failed response. Fastify's
 * own logs each request twice at info; measured on a serving instance, 79 % of the log was the
 * dashboard's polling. Error-handler logging (`http/errors.ts`) is unchanged.
 */
export class RequestLogController extends LogController {
  override incomingRequest(request: FastifyRequest): void {
    request.log.trace({ method: request.method, url: redactUrl(request.url) }, 'incoming request');
  }

  override requestCompleted(
    error: Error | null | undefined,
    request: FastifyRequest,
    reply: FastifyReply,
  ): void {
    const fields = {
      method: request.method,
      url: redactUrl(request.url),
      status: reply.statusCode,
      durationMs: Math.round(reply.elapsedTime),
    };
    if (error) reply.log.error({ ...fields, err: error }, 'request completed');
    else if (reply.statusCode >= 500) reply.log.error(fields, 'request completed');
    else reply.log.debug(fields, 'request completed');
  }
}
