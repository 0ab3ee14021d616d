import { emptyParsedRun, type OutputParser, type ParsedRun } from '../runner.js';

/**
 * Parses Aider's human output (spec integrations §3.3). Aider has no JSON mode and exits 0 even
 * when the LLM call failed, so the parser collects litellm exception lines as errors and reads the
 * cost line "Tokens: 2.3k sent, 156 received. Cost: $0.01 message, $0.05 session." (the last one
 * wins: it carries the session total). Success is decided by exit code, errors and the gates.
 */
const ERROR_RE =
  /\b(?:litellm\.)?(RateLimitError|APIConnectionError|ServiceUnavailableError|InternalServerError|Timeout|APIError|AuthenticationError|NotFoundError|PermissionDeniedError|BadRequestError|ContextWindowExceededError)\b/;
const TOKENS_RE = /Tokens:\s*([\d.]+)(k|m)?\s+sent,\s*([\d.]+)(k|m)?\s+received/i;
const COST_RE = /Cost:.*?\$([\d.]+)\s+session/i;

function scaled(num: string, unit: string | undefined): number {
  const n = Number(num);
  const factor = unit?.toLowerCase() === 'k' ? 1e3 : unit?.toLowerCase() === 'm' ? 1e6 : 1;
  return Math.round(n * factor);
}

export class AiderParser implements OutputParser {
  #run: ParsedRun = emptyParsedRun();

  line(text: string): void {
    const tokens = TOKENS_RE.exec(text);
    if (tokens) {
      this.#run.inputTokens = scaled(tokens[1]!, tokens[2]);
      this.#run.outputTokens = scaled(tokens[3]!, tokens[4]);
    }
    const cost = COST_RE.exec(text);
    if (cost) this.#run.costUsd = Number(cost[1]);
    if (ERROR_RE.test(text)) this.#run.errors.push(text.trim().slice(0, 500));
  }

  snapshot(): ParsedRun {
    const run = { ...this.#run, errors: [...this.#run.errors] };
    run.isError = run.errors.length > 0;
    if (run.isError) run.resultText = run.errors.at(-1) ?? null;
    return run;
  }
}
