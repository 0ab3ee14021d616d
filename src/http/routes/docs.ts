import type { FastifyInstance } from 'fastify';
import { SECURITY_HEADERS } from './web.js';

const PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Orch HTTP API</title>
<link rel="stylesheet" href="/docs/docs.css"><script type="module" src="/docs/docs.js"></script></head>
<body><h1>Orch HTTP API</h1><p>OpenAPI document: <a href="/docs/json">/docs/json</a></p>
<ul id="ops"></ul><pre id="doc">loading…</pre></body></html>`;

const STYLE = `body{font:14px system-ui,sans-serif;margin:2rem;max-width:70rem}code,pre{background:#f4f4f4}
li{margin:.2rem 0}pre{padding:1rem;overflow:auto}`;

const SCRIPT = `const doc = await (await fetch('/docs/json')).json();
const ops = document.getElementById('ops');
for (const [path, item] of Object.entries(doc.paths || {}))
  for (const [method, op] of Object.entries(item)) {
    const li = document.createElement('li');
    li.textContent = method.toUpperCase() + ' ' + path + (op.summary ? ' — ' + op.summary : '');
    ops.appendChild(li);
  }
document.getElementById('doc').textContent = JSON.stringify(doc, null, 2);
`;

/**
 * `GET /docs` (a minimal page under the dashboard's CSP: its script and style are files, nothing
 * inline) and `GET /docs/json` (OpenAPI generated from the zod schemas).
 */
export function docsRoutes(app: FastifyInstance): void {
  app.get('/docs/json', { schema: { hide: true } }, () => app.swagger());
  app.get('/docs', { schema: { hide: true } }, (_request, reply) =>
    reply.headers(SECURITY_HEADERS).type('text/html; charset=utf-8').send(PAGE),
  );
  app.get('/docs/docs.js', { schema: { hide: true } }, (_request, reply) =>
    reply.headers(SECURITY_HEADERS).type('text/javascript; charset=utf-8').send(SCRIPT),
  );
  app.get('/docs/docs.css', { schema: { hide: true } }, (_request, reply) =>
    reply.headers(SECURITY_HEADERS).type('text/css; charset=utf-8').send(STYLE),
  );
}
