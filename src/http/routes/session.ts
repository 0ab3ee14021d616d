import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { isOrchError, OrchError } from '../../errors.js';
import { bearerToken } from '../auth.js';
import type { HttpContext } from '../deps.js';
import { statusForCode } from '../errors.js';
import { sessionCookie, type ReadAccess } from '../read-access.js';

const tags = ['session'];
const sessionBody = z.object({ token: z.string().min(1).max(1000) }).partial();
const loginQuery = z.object({ code: z.string().min(1).max(200) });

const NO_STORE = { 'cache-control': 'no-store', 'referrer-policy': 'no-referrer' };

function secure(request: FastifyRequest): boolean {
  return request.protocol === 'https';
}

/** `POST /api/session` (token → cookie) and `DELETE /api/session` (log out). */
function exchangeRoutes(app: FastifyInstance, access: ReadAccess): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.post(
    '/api/session',
    {
      schema: {
        tags,
        summary:
          'Exchange the admin or viewer token (body `token` or bearer header) for an HttpOnly session cookie',
        body: sessionBody.optional(),
      },
    },
    async (request, reply) => {
      const token = request.body?.token ?? bearerToken(request.headers.authorization);
      if (token === undefined) throw new OrchError('AUTH_REQUIRED', 'send the token to exchange');
      if (!access.isReaderToken(token)) {
        throw new OrchError('INVALID_TOKEN', 'not the admin or viewer token');
      }
      const cookie = sessionCookie(access.issueSession(), secure(request));
      return reply.code(204).headers(NO_STORE).header('set-cookie', cookie).send();
    },
  );
  r.delete(
    '/api/session',
    { schema: { tags, summary: 'Log out: clears the session cookie' } },
    (request, reply) =>
      reply
        .code(204)
        .headers(NO_STORE)
        .header('set-cookie', sessionCookie(null, secure(request)))
        .send(),
  );
}

/** True when the client asked for a page (a browser navigation), not for JSON. */
function acceptsHtml(accept: string | undefined): boolean {
  return accept !== undefined && /\btext\/html\b/.test(accept);
}

/**
 * The dashboard's login: `GET /api/session` (what this browser may read; `read: null` when it
 * must log in), the token exchange, and
 * `GET /login?code=` — a one-time code printed by `orch serve`/`orch demo --serve`, spent on first
 * use, that sets the cookie and redirects to the dashboard (the spent code left in the history is
 * useless).
 */
export function sessionRoutes(app: FastifyInstance, ctx: HttpContext): void {
  const access = ctx.readAccess;
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.get(
    '/api/session',
    {
      schema: {
        tags,
        summary: 'What this request may read: full, public, or null (not logged in)',
      },
    },
    async (request, reply) => {
      // 200 either way: the dashboard asks this before it shows the login page.
      const level = await access.level(request).catch((err: unknown) => {
        if (isOrchError(err) && statusForCode(err.code) === 401) return null;
        throw err;
      });
      return reply.headers(NO_STORE).send({ read: level });
    },
  );
  exchangeRoutes(app, access);
  r.get(
    '/login',
    {
      schema: {
        tags,
        summary: 'Spend a one-time login code: sets the cookie, redirects to /',
        querystring: loginQuery,
      },
    },
    (request, reply) => {
      if (!access.redeemLoginCode(request.query.code)) {
        // A browser following a spent or mistyped link lands on the login page, which says so;
        // other clients get the API's 401.
        if (acceptsHtml(request.headers.accept)) {
          return reply.code(303).headers(NO_STORE).header('location', '/?login=invalid').send();
        }
        throw new OrchError('INVALID_TOKEN', 'this login link is unknown, used or expired');
      }
      const cookie = sessionCookie(access.issueSession(), secure(request));
      return reply
        .code(303)
        .headers(NO_STORE)
        .header('set-cookie', cookie)
        .header('location', '/')
        .send();
    },
  );
}
