import { emptyParsedRun, type OutputParser, type ParsedRun } from '../runner.js';
import {
  addCount,
  asNumber,
  asObject,
  asString,
  parseJsonObject,
  type JsonObject,
} from './json-lines.js';

/**
 * Parses Claude Code `--output-format stream-json --verbose` output (spec integrations §3.1):
 * `system/init` (session id), `assistant`/`user` messages, `rate_limit_event`, and the final
 * `result` (subtype, is_error, total_cost_usd — older builds `cost_usd` — usage, api_error_status).
 * Unknown types and non-JSON lines (stderr is interleaved) are ignored. Token counts come from the
 * result's `usage`; when no result arrives they are summed from per-message usage instead.
 */
export class ClaudeCodeParser implements OutputParser {
  #run: ParsedRun = emptyParsedRun();
  #messageInput: number | null = null;
  #messageOutput: number | null = null;

  line(text: string): void {
    const obj = parseJsonObject(text);
    if (!obj) return;
    const session = asString(obj.session_id);
    if (session && !this.#run.sessionId) this.#run.sessionId = session;
    switch (obj.type) {
      case 'result':
        this.#result(obj);
        break;
      case 'rate_limit_event':
        this.#rateLimit(asObject(obj.rate_limit_info) ?? {});
        break;
      case 'assistant':
        this.#assistant(obj);
        break;
      default:
        break;
    }
  }

  snapshot(): ParsedRun {
    const run = { ...this.#run, errors: [...this.#run.errors] };
    if (!run.resultSeen) {
      run.inputTokens = this.#messageInput;
      run.outputTokens = this.#messageOutput;
    }
    return run;
  }

  #result(obj: JsonObject): void {
    const r = this.#run;
    r.resultSeen = true;
    r.subtype = asString(obj.subtype);
    r.isError = typeof obj.is_error === 'boolean' ? obj.is_error : r.subtype !== 'success';
    r.resultText = asString(obj.result);
    r.costUsd = asNumber(obj.total_cost_usd) ?? asNumber(obj.cost_usd);
    r.apiErrorStatus = asNumber(obj.api_error_status);
    const usage = asObject(obj.usage);
    if (usage) {
      r.inputTokens = sumInput(usage);
      r.outputTokens = asNumber(usage.output_tokens);
    }
    if (Array.isArray(obj.errors)) {
      for (const e of obj.errors) {
        const s = typeof e === 'string' ? e : asString(asObject(e)?.message);
        if (s) r.errors.push(s);
      }
    }
  }

  #rateLimit(info: JsonObject): void {
    const status = asString(info.status) ?? 'unknown';
    // Keep a rejection once seen: a later "allowed" line must not hide that the cap was hit.
    if (this.#run.rateLimit?.status === 'rejected' && status !== 'rejected') return;
    const resetsAtS = asNumber(info.resetsAt);
    this.#run.rateLimit = {
      status,
      // resetsAt is epoch seconds (agent-swarm PR #508); accept milliseconds defensively.
      resetsAtMs: resetsAtS === null ? null : resetsAtS > 1e11 ? resetsAtS : resetsAtS * 1000,
      type: asString(info.rateLimitType),
    };
  }

  #assistant(obj: JsonObject): void {
    const message = asObject(obj.message);
    const usage = asObject(message?.usage);
    if (usage) {
      this.#messageInput = addCount(this.#messageInput, sumInput(usage));
      this.#messageOutput = addCount(this.#messageOutput, asNumber(usage.output_tokens));
    }
    if (obj.error !== undefined && obj.is_api_error_message === true) {
      this.#run.errors.push(typeof obj.error === 'string' ? obj.error : JSON.stringify(obj.error));
    }
  }
}

/** Input tokens including cache reads and writes (all are billed input). */
function sumInput(usage: JsonObject): number | null {
  let total: number | null = null;
  for (const key of ['input_tokens', 'cache_creation_input_tokens', 'cache_read_input_tokens']) {
    total = addCount(total, asNumber(usage[key]));
  }
  return total;
}
