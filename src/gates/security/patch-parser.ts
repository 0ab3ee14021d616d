/** A run of consecutive added lines of one file in one commit's patch. */
export interface AddedBlock {
  readonly file: string;
  /** Line number (in the new file) of the first line of `text`. */
  readonly startLine: number;
  readonly text: string;
  readonly commit: string;
}

/** Marker the built-in scanner puts before each commit (`git log --format=%x00commit %H`). */
export const COMMIT_MARKER = '\u0000commit ';

function unquotePath(raw: string): string {
  // git quotes unusual paths C-style; core.quotePath=false keeps UTF-8, so only escapes remain.
  if (!raw.startsWith('"')) return raw;
  try {
    return JSON.parse(raw) as string;
  } catch {
    return raw.slice(1, -1);
  }
}

function newFilePath(line: string): string | null {
  const raw = line.slice(4).replace(/\t$/, '');
  if (raw === '/dev/null') return null;
  const path = unquotePath(raw);
  return path.startsWith('b/') ? path.slice(2) : path;
}

interface ParserState {
  commit: string;
  file: string | null;
  nextLine: number;
  block: { startLine: number; lines: string[] } | null;
  /** Between `diff --git` and the first `@@`: `+++ ` is a header there, an added line after. */
  inHeader: boolean;
}

function flush(state: ParserState, out: AddedBlock[]): void {
  if (state.block && state.file !== null) {
    const { startLine, lines } = state.block;
    out.push({ file: state.file, startLine, text: lines.join('\n'), commit: state.commit });
  }
  state.block = null;
}

/**
 * Splits `git log -p -U0` output into blocks of added lines (pure). Removed and context lines,
 * binary files and deletions carry nothing to scan; only what a commit adds is a candidate.
 */
export function parseAddedBlocks(patch: string): AddedBlock[] {
  const out: AddedBlock[] = [];
  const state: ParserState = { commit: '', file: null, nextLine: 0, block: null, inHeader: false };
  for (const line of patch.split('\n')) {
    if (line.startsWith(COMMIT_MARKER)) {
      flush(state, out);
      state.commit = line.slice(COMMIT_MARKER.length).trim();
      state.file = null;
      state.inHeader = false;
    } else if (line.startsWith('diff --git ')) {
      flush(state, out);
      state.file = null;
      state.inHeader = true;
    } else if (state.inHeader && line.startsWith('+++ ')) {
      state.file = newFilePath(line);
    } else if (line.startsWith('@@')) {
      flush(state, out);
      state.inHeader = false;
      const m = /^@@ -\d+(?:,\d+)? \+(\d+)(?:,\d+)? @@/.exec(line);
      state.nextLine = m ? Number(m[1]) : 0;
    } else if (!state.inHeader && line.startsWith('+') && state.file !== null) {
      state.block ??= { startLine: state.nextLine, lines: [] };
      state.block.lines.push(line.slice(1));
      state.nextLine += 1;
    } else {
      flush(state, out);
    }
  }
  flush(state, out);
  return out;
}
