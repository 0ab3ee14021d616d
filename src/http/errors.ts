import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { isOrchError } from '../errors.js';

/**
 * The one table from stable error codes to HTTP statuses. Codes not listed here are server
 * faults (500, logged); every code a client can cause must be listed.
 */
export const HTTP_STATUS_BY_CODE: Readonly<Record<string, number>> = {
  // request shape
  INVALID_BODY: 400,
  INVALID_PARAMS: 400,
  INVALID_QUERY: 400,
  INVALID_HEADERS: 400,
  INVALID_JSON: 400,
  TENANT_REQUIRED: 400,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  // queue input (src/queue/enqueue-input.ts)
  INVALID_JOB: 400,
  INVALID_KIND: 400,
  INVALID_LABELS: 400,
  INVALID_PRIORITY: 400,
  INVALID_PAYLOAD: 400,
  INVALID_MAX_ATTEMPTS: 400,
  INVALID_AVAILABLE_AT: 400,
  INVALID_IDEMPOTENCY_KEY: 400,
  INVALID_TENANT: 400,
  INVALID_CLAIM: 400,
  INVALID_ARTIFACT: 400,
  INVALID_STAGE: 400,
  UNKNOWN_STAGE: 400,
  // auth
  AUTH_REQUIRED: 401,
  INVALID_TOKEN: 401,
  ADMIN_DISABLED: 403,
  FORBIDDEN: 403,
  HOST_NOT_ALLOWED: 403,
  ORIGIN_NOT_ALLOWED: 403,
  KIND_NOT_ALLOWED: 403,
  // what a token may be granted (src/remote/kind-policy.ts)
  KIND_RESERVED: 400,
  TENANT_RESERVED: 400,
  // lookups (another tenant's rows are "not found", never "forbidden")
  ROUTE_NOT_FOUND: 404,
  JOB_NOT_FOUND: 404,
  RUN_NOT_FOUND: 404,
  ARTIFACT_NOT_FOUND: 404,
  TASK_NOT_FOUND: 404,
  REPO_NOT_FOUND: 404,
  LESSON_NOT_FOUND: 404,
  AGENT_RUN_NOT_FOUND: 404,
  RUN_LOG_UNAVAILABLE: 404,
  TOKEN_NOT_FOUND: 404,
  // state
  LEASE_LOST: 409,
  WEBHOOK_SIGNATURE_INVALID: 401,
  INVALID_TRANSITION: 409,
  // dashboard actions that changed nothing (src/http/routes/task-actions.ts)
  NOTHING_TO_APPROVE: 409,
  NOTHING_TO_REJECT: 409,
  NOTHING_TO_CANCEL: 409,
  NOTHING_TO_RESUME: 409,
  NOT_WAITING_FOR_INPUT: 409,
  NOT_AN_APPROVER: 403,
  GATE_FAILED: 409,
  UNKNOWN_PROJECT: 409,
  // the dashboard's branch reads and filing (issue 19)
  NO_BRANCH: 409,
  PROJECT_NOT_FOUND: 404,
  TRACKER_NOT_LOCAL: 409,
  // dependencies
  DB_UNAVAILABLE: 503,
};

export interface ErrorBody {
  error: { code: string; message: string; details?: unknown };
}

export function statusForCode(code: string): number {
  return HTTP_STATUS_BY_CODE[code] ?? 500;
}

/** Fastify's own request errors (body parsing, limits) → our stable codes. */
const FASTIFY_CODES: Readonly<Record<string, string>> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'INVALID_JSON',
  FST_ERR_CTP_INVALID_JSON_BODY: 'INVALID_JSON',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'INVALID_BODY',
  FST_ERR_BAD_URL: 'INVALID_PARAMS',
};

const VALIDATION_CODES: Readonly<Record<string, string>> = {
  body: 'INVALID_BODY',
  params: 'INVALID_PARAMS',
  querystring: 'INVALID_QUERY',
  headers: 'INVALID_HEADERS',
};

/** Pure: classifies any thrown value as `{ status, body }`; `fault` marks a 500 worth logging. */
export function classifyError(err: unknown): { status: number; body: ErrorBody; fault: boolean } {
  const reply = (code: string, message: string, details?: unknown) => {
    const status = statusForCode(code);
    const error = details === undefined ? { code, message } : { code, message, details };
    return { status, body: { error }, fault: status >= 500 };
  };
  if (isOrchError(err)) return reply(err.code, err.message, err.details);
  if (hasZodFastifySchemaValidationErrors(err)) {
    const ctx = (err as { validationContext?: string }).validationContext ?? 'body';
    const validation = err.validation as { instancePath?: string; message?: string }[];
    const issues = validation.map((v) => ({ path: v.instancePath, message: v.message }));
    return reply(VALIDATION_CODES[ctx] ?? 'INVALID_BODY', err.message, { issues });
  }
  const fe = err as Partial<FastifyError> | null;
  const mapped = fe?.code === undefined ? undefined : FASTIFY_CODES[fe.code];
  if (mapped) return reply(mapped, fe?.message ?? mapped);
  if (typeof fe?.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
    return {
      status: fe.statusCode,
      body: { error: { code: 'BAD_REQUEST', message: fe.message ?? 'bad request' } },
      fault: false,
    };
  }
  return {
    status: 500,
    body: { error: { code: 'INTERNAL', message: 'internal error' } },
    fault: true,
  };
}

/** Installs the error and not-found handlers: every error leaves as `{ error: { code, message } }`. */
export function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((err: unknown, request: FastifyRequest, reply: FastifyReply) => {
    const { status, body, fault } = classifyError(err);
    if (fault) request.log.error({ err }, 'request failed');
    return reply.code(status).send(body);
  });
  app.setNotFoundHandler((request, reply) =>
    reply.code(404).send({
      error: {
        code: 'ROUTE_NOT_FOUND',
        message: `no route ${request.method} ${request.url.split('?')[0]}`,
      },
    }),
  );
}
