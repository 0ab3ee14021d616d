/**
 * What a human comment on a work item means to the pipeline. Pure.
 *
 * - approval: the token `:approved:` anywhere in the comment (the reference system's
 *   convention; Plane renders it as text, not as a reaction).
 * - rejection: the token `:rejected:` anywhere, or a line that starts with `REJECT` (upper case,
 *   e.g. `REJECT: the BRD misses the export`) or `Rejected:` (any case). The rest of the
 *   comment (token removed) is the reason.
 * - resume: the token `:resume:` anywhere, or a line that starts with `/resume`; re-runs a
 *   Blocked (or cancelled) item's stage, with the rest of the comment as the note.
 * - stop: a line that starts with the word `STOP` (upper case, e.g. `STOP: wrong repository`) or
 *   the token `:stop:`; cancels the item as `orch task cancel` does (spec ORCH-090). It wins over
 *   every other token: an emergency brake must not be read as an approval.
 * - Approval, rejection, resume and stop count only from an author in the project's approver allowlist; the
 *   same comment from anyone else is `unauthorized` (the pipeline may answer, never act). An
 *   empty allowlist means nobody can approve by comment.
 * - Everything else is an `answer` (to open questions, or a free comment).
 * When a comment carries both tokens, rejection wins: a doubtful approval is no approval.
 */
export type CommentIntent =
  | { kind: 'approval'; text: string }
  | { kind: 'rejection'; reason: string }
  | { kind: 'resume'; note: string }
  | { kind: 'stop'; reason: string }
  | { kind: 'unauthorized'; wanted: Wanted; text: string }
  | { kind: 'answer'; text: string };

export const APPROVE_TOKEN = ':approved:';
export const REJECT_TOKEN = ':rejected:';
export const RESUME_TOKEN = ':resume:';
export const STOP_TOKEN = ':stop:';
const STOP_LINE = /^\s*STOP\b/m;

type Wanted = 'approval' | 'rejection' | 'resume' | 'stop';
const RESUME_LINE = /^\s*\/resume\b/im;
const REJECT_LINES = [/^\s*REJECT\b/m, /^\s*rejected:/im] as const;

export interface CommentAuthor {
  /** Every identifier the tracker gives for the author: user id, username, display name, email. */
  ids: readonly (string | null)[];
}

/** True when any of the author's identifiers is in the allowlist (case-insensitive). */
export function isApprover(author: CommentAuthor, approvers: readonly string[]): boolean {
  const allowed = new Set(approvers.map((a) => a.trim().toLowerCase()).filter((a) => a !== ''));
  return author.ids.some((id) => id !== null && allowed.has(id.trim().toLowerCase()));
}

function rejectionReason(text: string): string {
  return text
    .replace(/:rejected:/gi, '')
    .replace(/^\s*REJECT(ED)?\b:?\s*/m, '')
    .replace(/^\s*rejected:\s*/im, '')
    .trim();
}

export function interpretComment(
  body: string,
  author: CommentAuthor,
  approvers: readonly string[],
): CommentIntent {
  const text = body.trim();
  const lower = text.toLowerCase();
  const wanted = wantedAction(text, lower);
  if (wanted === null) return { kind: 'answer', text };
  if (!isApprover(author, approvers)) return { kind: 'unauthorized', wanted, text };
  switch (wanted) {
    case 'approval':
      return { kind: 'approval', text };
    case 'rejection':
      return { kind: 'rejection', reason: rejectionReason(text) };
    case 'resume':
      return { kind: 'resume', note: resumeNote(text) };
    case 'stop':
      return { kind: 'stop', reason: stopReason(text) };
  }
}

function wantedAction(text: string, lower: string): Wanted | null {
  if (lower.includes(STOP_TOKEN) || STOP_LINE.test(text)) return 'stop';
  if (lower.includes(REJECT_TOKEN) || REJECT_LINES.some((re) => re.test(text))) return 'rejection';
  if (lower.includes(RESUME_TOKEN) || RESUME_LINE.test(text)) return 'resume';
  return lower.includes(APPROVE_TOKEN) ? 'approval' : null;
}

function stopReason(text: string): string {
  return text
    .replace(/:stop:/gi, '')
    .replace(/^\s*STOP\b[:\s-]*/m, '')
    .trim();
}

function resumeNote(text: string): string {
  return text
    .replace(/:resume:/gi, '')
    .replace(RESUME_LINE, '')
    .trim();
}
