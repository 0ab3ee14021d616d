import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request as the stub received it. */
export interface RecordedRequest {
  method: string;
  /** Path without the query string. */
  path: string;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  rawBody: Buffer;
  /** Parsed JSON body, or null. */
  body: unknown;
}

export interface StubResponse {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export type StubHandler = (req: RecordedRequest) => StubResponse;

/** Answers a request itself (streaming, CGI…); false: the JSON handler answers it. */
export type RawStubHandler = (req: IncomingMessage, body: Buffer, res: ServerResponse) => boolean;

/**
 * A loopback HTTP server on an ephemeral port that records every request and answers through a
 * handler. `failNext` scripts one-off answers (429, 5xx…) ahead of the handler, in order.
 */
export class StubServer {
  readonly requests: RecordedRequest[] = [];
  readonly #server: Server;
  readonly #scripted: { match: (r: RecordedRequest) => boolean; res: StubResponse }[] = [];
  #handler: StubHandler;

  constructor(handler: StubHandler, raw?: RawStubHandler) {
    this.#handler = handler;
    this.#server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks);
        if (!raw?.(req, body, res)) this.#answer(req, body, res);
      });
    });
  }

  get url(): string {
    const addr = this.#server.address() as AddressInfo | null;
    if (!addr) throw new Error('stub server not started');
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

  /** The next request matching `match` (default: any) gets `res` instead of the handler's answer. */
  failNext(res: StubResponse, match: (r: RecordedRequest) => boolean = () => true): void {
    this.#scripted.push({ match, res });
  }

  requestsTo(method: string, pathPattern: RegExp): RecordedRequest[] {
    return this.requests.filter((r) => r.method === method && pathPattern.test(r.path));
  }

  #answer(req: IncomingMessage, rawBody: Buffer, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://stub');
    let body: unknown = null;
    try {
      body = rawBody.length > 0 ? JSON.parse(rawBody.toString('utf8')) : null;
    } catch {
      body = null;
    }
    const recorded: RecordedRequest = {
      method: req.method ?? 'GET',
      path: url.pathname,
      query: url.searchParams,
      headers: req.headers,
      rawBody,
      body,
    };
    this.requests.push(recorded);
    const i = this.#scripted.findIndex((s) => s.match(recorded));
    let out: StubResponse;
    if (i >= 0) out = this.#scripted.splice(i, 1)[0]!.res;
    else {
      try {
        out = this.#handler(recorded);
      } catch (err) {
        out = { status: 500, body: { message: String(err) } };
      }
    }
    const payload = out.body === undefined ? '' : JSON.stringify(out.body);
    res.writeHead(out.status, {
      ...(payload === '' ? {} : { 'content-type': 'application/json' }),
      ...out.headers,
    });
    res.end(payload);
  }
}
