import {
  ModelApiStub,
  type ModelAnswer,
  type ModelRequest,
  type SseEvent,
} from './model-api-stub.js';

/** What the stub's agent requests (those carrying `tools`) are answered with. */
export const ANTHROPIC_SCENARIOS = [
  'write',
  'err400',
  'err429',
  'err500',
  'err529',
  'hang',
] as const;
export type AnthropicScenario = (typeof ANTHROPIC_SCENARIOS)[number];

/** Token usage the stub reports per message (message_start), and output tokens at message_delta. */
export const STUB_USAGE = {
  input_tokens: 1200,
  cache_creation_input_tokens: 200,
  cache_read_input_tokens: 300,
} as const;
export const STUB_OUTPUT_TOKENS = 42;

/**
 * The Anthropic Messages API (`POST /v1/messages`, streaming) as Claude Code talks to it, on
 * loopback. `write`: the first agent turn answers a `Write` tool call creating `writePath`, the
 * turn after the tool result answers text. Error scenarios answer with the API's error bodies and
 * headers (`retry-after` on 429). Side requests (no `tools`: titles, quota probes) always get a
 * short text answer, so only the agent loop sees the scenario.
 */
export class AnthropicStub extends ModelApiStub {
  #messages = 0;

  constructor(
    readonly scenario: AnthropicScenario,
    readonly opts: { writePath?: string; retryAfterS?: number } = {},
  ) {
    super((req) => this.#route(req));
  }

  /** Requests of the agent loop (those offering tools). */
  agentRequests(): ModelRequest[] {
    return this.requests.filter((r) => r.path === '/v1/messages' && isAgentRequest(r));
  }

  #route(req: ModelRequest): ModelAnswer {
    if (req.method !== 'POST' || req.path !== '/v1/messages') {
      return apiError(404, 'not_found_error', `stub: no route ${req.method} ${req.path}`);
    }
    if (!isAgentRequest(req)) return this.#text('OK');
    switch (this.scenario) {
      case 'write':
        return lastTurnHasToolResult(req)
          ? this.#text('Done: wrote the file.')
          : this.#toolUse('Write', {
              file_path: this.opts.writePath ?? '/tmp/orch-stub-write.txt',
              content: 'written by the real Claude Code CLI\n',
            });
      case 'err400':
        return apiError(400, 'invalid_request_error', 'stub: prompt is malformed');
      case 'err429':
        return apiError(
          429,
          'rate_limit_error',
          'This request would exceed the rate limit for your organization of 50 requests per minute.',
          { 'retry-after': String(this.opts.retryAfterS ?? 7) },
        );
      case 'err500':
        return apiError(500, 'api_error', 'Internal server error');
      case 'err529':
        return apiError(529, 'overloaded_error', 'Overloaded');
      case 'hang':
        return { kind: 'hang' };
    }
  }

  #text(text: string): ModelAnswer {
    return { kind: 'sse', events: this.#message([{ type: 'text', text }], 'end_turn') };
  }

  #toolUse(name: string, input: Record<string, unknown>): ModelAnswer {
    const id = `toolu_stub_${this.#messages + 1}`;
    return {
      kind: 'sse',
      events: this.#message([{ type: 'tool_use', id, name, input }], 'tool_use'),
    };
  }

  /** A whole streamed message: message_start, one block per content item, delta, stop. */
  #message(content: readonly Block[], stopReason: string): SseEvent[] {
    this.#messages += 1;
    const id = `msg_stub_${this.#messages}`;
    const events: SseEvent[] = [
      {
        event: 'message_start',
        data: {
          type: 'message_start',
          message: {
            id,
            type: 'message',
            role: 'assistant',
            model: 'claude-stub-1',
            content: [],
            stop_reason: null,
            stop_sequence: null,
            usage: { ...STUB_USAGE, output_tokens: 1 },
          },
        },
      },
    ];
    content.forEach((block, index) => events.push(...blockEvents(block, index)));
    events.push(
      {
        event: 'message_delta',
        data: {
          type: 'message_delta',
          delta: { stop_reason: stopReason, stop_sequence: null },
          usage: { output_tokens: STUB_OUTPUT_TOKENS },
        },
      },
      { event: 'message_stop', data: { type: 'message_stop' } },
    );
    return events;
  }
}

type Block =
  | { type: 'text'; text: string }
  | { type: 'tool_use'; id: string; name: string; input: Record<string, unknown> };

function blockEvents(block: Block, index: number): SseEvent[] {
  const start =
    block.type === 'text'
      ? { type: 'text', text: '' }
      : { type: 'tool_use', id: block.id, name: block.name, input: {} };
  const delta =
    block.type === 'text'
      ? { type: 'text_delta', text: block.text }
      : { type: 'input_json_delta', partial_json: JSON.stringify(block.input) };
  return [
    {
      event: 'content_block_start',
      data: { type: 'content_block_start', index, content_block: start },
    },
    { event: 'content_block_delta', data: { type: 'content_block_delta', index, delta } },
    { event: 'content_block_stop', data: { type: 'content_block_stop', index } },
  ];
}

/** An Anthropic API error answer: `{type:"error", error:{type, message}}` plus `request-id`. */
function apiError(
  status: number,
  type: string,
  message: string,
  headers: Record<string, string> = {},
): ModelAnswer {
  return {
    kind: 'json',
    status,
    body: { type: 'error', error: { type, message }, request_id: 'req_stub' },
    headers: { 'request-id': 'req_stub', ...headers },
  };
}

function isAgentRequest(req: ModelRequest): boolean {
  const tools = req.body?.tools;
  return Array.isArray(tools) && tools.length > 0;
}

function lastTurnHasToolResult(req: ModelRequest): boolean {
  const messages = req.body?.messages;
  if (!Array.isArray(messages)) return false;
  const last = messages.at(-1) as { content?: unknown } | undefined;
  return (
    Array.isArray(last?.content) &&
    last.content.some((b) => (b as { type?: unknown }).type === 'tool_result')
  );
}
