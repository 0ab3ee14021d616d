import { emptyParsedRun, type OutputParser, type ParsedRun } from '../runner.js';
import {
  addCount,
  asNumber,
  asObject,
  asString,
  parseJsonObject,
  type JsonObject,
} from './json-lines.js';

/** "API Error: 500 …", "API Error: Repeated 529 Overloaded errors", "Request rejected (429)". */
const API_STATUS_RE = /API Error:\s*(?:Repeated\s+)?(\d{3})\b|Request rejected \((\d{3})\)/i;

/** The HTTP status named in a Claude Code API error text, or null. */
export function apiStatusFromText(text: string | null): number | null {
  const m = API_STATUS_RE.exec(text ?? '');
  return m ? Number(m[1] ?? m[2]) : null;
}

/**
 * Parses Claude Code `--output-format stream-json --verbose` output (spec integrations §3.1):
 * `system/init` (session id), `system/api_retry` (the CLI's own retries: `retry_delay_ms`, which
 * honours `retry-after`, and `error_status`), `assistant`/`user` messages, `rate_limit_event`, and
 * the final `result` (subtype, is_error, total_cost_usd — older builds `cost_usd` — usage,
 * api_error_status). An API failure ends in `subtype: "success"` with `is_error: true` (2.1.197).
 * Unknown types and non-JSON lines (stderr is interleaved) are ignored. Token counts come from the
 * result's `usage`; without a result they are summed once per message id, because the CLI prints
 * one `assistant` line per content block, each repeating its message's usage.
 */
export class ClaudeCodeParser implements OutputParser {
  #run: ParsedRun = emptyParsedRun();
  readonly #messageUsage = new Map<string, { input: number | null; output: number | null }>();
  #retryStatus: number | null = null;

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
      case 'system':
        if (obj.subtype === 'api_retry') this.#apiRetry(obj);
        break;
      default:
        break;
    }
  }

  snapshot(): ParsedRun {
    const run = { ...this.#run, errors: [...this.#run.errors], notices: [...this.#run.notices] };
    if (!run.resultSeen) {
      let input: number | null = null;
      let output: number | null = null;
      for (const u of this.#messageUsage.values()) {
        input = addCount(input, u.input);
        output = addCount(output, u.output);
      }
      run.inputTokens = input;
      run.outputTokens = output;
    }
    if (run.apiErrorStatus === null && run.isError !== false) {
      run.apiErrorStatus = apiStatusFromText(run.resultText) ?? this.#retryStatus;
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

  #apiRetry(obj: JsonObject): void {
    const delayMs = asNumber(obj.retry_delay_ms);
    if (delayMs !== null) this.#run.retryAfterMs = Math.ceil(delayMs);
    this.#retryStatus = asNumber(obj.error_status) ?? this.#retryStatus;
    const attempt = asNumber(obj.attempt);
    const max = asNumber(obj.max_retries);
    this.#run.notices.push(
      `API retry ${attempt ?? '?'}/${max ?? '?'}: ${asString(obj.error) ?? 'error'} ` +
        `(status ${asNumber(obj.error_status) ?? 'none'}, retry in ${delayMs === null ? '?' : Math.round(delayMs)} ms)`,
    );
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
      const id = asString(message?.id) ?? `line-${this.#messageUsage.size}`;
      const prev = this.#messageUsage.get(id);
      const output = asNumber(usage.output_tokens);
      // Repeats of one message carry the same usage; keep the largest output count seen.
      this.#messageUsage.set(id, {
        input: sumInput(usage),
        output: prev?.output != null && output !== null ? Math.max(prev.output, output) : output,
      });
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
