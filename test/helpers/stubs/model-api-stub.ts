import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request a model-API stub received. */
export interface ModelRequest {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  /** Parsed JSON body, or null. */
  body: Record<string, unknown> | null;
}

/** One server-sent event: `event: <event>\ndata: <json>\n\n`. */
export interface SseEvent {
  event: string;
  data: unknown;
}

/**
 * How the stub answers one request:
 * - json: a plain JSON answer (errors: 400/429/500/529 with the API's error body and headers);
 * - sse: a 200 `text/event-stream` answer made of `events`, then the connection ends;
 * - stall: headers and `events` are sent, then nothing more (a stream that stops mid-answer);
 * - hang: nothing is ever sent.
 */
export type ModelAnswer =
  | { kind: 'json'; status: number; body: unknown; headers?: Record<string, string> }
  | { kind: 'sse'; events: readonly SseEvent[] }
  | { kind: 'stall'; events: readonly SseEvent[] }
  | { kind: 'hang' };

export type ModelHandler = (req: ModelRequest) => ModelAnswer;

/**
 * A loopback server for model APIs (Anthropic Messages, OpenAI Responses) that can stream
 * server-sent events, stall or hang. Records every request. Held connections are destroyed on
 * `close()`.
 */
export class ModelApiStub {
  readonly requests: ModelRequest[] = [];
  readonly #server: Server;
  readonly #handler: ModelHandler;

  constructor(handler: ModelHandler) {
    this.#handler = handler;
    this.#server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => this.#answer(req, Buffer.concat(chunks), res));
    });
  }

  get url(): string {
    const addr = this.#server.address() as AddressInfo | null;
    if (!addr) throw new Error('model API stub not started');
    return `http://127.0.0.1:${addr.port}`;
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    return this;
  }

  async close(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #answer(req: IncomingMessage, raw: Buffer, res: ServerResponse): void {
    let body: Record<string, unknown> | null = null;
    try {
      const v = raw.length > 0 ? (JSON.parse(raw.toString('utf8')) as unknown) : null;
      if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
        body = v as Record<string, unknown>;
      }
    } catch {
      body = null;
    }
    const path = new URL(req.url ?? '/', 'http://stub').pathname;
    const recorded: ModelRequest = {
      method: req.method ?? 'GET',
      path,
      headers: req.headers,
      body,
    };
    this.requests.push(recorded);
    const answer = this.#handler(recorded);
    switch (answer.kind) {
      case 'json':
        res.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers });
        res.end(JSON.stringify(answer.body));
        return;
      case 'sse':
      case 'stall':
        res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
        for (const e of answer.events) res.write(sseFrame(e));
        if (answer.kind === 'sse') res.end();
        return;
      case 'hang':
        return;
    }
  }
}

export function sseFrame(e: SseEvent): string {
  return `event: ${e.event}\ndata: ${JSON.stringify(e.data)}\n\n`;
}
