/**
 * Staging provenance (issue 16, ORCH-058 "image freshness"): before the merge, Orch asks staging
 * which revision it runs — a command in the task's worktree or a URL — and merges only when that
 * is the head about to be merged. A staging that runs something else gets one redeploy (when the
 * project has a staging command); still stale, or unreadable, fails the merge gate before merging.
 */
import { childBaseEnv } from '../config/child-env.js';
import { runChildProcess } from '../process/child-process.js';
import { runDeployStep, STAGING_LOG } from './deploy-step.js';
import type { GateContext, GateResult } from './gate.js';
import type { BeforeMerge, BeforeMergeOutcome } from './merge/merge-gate.js';

/** Where staging's revision is read: exactly one source (config `deploy.staging.provenance`). */
export type ProvenanceSource =
  /** argv run in the task's worktree; the last non-empty line of stdout is the revision. */
  | { kind: 'command'; command: readonly string[]; timeoutMs: number }
  /** GET; the body is the revision, or JSON with it at `jsonField` (a dotted path). */
  | { kind: 'url'; url: string; jsonField?: string | undefined; timeoutMs: number };

export type RevisionRead =
  { kind: 'read'; revision: string } | { kind: 'unreadable'; detail: string };

/** The gate name of a failed provenance check (rollbacks.ts: back to development). */
export const PROVENANCE_GATE = 'staging_provenance';

const MAX_OUTPUT_BYTES = 64 * 1024;
const SHA = /^[0-9a-f]{7,64}$/;

const clip = (text: string, max = 200) => (text.length > max ? `${text.slice(0, max)}…` : text);

/**
 * Pure: whether staging's reported revision is `headSha` — lower-cased and trimmed, equal to the
 * full SHA or a prefix of it of at least 7 hex characters (what `git rev-parse --short` prints).
 */
export function revisionMatches(revision: string, headSha: string): boolean {
  const r = revision.trim().toLowerCase();
  return SHA.test(r) && headSha.trim().toLowerCase().startsWith(r);
}

/** Pure: the value at a dotted path (`build.sha`, `builds.0.sha`) of parsed JSON, or undefined. */
export function jsonFieldOf(value: unknown, path: string): unknown {
  let at: unknown = value;
  for (const key of path.split('.')) {
    if (at === null || typeof at !== 'object') return undefined;
    at = Array.isArray(at) ? at[Number(key)] : (at as Record<string, unknown>)[key];
  }
  return at;
}

/** Pure: a reported text as a revision — one commit SHA (7–64 hex), or why it is not one. */
export function parseRevision(text: string): RevisionRead {
  const r = text.trim().toLowerCase();
  if (r === '') return { kind: 'unreadable', detail: 'staging reported an empty revision' };
  if (!SHA.test(r))
    return { kind: 'unreadable', detail: `staging reported "${clip(r, 80)}", not a commit SHA` };
  return { kind: 'read', revision: r };
}

async function readByCommand(
  source: Extract<ProvenanceSource, { kind: 'command' }>,
  cwd: string,
): Promise<RevisionRead> {
  const cmd = source.command.join(' ');
  const r = await runChildProcess({
    argv: source.command,
    cwd,
    env: childBaseEnv(),
    output: { kind: 'capture', maxBytes: MAX_OUTPUT_BYTES },
    timeoutMs: source.timeoutMs,
    killGraceMs: 2_000,
  });
  if (r.spawnError)
    return { kind: 'unreadable', detail: `\`${cmd}\` could not run: ${r.spawnError.message}` };
  if (r.killReason === 'timeout')
    return { kind: 'unreadable', detail: `\`${cmd}\` timed out after ${source.timeoutMs} ms` };
  if (r.killReason === 'overflow')
    return { kind: 'unreadable', detail: `\`${cmd}\` printed more than ${MAX_OUTPUT_BYTES} bytes` };
  if (r.exitCode !== 0) {
    const why = r.exitCode === null ? `signal ${r.signal}` : `exit code ${r.exitCode}`;
    return { kind: 'unreadable', detail: `\`${cmd}\` failed (${why}): ${clip(r.stderr.trim())}` };
  }
  const lines = r.stdout.split('\n').filter((l) => l.trim() !== '');
  return parseRevision(lines.at(-1) ?? '');
}

async function readByUrl(
  source: Extract<ProvenanceSource, { kind: 'url' }>,
): Promise<RevisionRead> {
  let status: number;
  let body: string;
  try {
    const res = await fetch(source.url, {
      signal: AbortSignal.timeout(source.timeoutMs),
      redirect: 'manual',
    });
    status = res.status;
    body = (await res.text()).slice(0, MAX_OUTPUT_BYTES);
  } catch (err) {
    return { kind: 'unreadable', detail: `GET ${source.url}: ${(err as Error).message}` };
  }
  if (status < 200 || status > 299)
    return { kind: 'unreadable', detail: `GET ${source.url}: HTTP ${status}` };
  if (source.jsonField === undefined) return parseRevision(body);
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return { kind: 'unreadable', detail: `GET ${source.url}: the body is not JSON` };
  }
  const value = jsonFieldOf(json, source.jsonField);
  if (typeof value !== 'string')
    return { kind: 'unreadable', detail: `GET ${source.url}: no string at "${source.jsonField}"` };
  return parseRevision(value);
}

/**
 * Reads the revision staging reports. Never throws: a command that cannot run, fails, times out
 * or prints no SHA, and a URL that is unreachable, not 2xx, not JSON or without the field, are
 * `unreadable` with the reason.
 */
export function readDeployedRevision(
  source: ProvenanceSource,
  o: { cwd: string },
): Promise<RevisionRead> {
  switch (source.kind) {
    case 'command':
      return readByCommand(source, o.cwd);
    case 'url':
      return readByUrl(source);
  }
}

export type ProvenanceCheck =
  | { kind: 'ok'; revision: string; reason: string }
  | { kind: 'mismatch'; revision: string; reason: string }
  | { kind: 'unreadable'; reason: string };

/** Two differing SHAs for people: 7 characters each, or all of both when their first 7 agree. */
function shortPair(revision: string, head: string): [string, string] {
  const n = revision.slice(0, 7) === head.slice(0, 7) ? 64 : 7;
  const s = (sha: string) => (sha.length > n ? `${sha.slice(0, n)}…` : sha);
  return [s(revision), s(head)];
}

/** Reads staging's revision (in the task's worktree) and compares it with `headSha`. */
export async function stagingProvenance(
  ctx: Pick<GateContext, 'worktree'>,
  source: ProvenanceSource,
  headSha: string,
): Promise<ProvenanceCheck> {
  const read = await readDeployedRevision(source, { cwd: ctx.worktree });
  if (read.kind === 'unreadable')
    return { kind: 'unreadable', reason: `staging's revision is unreadable: ${read.detail}` };
  if (revisionMatches(read.revision, headSha)) {
    const rev = read.revision.length > 7 ? `${read.revision.slice(0, 7)}…` : read.revision;
    return { kind: 'ok', revision: read.revision, reason: `staging runs ${rev}, the branch head` };
  }
  const [rev, head] = shortPair(read.revision, headSha.toLowerCase());
  return {
    kind: 'mismatch',
    revision: read.revision,
    reason: `staging runs ${rev} but the branch head is ${head}`,
  };
}

function describe(source: ProvenanceSource): string {
  switch (source.kind) {
    case 'command':
      return `command \`${source.command.join(' ')}\` in the task's worktree`;
    case 'url':
      return `GET ${source.url}${source.jsonField ? ` (field "${source.jsonField}")` : ''}`;
  }
}

function failed(check: ProvenanceCheck, source: ProvenanceSource, headSha: string, more = '') {
  const result: GateResult = {
    gate: PROVENANCE_GATE,
    passed: false,
    reason: `staging provenance: ${check.reason}${more}`,
    evidence: [
      `source: ${describe(source)}`,
      ...(check.kind === 'unreadable' ? [] : [`reported: ${check.revision}`]),
      `head about to be merged: ${headSha}`,
    ].join('\n'),
  };
  return { kind: 'stop', result } as const;
}

/**
 * The merge gate's `beforeMerge` hook (runtime.ts): for a project with
 * `deploy.staging.provenance` (and `enabled`, ORCH_STAGING_PROVENANCE_ENABLED), the head about to
 * be merged must be what staging runs. A mismatch redeploys staging once when the project has a
 * staging command (which rewrites 15-staging-log.md) and checks again; a mismatch after that, a
 * failed redeploy, or an unreadable revision stops the merge with a `staging_provenance` result.
 * Without provenance configured, or switched off, it lets the merge proceed untouched.
 */
export function stagingProvenanceGuard(o: { enabled: boolean }): BeforeMerge {
  return async (ctx, headSha): Promise<BeforeMergeOutcome> => {
    const step = ctx.deploy?.staging;
    const source = step?.provenance;
    if (!o.enabled || !step || !source) return { kind: 'proceed' };
    const first = await stagingProvenance(ctx, source, headSha);
    const short = headSha.slice(0, 7);
    if (first.kind === 'ok')
      return { kind: 'proceed', note: `staging provenance verified at ${short}` };
    if (first.kind === 'unreadable' || !step.command?.length) return failed(first, source, headSha);
    // One redeploy, not a loop: the head is fixed under the merge lease, so a deploy that
    // succeeds and still reports another revision will not do better the second time.
    if (!(await runDeployStep(ctx, step, STAGING_LOG)).ok)
      return failed(first, source, headSha, `; the redeploy failed (${STAGING_LOG.file})`);
    const again = await stagingProvenance(ctx, source, headSha);
    if (again.kind === 'ok')
      return { kind: 'proceed', note: `staging provenance verified at ${short} after a redeploy` };
    return failed(again, source, headSha, ' (after one redeploy)');
  };
}
