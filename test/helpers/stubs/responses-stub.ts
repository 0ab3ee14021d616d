import {
  ModelApiStub,
  type ModelAnswer,
  type ModelRequest,
  type SseEvent,
} from './model-api-stub.js';

/** What the stub answers Codex's `POST /v1/responses` with. */
export const RESPONSES_SCENARIOS = [
  'write',
  'flaky500',
  'err400',
  'err429',
  'err500',
  'hang',
] as const;
export type ResponsesScenario = (typeof RESPONSES_SCENARIOS)[number];

/** Usage the stub reports on `response.completed`. */
export const RESPONSES_USAGE = {
  input_tokens: 1500,
  input_tokens_details: { cached_tokens: 500 },
  output_tokens: 40,
  output_tokens_details: { reasoning_tokens: 10 },
  total_tokens: 1540,
} as const;

/**
 * The OpenAI Responses API (`POST /v1/responses`, streaming) as Codex talks to it, on loopback.
 * `write`: the first turn calls the `exec_command` tool to write `hello.txt` in the working directory,
 * the turn after the tool output answers text. `flaky500`: 500 twice, then a text answer. Error
 * scenarios answer with OpenAI's error body (`retry-after` on 429). Anything but
 * `POST /v1/responses` is 404.
 */
export class ResponsesStub extends ModelApiStub {
  #responses = 0;
  #failures = 0;

  constructor(
    readonly scenario: ResponsesScenario,
    readonly opts: { retryAfterS?: number } = {},
  ) {
    super((req) => this.#route(req));
  }

  turnRequests(): ModelRequest[] {
    return this.requests.filter((r) => r.method === 'POST' && r.path === '/v1/responses');
  }

  #route(req: ModelRequest): ModelAnswer {
    if (req.method !== 'POST' || req.path !== '/v1/responses') {
      return apiError(404, 'invalid_request_error', `stub: no route ${req.method} ${req.path}`);
    }
    switch (this.scenario) {
      case 'write':
        return hasToolOutput(req)
          ? this.#answer([messageItem('Wrote hello.txt.')])
          : this.#answer([execCommand('printf "written by codex\\n" > hello.txt')]);
      case 'flaky500':
        if (this.#failures < 2) {
          this.#failures += 1;
          return apiError(500, 'server_error', 'The server had an error processing your request.');
        }
        return this.#answer([messageItem('Hello from the Responses stub.')]);
      case 'err400':
        return apiError(400, 'invalid_request_error', 'stub: invalid request');
      case 'err429':
        return apiError(429, 'rate_limit_exceeded', 'Rate limit reached for requests', {
          'retry-after': String(this.opts.retryAfterS ?? 7),
        });
      case 'err500':
        return apiError(500, 'server_error', 'The server had an error processing your request.');
      case 'hang':
        return { kind: 'hang' };
    }
  }

  /** A streamed response: created, one output_item.done per item, completed with usage. */
  #answer(items: readonly Record<string, unknown>[]): ModelAnswer {
    this.#responses += 1;
    const id = `resp_stub_${this.#responses}`;
    const events: SseEvent[] = [
      { event: 'response.created', data: { type: 'response.created', response: { id } } },
    ];
    items.forEach((item, i) =>
      events.push({
        event: 'response.output_item.done',
        data: { type: 'response.output_item.done', output_index: i, item },
      }),
    );
    events.push({
      event: 'response.completed',
      data: { type: 'response.completed', response: { id, usage: RESPONSES_USAGE } },
    });
    return { kind: 'sse', events };
  }
}

function messageItem(text: string): Record<string, unknown> {
  return {
    type: 'message',
    role: 'assistant',
    id: 'msg_stub',
    content: [{ type: 'output_text', text, annotations: [] }],
  };
}

/** A call of Codex 0.171's `exec_command` tool (`cmd` is a shell command line). */
function execCommand(cmd: string): Record<string, unknown> {
  return {
    type: 'function_call',
    id: 'fc_stub',
    call_id: 'call_stub_1',
    name: 'exec_command',
    arguments: JSON.stringify({ cmd, yield_time_ms: 5_000 }),
  };
}

function apiError(
  status: number,
  type: string,
  message: string,
  headers: Record<string, string> = {},
): ModelAnswer {
  return {
    kind: 'json',
    status,
    body: { error: { message, type, param: null, code: type } },
    headers: { 'x-request-id': 'req_stub', ...headers },
  };
}

function hasToolOutput(req: ModelRequest): boolean {
  const input = req.body?.input;
  return (
    Array.isArray(input) &&
    input.some((i) => (i as { type?: unknown }).type === 'function_call_output')
  );
}
