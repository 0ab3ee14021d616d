import { emptyParsedRun, type OutputParser, type ParsedRun } from '../runner.js';
import {
  addCount,
  asNumber,
  asObject,
  asString,
  parseJsonObject,
  type JsonObject,
} from './json-lines.js';

/** "…last status: 429 Too Many Requests…" in codex's retry messages. */
const LAST_STATUS_RE = /last status:\s*(\d{3})\b/i;

/**
 * A codex error message made readable: the API's JSON error body (`{"error":{"message","type"}}`,
 * passed through verbatim on a 4xx) becomes "<type>: <message>"; anything else is kept.
 */
export function readableCodexError(message: string): string {
  const body = parseJsonObject(message);
  const err = asObject(body?.error);
  const text = asString(err?.message);
  if (!text) return message;
  const type = asString(err?.type) ?? asString(err?.code);
  return type ? `${type}: ${text}` : text;
}

/**
 * Parses `codex exec --json` JSONL (spec integrations §3.2, checked against codex 0.171):
 * `thread.started` (session id), `item.completed` agent messages (result text), `turn.completed`
 * usage (summed over turns), `turn.failed` (the failure). Top-level `error` events and `error`
 * items are notices: codex prints them for retries ("Reconnecting… 2/5 (…)") and warnings
 * ("Model metadata … not found") and may still complete the turn and exit 0. They only become the
 * failure when no turn completes after them. Codex reports no dollar cost, so `costUsd` stays
 * null. Non-JSON lines (progress on stderr) are ignored.
 */
export class CodexParser implements OutputParser {
  #run: ParsedRun = emptyParsedRun();
  #turnFailed = false;
  /** Error events since the last completed turn. */
  #pending: string[] = [];

  line(text: string): void {
    const obj = parseJsonObject(text);
    if (!obj) return;
    const r = this.#run;
    switch (obj.type) {
      case 'thread.started':
        r.sessionId = asString(obj.thread_id) ?? r.sessionId;
        break;
      case 'item.completed':
        this.#item(asObject(obj.item));
        break;
      case 'turn.completed':
        this.#turnCompleted(obj);
        break;
      case 'turn.failed':
        r.resultSeen = true;
        this.#turnFailed = true;
        r.errors.push(
          readableCodexError(asString(asObject(obj.error)?.message) ?? 'codex turn failed'),
        );
        break;
      case 'error':
        this.#notice(asString(obj.message) ?? 'unknown codex error');
        break;
      default:
        break;
    }
  }

  #item(item: JsonObject | null): void {
    if (item?.type === 'agent_message') {
      this.#run.resultText = asString(item.text) ?? this.#run.resultText;
    }
    if (item?.type === 'error') this.#notice(asString(item.message) ?? 'unknown codex error');
  }

  #turnCompleted(obj: JsonObject): void {
    const r = this.#run;
    const usage = asObject(obj.usage);
    r.resultSeen = true;
    r.inputTokens = addCount(r.inputTokens, asNumber(usage?.input_tokens));
    r.outputTokens = addCount(r.outputTokens, asNumber(usage?.output_tokens));
    this.#pending = [];
  }

  #notice(message: string): void {
    const text = readableCodexError(message);
    this.#run.notices.push(text);
    this.#pending.push(text);
    const status = LAST_STATUS_RE.exec(text);
    if (status) this.#run.apiErrorStatus = Number(status[1]);
  }

  snapshot(): ParsedRun {
    const run = { ...this.#run, errors: [...this.#run.errors], notices: [...this.#run.notices] };
    // Error events nothing completed after: the run ended on them (killed, or exit 1 without a
    // turn.failed line).
    if (!this.#turnFailed && this.#pending.length > 0) run.errors.push(...this.#pending);
    if (run.resultSeen) {
      run.isError = this.#turnFailed;
      run.subtype = this.#turnFailed ? 'error' : 'success';
      if (this.#turnFailed) run.resultText = run.errors.at(-1) ?? run.resultText;
    }
    if (run.apiErrorStatus === null) {
      const m = LAST_STATUS_RE.exec(run.errors.join('\n'));
      if (m) run.apiErrorStatus = Number(m[1]);
    }
    return run;
  }
}
