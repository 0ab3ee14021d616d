/**
 * Human-readable log lines for a terminal: `HH:MM:SS.mmm LEVEL msg key=value …`, an error's stack
 * on the lines below. It formats pino's finished JSON lines, so redaction (`REDACT`, `redactUrl`)
 * has already been applied to everything it prints.
 */

const LEVEL_LABELS: Readonly<Record<number, string>> = {
  10: 'TRACE',
  20: 'DEBUG',
  30: 'INFO',
  40: 'WARN',
  50: 'ERROR',
  60: 'FATAL',
};

/** Keys pino adds to every record that the line shows elsewhere or not at all. */
const OWN_KEYS = new Set(['level', 'time', 'msg', 'pid', 'hostname', 'v']);

/** Past this many characters, object-valued fields go on lines of their own. */
const MAX_LINE_CHARS = 120;

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/** Pure: local wall-clock time `HH:MM:SS.mmm` of an epoch-ms timestamp. */
export function clockTime(ms: number): string {
  const d = new Date(ms);
  const hms = [d.getHours(), d.getMinutes(), d.getSeconds()].map((n) => pad(n)).join(':');
  return `${hms}.${pad(d.getMilliseconds(), 3)}`;
}

/** A serialized error's fields that its stack already shows (`Type: message` is its first line). */
const ERROR_SHOWN_IN_STACK = new Set(['type', 'message', 'stack']);

/** pino's `msg` is a string; anything else is shown as JSON. */
function message(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

function scalar(value: unknown): string {
  if (typeof value === 'string') return /^[^\s"=]+$/.test(value) ? value : JSON.stringify(value);
  if (typeof value === 'object' && value !== null) return JSON.stringify(value);
  return String(value);
}

/** pino's `err` serializer output: `{ type, message, stack, …own fields }`. */
interface SerializedError {
  stack: string;
  [key: string]: unknown;
}

function isSerializedError(value: unknown): value is SerializedError {
  const v = value as Partial<SerializedError> | null;
  return typeof v === 'object' && v !== null && typeof v.stack === 'string';
}

/**
 * Pure: one pino JSON record as a human-readable line (no trailing newline). Scalars follow the
 * message as `key=value` (strings quoted when they hold spaces, quotes or `=`); objects as
 * compact JSON, each on its own indented line when the line would pass 120 characters. A
 * serialized error (`{ type, message, stack }`) shows its other fields inline (`err.code=…`)
 * and its stack below, indented. A line that is not a JSON object is returned unchanged.
 */
export function formatLogLine(line: string): string {
  let record: unknown;
  try {
    record = JSON.parse(line);
  } catch {
    return line;
  }
  if (typeof record !== 'object' || record === null || Array.isArray(record)) return line;
  const r = record as Record<string, unknown>;
  const time = typeof r.time === 'number' ? clockTime(r.time) : '--:--:--.---';
  const level = typeof r.level === 'number' ? (LEVEL_LABELS[r.level] ?? `L${r.level}`) : 'LOG';
  const head = [time, level.padEnd(5), ...(r.msg === undefined ? [] : [message(r.msg)])];
  const inline: string[] = [];
  const objects: string[] = [];
  const stacks: string[] = [];
  for (const [key, value] of Object.entries(r)) {
    if (OWN_KEYS.has(key) || value === undefined) continue;
    if (isSerializedError(value)) {
      for (const [k, v] of Object.entries(value))
        if (!ERROR_SHOWN_IN_STACK.has(k)) inline.push(`${key}.${k}=${scalar(v)}`);
      stacks.push(value.stack);
    } else if (typeof value === 'object' && value !== null) {
      objects.push(`${key}=${JSON.stringify(value)}`);
    } else {
      inline.push(`${key}=${scalar(value)}`);
    }
  }
  const oneLine = [...head, ...inline, ...objects].join(' ');
  const out =
    oneLine.length <= MAX_LINE_CHARS || objects.length === 0
      ? [oneLine]
      : [[...head, ...inline].join(' '), ...objects.map((o) => `    ${o}`)];
  for (const stack of stacks) out.push(...stack.split('\n').map((l) => `  ${l}`));
  return out.join('\n');
}

/** Where formatted lines are written (a pino destination, `process.stderr`, a test sink). */
export interface LineSink {
  write(chunk: string): unknown;
  flushSync?: () => void;
}

/**
 * A pino destination stream that writes every record to `out` as a `formatLogLine` line. pino
 * writes one complete JSON line per `write`; a chunk holding several is split.
 */
export function prettyLogStream(out: LineSink): LineSink {
  return {
    write(chunk: string) {
      const lines = chunk.split('\n').filter((l) => l.length > 0);
      out.write(lines.map((l) => `${formatLogLine(l)}\n`).join(''));
    },
    ...(out.flushSync && { flushSync: () => out.flushSync?.() }),
  };
}
