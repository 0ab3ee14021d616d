import { readdirSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { extname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { OrchError } from '../../errors.js';
import type { HttpRoutes } from '../deps.js';

/** The dashboard's files: `web/` at the package root (beside `src/` and `dist/`). */
export const WEB_DIR = fileURLToPath(new URL('../../../web/', import.meta.url));

export const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.json': 'application/json; charset=utf-8',
};

/** Same-origin only: the dashboard loads nothing from elsewhere and runs no inline script. */
export const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-cache',
};

/**
 * The whitelist: every file under `dir` with a known content type, by its URL path (`app.js`,
 * `views/tasks.js`). Built once; a request is only ever looked up in it, so no request can name
 * a file outside (no `..`, no symlink games, no dotfiles).
 */
export function webWhitelist(dir: string): Map<string, { file: string; type: string }> {
  const out = new Map<string, { file: string; type: string }>();
  const walk = (d: string) => {
    let names: string[];
    try {
      names = readdirSync(d);
    } catch {
      return;
    }
    for (const name of names) {
      if (name.startsWith('.')) continue;
      const file = join(d, name);
      const st = statSync(file);
      if (st.isDirectory()) walk(file);
      const type = CONTENT_TYPES[extname(name)];
      if (st.isFile() && type) out.set(relative(dir, file).split(sep).join('/'), { file, type });
    }
  };
  walk(dir);
  return out;
}

/**
 * The dashboard, served as plain files (no build step): `GET /` is `web/index.html`, and
 * `GET /web/<path>` any whitelisted file under `web/`.
 */
export function webRoutes(dir: string = WEB_DIR): HttpRoutes {
  const files = webWhitelist(dir);
  return (app: FastifyInstance) => {
    const send = async (path: string, reply: import('fastify').FastifyReply) => {
      const entry = files.get(path);
      if (!entry) throw new OrchError('ROUTE_NOT_FOUND', `no dashboard file ${path}`);
      const body = await readFile(entry.file);
      return reply.headers(SECURITY_HEADERS).type(entry.type).send(body);
    };
    app.get('/', { schema: { hide: true } }, (_request, reply) => send('index.html', reply));
    app.get<{ Params: { '*': string } }>('/web/*', { schema: { hide: true } }, (request, reply) =>
      send(request.params['*'], reply),
    );
  };
}
