import { open, stat } from 'node:fs/promises';
import { resolve, sep } from 'node:path';
import { StringDecoder } from 'node:string_decoder';

/** Bytes read from the end of a log to find its last lines (a line longer than this is cut). */
const TAIL_WINDOW_BYTES = 512 * 1024;
/** Largest chunk one follow step reads; the rest comes on the next step. */
const FOLLOW_CHUNK_BYTES = 256 * 1024;

/**
 * The log file of an agent run, from its `agent_runs.log_path` only, and only if that path lies
 * inside `<dataDir>/runs/` (the runner writes `<dataDir>/runs/<runId>.log`). Null otherwise: a
 * run that has not started yet, or a row written by another replica with another data dir.
 */
export function runLogFile(dataDir: string, logPath: string): string | null {
  if (logPath === '' || logPath.includes('\0')) return null;
  const root = resolve(dataDir, 'runs') + sep;
  const file = resolve(logPath);
  return file.startsWith(root) ? file : null;
}

/** The size of a file, or null when it does not exist (yet). */
export async function fileSize(file: string): Promise<number | null> {
  try {
    return (await stat(file)).size;
  } catch {
    return null;
  }
}

async function readRange(file: string, from: number, to: number): Promise<Buffer> {
  const handle = await open(file, 'r');
  try {
    const buf = Buffer.alloc(Math.max(0, to - from));
    const { bytesRead } = await handle.read(buf, 0, buf.length, from);
    return buf.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

/**
 * The last `lines` complete-or-partial lines of a log and the byte offset after them. A missing
 * file is an empty log.
 */
export async function readLogTail(
  file: string,
  lines: number,
): Promise<{ lines: string[]; endOffset: number; truncated: boolean }> {
  const size = await fileSize(file);
  if (size === null || size === 0) return { lines: [], endOffset: 0, truncated: false };
  const from = Math.max(0, size - TAIL_WINDOW_BYTES);
  const text = (await readRange(file, from, size)).toString('utf8');
  const all = text.split('\n');
  if (all.at(-1) === '') all.pop();
  // A window that starts mid-file starts mid-line: drop that fragment.
  if (from > 0) all.shift();
  const kept = all.slice(-lines);
  return { lines: kept, endOffset: size, truncated: from > 0 || kept.length < all.length };
}

/**
 * Follows a growing log from an offset: each `next()` returns the complete lines appended since,
 * holding back a trailing partial line until its newline arrives (or `flush()` at the end).
 */
export class LogFollower {
  readonly #file: string;
  #offset: number;
  #partial = '';
  // A chunk may end inside a multi-byte character: the decoder keeps it for the next chunk.
  readonly #decoder = new StringDecoder('utf8');

  constructor(file: string, offset: number) {
    this.#file = file;
    this.#offset = offset;
  }

  async next(): Promise<string[]> {
    const size = await fileSize(this.#file);
    if (size === null) return [];
    if (size < this.#offset) this.#offset = 0; // truncated or replaced: start over
    if (size === this.#offset) return [];
    const to = Math.min(size, this.#offset + FOLLOW_CHUNK_BYTES);
    const chunk = await readRange(this.#file, this.#offset, to);
    this.#offset += chunk.length;
    const parts = (this.#partial + this.#decoder.write(chunk)).split('\n');
    this.#partial = parts.pop() ?? '';
    return parts;
  }

  /** Whether bytes are left to read (a follow step reads at most a chunk). */
  async pending(): Promise<boolean> {
    const size = await fileSize(this.#file);
    return size !== null && size > this.#offset;
  }

  /** The held-back partial line, if any (the writer has finished). */
  flush(): string[] {
    const rest = this.#partial + this.#decoder.end();
    this.#partial = '';
    return rest === '' ? [] : [rest];
  }
}
