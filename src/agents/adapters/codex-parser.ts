import { emptyParsedRun, type OutputParser, type ParsedRun } from '../runner.js';
import { addCount, asNumber, asObject, asString, parseJsonObject } from './json-lines.js';

/**
 * Parses `codex exec --json` JSONL (spec integrations §3.2): `thread.started` (session id),
 * `item.completed` agent messages (result text), `turn.completed` usage (summed over turns),
 * `turn.failed` / top-level `error` (error messages; codex exits 1 after any). Codex reports no
 * dollar cost, so `costUsd` stays null. Non-JSON lines (progress on stderr) are ignored.
 */
export class CodexParser implements OutputParser {
  #run: ParsedRun = emptyParsedRun();
  #failed = false;

  line(text: string): void {
    const obj = parseJsonObject(text);
    if (!obj) return;
    const r = this.#run;
    switch (obj.type) {
      case 'thread.started':
        r.sessionId = asString(obj.thread_id) ?? r.sessionId;
        break;
      case 'item.completed': {
        const item = asObject(obj.item);
        if (item?.type === 'agent_message') r.resultText = asString(item.text) ?? r.resultText;
        if (item?.type === 'error') this.#error(asString(item.message));
        break;
      }
      case 'turn.completed': {
        const usage = asObject(obj.usage);
        r.resultSeen = true;
        r.inputTokens = addCount(r.inputTokens, asNumber(usage?.input_tokens));
        r.outputTokens = addCount(r.outputTokens, asNumber(usage?.output_tokens));
        break;
      }
      case 'turn.failed':
        r.resultSeen = true;
        this.#error(asString(asObject(obj.error)?.message));
        break;
      case 'error':
        this.#error(asString(obj.message));
        break;
      default:
        break;
    }
  }

  #error(message: string | null): void {
    this.#failed = true;
    this.#run.errors.push(message ?? 'unknown codex error');
  }

  snapshot(): ParsedRun {
    const run = { ...this.#run, errors: [...this.#run.errors] };
    if (run.resultSeen) {
      run.isError = this.#failed;
      run.subtype = this.#failed ? 'error' : 'success';
      if (this.#failed) run.resultText = run.errors.at(-1) ?? run.resultText;
    }
    return run;
  }
}
