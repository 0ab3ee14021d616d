import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { IntakeResult, WebhookIntake } from '../../integrations/webhooks/webhook-intake.js';
import type { WebhookSource } from '../../integrations/webhooks/signature.js';
import { assertNever } from '../../errors.js';
import { classifyError } from '../errors.js';

/** Result → HTTP. Accepted is 202 (queued, not yet processed); duplicate and ignored are 200. */
export function replyForIntake(result: IntakeResult): { status: number; body: unknown } {
  switch (result.kind) {
    case 'accepted':
      return { status: 202, body: { status: 'accepted', jobId: result.jobId } };
    case 'duplicate':
      return { status: 200, body: { status: 'duplicate' } };
    case 'ignored':
      return { status: 200, body: { status: 'ignored', reason: result.reason } };
    case 'rejected':
      return {
        status: result.status,
        body: { error: { code: result.code, message: result.message } },
      };
    default:
      return assertNever(result, 'intake result');
  }
}

/**
 * `POST /webhook/plane`, `POST /webhook/gitea` and `POST /webhook/github`. Bodies are kept as raw
 * bytes (any content type) because signatures are computed over the exact bytes sent; the intake
 * parses JSON itself.
 * The content-type parser and error handler are scoped to this plugin (Fastify encapsulation),
 * so the rest of the server keeps its JSON parser.
 */
export function webhookRoutes(intake: WebhookIntake): FastifyPluginAsync {
  return (app: FastifyInstance) => {
    app.removeAllContentTypeParsers();
    app.addContentTypeParser(
      '*',
      { parseAs: 'buffer', bodyLimit: intake.maxBodyBytes },
      (_req: FastifyRequest, body: Buffer, done: (err: Error | null, body?: Buffer) => void) => {
        done(null, body);
      },
    );
    app.setErrorHandler((err: unknown, request: FastifyRequest, reply: FastifyReply) => {
      const { status, body, fault } = classifyError(err);
      if (fault) request.log.error({ err }, 'webhook request failed');
      return reply.code(status).send(body);
    });
    const handle = (source: WebhookSource) => async (req: FastifyRequest, reply: FastifyReply) => {
      const rawBody = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      const result = await intake.receive({ source, headers: req.headers, rawBody });
      const { status, body } = replyForIntake(result);
      return reply.code(status).send(body);
    };
    app.post('/webhook/plane', handle('plane'));
    app.post('/webhook/gitea', handle('gitea'));
    app.post('/webhook/github', handle('github'));
    return Promise.resolve();
  };
}
