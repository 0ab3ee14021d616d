import type { TrackerState } from '../tracker/tracker.js';
import { asArray, asString, pick } from '../webhooks/loose-json.js';

/** The label that marks each tracker state on a GitHub issue; exactly one at a time. */
export const GITHUB_STATE_LABELS = {
  in_progress: 'orch:in-progress',
  in_review: 'orch:in-review',
  needs_input: 'orch:needs-input',
  blocked: 'orch:blocked',
  done: 'orch:done',
} as const satisfies Record<TrackerState, string>;

/** Colour and description of state labels Orch creates. */
export const STATE_LABEL_STYLE = { color: '5319e7', description: 'Orch pipeline state' } as const;

/** The hidden marker of Orch's one status comment per issue. */
export const STATUS_MARKER = '<!-- orch:status -->';

const STATE_LABELS: ReadonlySet<string> = new Set(Object.values(GITHUB_STATE_LABELS));

export function isStateLabel(name: string): boolean {
  return STATE_LABELS.has(name);
}

/** The hidden marker of a comment with an external id (`--` would end the HTML comment). */
export function commentMarker(externalId: string): string {
  return `<!-- orch:${externalId.replace(/--+/g, '-').replace(/>/g, '')} -->`;
}

/** Label names of an issue's `labels` (objects with `name`, or plain strings). Pure. */
export function labelNames(labels: unknown): string[] {
  return asArray(labels)
    .map((l) => asString(pick(l, 'name')) ?? asString(l))
    .filter((l): l is string => l !== null);
}

/** Issue numbers on "blocked by #1, #2" lines of an issue body, in order, once each. Pure. */
export function blockedByOf(body: string): string[] {
  const out: string[] = [];
  for (const line of body.split('\n')) {
    const m = /blocked\s+by\s*:?\s*(.+)$/i.exec(line);
    if (!m) continue;
    for (const ref of m[1]!.matchAll(/(?:^|[\s,(])#(\d+)\b/g)) {
      if (!out.includes(ref[1]!)) out.push(ref[1]!);
    }
  }
  return out;
}
