import type { AgentOutcome, KillReason, ParsedRun } from '../agents/runner.js';

/**
 * Classifies a finished agent run (spec §12 "transient regex list", integrations §3.1 failure
 * table, checked against Claude Code 2.1.197 and Codex 0.171). Pure. Order: quota → parsed result
 * → watchdog kill → exit code. Exit code 0 is never proof of success for an adapter that promises
 * a result line: `is_error: true` with exit 0 fails. An API status decides before text: 408, 429
 * and every 5xx (500 "usually temporary", 529 overloaded) are transient, other 4xx permanent.
 */
export interface ClassifyInput {
  parsed: ParsedRun;
  exitCode: number | null;
  killReason: KillReason | null;
  /** Adapter contract: a run without a final result is a failure even on exit 0. */
  requiresResult: boolean;
  /** The last bytes of the run log (stdout and stderr), for text patterns. */
  logTail: string;
  nowMs: number;
  /** Pause used when a quota is exhausted but no reset time is known. */
  defaultQuotaPauseMs: number;
}

const TRANSIENT_PATTERNS: readonly RegExp[] = [
  /\b429\b/i,
  /rate[\s_-]*limit/i,
  /overloaded/i,
  /too many requests/i,
  /quota/i,
  /retry[\s-]*after/i,
  /service unavailable/i,
  /\b503\b/,
  /\b529\b/,
  /timed out/i,
  /timeout/i,
  /connection (reset|refused|error|aborted)/i,
  /temporarily unavailable/i,
  /econnreset/i,
  /etimedout/i,
  // Claude Code: "server-side issue, usually temporary"; Codex: "high demand … temporary errors".
  /\btemporar(?:y|ily)\b/i,
  /server[\s-]side issue/i,
  /high demand/i,
  /internal server error/i,
  /(?:api error:?|status:?)\s*5\d\d\b/i,
];

/**
 * Account and session caps (not per-minute organisation limits): Claude "usage limit
 * reached|<epoch>", "hit your (session) limit", a 429 on the unified subscription limit ("would
 * exceed your account's rate limit"), Codex's usage-limit message.
 */
const QUOTA_PATTERNS: readonly RegExp[] = [
  /usage limit reached/i,
  /hit your (?:session |usage |weekly )?limit/i,
  /exceed your account'?s rate limit/i,
];

const RETRY_AFTER_RE = /retry[\s_-]*after["']?\s*[:=]?\s*["']?\s*(\d+)/i;
const USAGE_LIMIT_EPOCH_RE = /usage limit reached\|(\d{9,13})/i;

export function isTransientText(text: string): boolean {
  return TRANSIENT_PATTERNS.some((re) => re.test(text));
}

export function isQuotaText(text: string): boolean {
  return QUOTA_PATTERNS.some((re) => re.test(text));
}

/** Retry-After in seconds, as found in a log or error text; null when absent. */
export function retryAfterMsFromText(text: string): number | null {
  const m = RETRY_AFTER_RE.exec(text);
  return m ? Number(m[1]) * 1000 : null;
}

/** Whether an HTTP status from a model API is worth retrying later. */
export function isTransientStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

/** When a paused kind may run again: the CLI's reset time, else the server's delay, else default. */
function quotaResumeAtMs(input: ClassifyInput, text: string): number {
  const reset = input.parsed.rateLimit?.resetsAtMs ?? null;
  if (reset !== null && reset > input.nowMs) return reset;
  const epoch = USAGE_LIMIT_EPOCH_RE.exec(text);
  if (epoch) {
    const n = Number(epoch[1]);
    const ms = n > 1e11 ? n : n * 1000;
    if (ms > input.nowMs) return ms;
  }
  const delayMs = retryDelayMs(input, text);
  if (delayMs !== null && delayMs > 0) return input.nowMs + delayMs;
  return input.nowMs + input.defaultQuotaPauseMs;
}

/** The server's requested delay: as the CLI reported it (api_retry), else as echoed in text. */
function retryDelayMs(input: ClassifyInput, text: string): number | null {
  return input.parsed.retryAfterMs ?? retryAfterMsFromText(text);
}

function failureText(input: ClassifyInput): string {
  const p = input.parsed;
  return [p.resultText ?? '', ...p.errors, ...p.notices].join('\n');
}

function classifyFailure(input: ClassifyInput, reason: string, text: string): AgentOutcome {
  const status = input.parsed.apiErrorStatus;
  if (isQuotaText(text)) {
    return { kind: 'quota', reason, resumeAtMs: quotaResumeAtMs(input, text) };
  }
  const transient = status !== null ? isTransientStatus(status) : isTransientText(text);
  if (transient) return { kind: 'transient', reason, retryAfterMs: retryDelayMs(input, text) };
  return { kind: 'permanent', reason };
}

/** "API error 500: Internal server error…" for an API failure, else "agent result <subtype>: …". */
function resultReason(p: ParsedRun): string {
  const text = p.resultText ?? p.errors.at(-1) ?? null;
  if (p.apiErrorStatus !== null) {
    const bare = (text ?? '').replace(/^\s*API Error:\s*(?:\d{3}\b\s*)?/i, '');
    return `API error ${p.apiErrorStatus}: ${short(bare)}`;
  }
  return `agent result ${p.subtype ?? 'error'}: ${short(text)}`;
}

function short(text: string | null): string {
  const t = (text ?? '').trim().replace(/\s+/g, ' ');
  return t.length > 300 ? `${t.slice(0, 300)}…` : t;
}

export function classifyRun(input: ClassifyInput): AgentOutcome {
  const p = input.parsed;
  if (p.rateLimit?.status === 'rejected' && p.isError !== false) {
    const reason = `quota exhausted (${p.rateLimit.type ?? 'rate limit'} rejected)`;
    return { kind: 'quota', reason, resumeAtMs: quotaResumeAtMs(input, failureText(input)) };
  }
  if (p.resultSeen) {
    if (p.isError === false && (p.subtype === null || p.subtype === 'success')) {
      return { kind: 'success' };
    }
    return classifyFailure(input, resultReason(p), failureText(input));
  }
  if (input.killReason !== null) {
    // A hang is not evidence of an API problem: it costs an attempt, not the transient budget,
    // and does not feed the breaker (docs/decisions.md "Agent runner: hangs are permanent").
    return { kind: 'permanent', reason: `killed by watchdog: ${input.killReason}` };
  }
  if (p.errors.length > 0) {
    const reason =
      p.apiErrorStatus !== null
        ? resultReason(p)
        : `agent error: ${short(p.errors.at(-1) ?? null)}`;
    return classifyFailure(input, reason, failureText(input));
  }
  if (input.exitCode === 0) {
    if (!input.requiresResult) return { kind: 'success' };
    const text = input.logTail;
    if (isQuotaText(text)) return classifyFailure(input, 'exit 0 with a usage-limit message', text);
    return { kind: 'permanent', reason: 'exit 0 without a final result line' };
  }
  const reason = `exit code ${input.exitCode ?? 'unknown'}: ${short(input.logTail.slice(-300))}`;
  if (input.logTail.trim() === '') return { kind: 'permanent', reason };
  return classifyFailure(input, reason, input.logTail);
}
