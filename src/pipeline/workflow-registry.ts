import type { Clock } from '../clock.js';
import { git, gitMaybe } from '../git/git.js';
import type { Logger } from '../log.js';
import {
  parseWorkflowFile,
  WORKFLOW_FILE_PATH,
  type Workflow,
  type WorkflowParse,
} from './workflow-file.js';

/** Where one project's workflow file is read from: its repository's base branch. */
export interface WorkflowSource {
  key: string;
  cloneUrl: string;
  baseBranch: string;
}

/** The file as found on the base branch: its commit, and its text (null = no file there). */
export interface WorkflowRead {
  sha: string;
  text: string | null;
  /**
   * The file at each commit of the base branch that changed it, newest first, from `sha` back
   * (at most WORKFLOW_HISTORY_DEPTH commits; text null: that commit deleted it). Walked only when
   * the file at `sha` is invalid and no valid version is in memory (after a restart).
   */
  history?: () => AsyncIterable<WorkflowRead>;
}

/** How many commits of the file's history a start-up on a bad edit looks through (issue 18). */
export const WORKFLOW_HISTORY_DEPTH = 50;

/** What the pipeline asks: the project's current (last valid) workflow, if it has one. */
export interface WorkflowLookup {
  current(projectKey: string): Workflow | undefined;
}

/** A project's workflow file as the `workflow` block of /queue and `orch doctor` show it. */
export interface WorkflowStatus {
  /** none: no file on the base branch; ok: the file at `sha` is in use; invalid: the last read failed. */
  state: 'none' | 'ok' | 'invalid';
  /** The base-branch commit of the workflow in use (null: none in use). */
  sha: string | null;
  loadedAtMs: number | null;
  /** The last failed read (a bad edit, or git failing): message, when, and the commit read. */
  error: { message: string; atMs: number; sha: string | null } | null;
}

export interface WorkflowRegistryDeps {
  /** The projects to read, asked at every pass. */
  sources: () => readonly WorkflowSource[];
  read: (source: WorkflowSource) => Promise<WorkflowRead>;
  clock: Clock;
  log: Logger;
  /** Pause between the end of one pass and the next (`ORCH_WORKFLOW_REFRESH_MS`). */
  intervalMs: number;
  /** The agent profiles a file's `agents:` may name; another name makes the file invalid. */
  profiles?: () => readonly string[];
  /** Whether a gate a file's `pipeline:` names exists; an unknown one makes the file invalid. */
  gates?: (name: string) => boolean;
}

interface Entry {
  workflow: Workflow | undefined;
  status: WorkflowStatus;
  /** The commit the last read saw (a file unchanged since is not parsed again). */
  readSha: string | null;
}

/**
 * Reads a project's workflow file from the base branch of the clone the worktree manager keeps
 * (`ensureRepo` clones or fetches it under the repository's lock). Never the task branch: an
 * agent cannot change its own instructions.
 */
export function gitWorkflowReader(worktrees: {
  ensureRepo(repo: string): Promise<string>;
}): (source: WorkflowSource) => Promise<WorkflowRead> {
  return async (source) =>
    readWorkflowAt(await worktrees.ensureRepo(source.cloneUrl), `origin/${source.baseBranch}`);
}

/** The workflow file at `ref` of the git repository `cwd` (a clone, or a bare forge repository). */
export async function readWorkflowAt(cwd: string, ref: string): Promise<WorkflowRead> {
  const sha = await git(['rev-parse', '--verify', `${ref}^{commit}`], { cwd });
  return { sha, text: await fileAt(cwd, sha), history: () => fileHistory(cwd, sha) };
}

/** The workflow file at commit `sha` (null: no file there). */
async function fileAt(cwd: string, sha: string): Promise<string | null> {
  const listed = await git(['ls-tree', '--name-only', sha, '--', WORKFLOW_FILE_PATH], { cwd });
  if (listed === '') return null;
  const text = await gitMaybe(['show', `${sha}:${WORKFLOW_FILE_PATH}`], { cwd });
  return text ?? '';
}

/** WorkflowRead.history: the commits that changed the file, read lazily, newest first. */
async function* fileHistory(cwd: string, sha: string): AsyncGenerator<WorkflowRead> {
  const args = ['log', '--format=%H', '-n', String(WORKFLOW_HISTORY_DEPTH), sha];
  const log = await git([...args, '--', WORKFLOW_FILE_PATH], { cwd });
  for (const commit of log.split('\n').filter((l) => l !== '')) {
    yield { sha: commit, text: await fileAt(cwd, commit) };
  }
}

/**
 * Per project, the last valid workflow file and the last error (issue 18). Refreshed once at
 * start-up and then every `intervalMs` (chained timeouts: passes never overlap); a failed pass is
 * a log line. A bad edit (or an unreadable repository) keeps the last valid workflow in use and
 * records the error; a removed file means no workflow. With no valid version in memory (the first
 * pass after a restart), a bad edit falls back to the newest valid version in the file's history
 * on the base branch, unless the file was deleted since (WorkflowRead.history). A file whose
 * commit did not change is not parsed again.
 */
export class WorkflowRegistry implements WorkflowLookup {
  readonly #d: WorkflowRegistryDeps;
  readonly #entries = new Map<string, Entry>();
  #timer: NodeJS.Timeout | null = null;
  #running: Promise<void> | null = null;
  #stopped = false;

  constructor(deps: WorkflowRegistryDeps) {
    this.#d = deps;
  }

  current(projectKey: string): Workflow | undefined {
    return this.#entries.get(projectKey)?.workflow;
  }

  /** One read of every project's file. Concurrent calls share a pass. */
  runOnce(): Promise<void> {
    this.#running ??= this.#pass().finally(() => {
      this.#running = null;
    });
    return this.#running;
  }

  async #pass(): Promise<void> {
    for (const source of this.#d.sources()) await this.#refresh(source);
  }

  async #refresh(source: WorkflowSource): Promise<void> {
    const entry = this.#entry(source.key);
    const nowMs = this.#d.clock.now();
    let read: WorkflowRead;
    try {
      read = await this.#d.read(source);
    } catch (err) {
      entry.status.error = { message: (err as Error).message, atMs: nowMs, sha: null };
      this.#d.log.warn({ err, project: source.key }, 'workflow file: cannot read');
      return;
    }
    if (read.sha === entry.readSha) {
      // Unchanged commit: only a failed read (git, not the file) is over.
      if (entry.status.error?.sha === null) entry.status.error = null;
      return;
    }
    entry.readSha = read.sha;
    if (read.text === null) {
      entry.workflow = undefined;
      entry.status = { state: 'none', sha: null, loadedAtMs: nowMs, error: null };
      return;
    }
    const parsed = this.#parse(read.text);
    if (!parsed.ok) {
      entry.status.state = 'invalid';
      entry.status.error = { message: parsed.error, atMs: nowMs, sha: read.sha };
      const older = entry.workflow ? undefined : await this.#lastValid(source.key, read);
      if (older) {
        entry.workflow = older.workflow;
        entry.status.sha = older.sha;
        entry.status.loadedAtMs = nowMs;
      }
      const keptSha = entry.workflow ? entry.status.sha : null;
      this.#d.log.warn(
        { project: source.key, sha: read.sha, keptSha, error: parsed.error },
        keptSha === null
          ? 'workflow file invalid: no valid version to keep'
          : 'workflow file invalid: keeping the last valid version',
      );
      return;
    }
    entry.workflow = parsed.workflow;
    entry.status = { state: 'ok', sha: read.sha, loadedAtMs: nowMs, error: null };
    this.#d.log.info({ project: source.key, sha: read.sha }, 'workflow file loaded');
  }

  #parse(text: string): WorkflowParse {
    const profiles = this.#d.profiles?.();
    return parseWorkflowFile(text, {
      ...(profiles && { profiles }),
      ...(this.#d.gates && { gates: this.#d.gates }),
    });
  }

  /**
   * No valid version in memory and a bad edit at the head: use the newest valid version of the
   * file's history, so a restart does not drop what was in use before it. A commit that deleted
   * the file ends the walk (what came before it was not in use); a failed walk is a log line.
   */
  async #lastValid(
    projectKey: string,
    read: WorkflowRead,
  ): Promise<{ sha: string; workflow: Workflow } | undefined> {
    if (!read.history) return undefined;
    try {
      for await (const older of read.history()) {
        if (older.text === null) return undefined;
        const parsed = this.#parse(older.text);
        if (parsed.ok) return { sha: older.sha, workflow: parsed.workflow };
      }
    } catch (err) {
      this.#d.log.warn({ err, project: projectKey }, 'workflow file: cannot read its history');
    }
    return undefined;
  }

  #entry(key: string): Entry {
    let e = this.#entries.get(key);
    if (!e) {
      e = {
        workflow: undefined,
        readSha: null,
        status: { state: 'none', sha: null, loadedAtMs: null, error: null },
      };
      this.#entries.set(key, e);
    }
    return e;
  }

  /** Refreshes every `intervalMs` after the previous pass ended (the start-up read is separate). */
  start(): void {
    if (this.#timer) return;
    this.#stopped = false;
    const schedule = () => {
      this.#timer = setTimeout(() => {
        void this.runOnce()
          .catch((err: unknown) => this.#d.log.warn({ err }, 'workflow file: refresh failed'))
          .finally(() => {
            if (!this.#stopped) schedule();
          });
      }, this.#d.intervalMs);
      this.#timer.unref();
    };
    schedule();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    await this.#running?.catch(() => undefined);
  }

  /** The `workflow` block of /queue: per project, its file's state (docs/http-api.md). */
  block() {
    return {
      path: WORKFLOW_FILE_PATH,
      refresh_ms: this.#d.intervalMs,
      projects: Object.fromEntries(
        Object.entries(this.status()).map(([key, s]) => [
          key,
          {
            state: s.state,
            sha: s.sha,
            loaded_at_ms: s.loadedAtMs,
            error: s.error && { message: s.error.message, at_ms: s.error.atMs, sha: s.error.sha },
          },
        ]),
      ),
    };
  }

  /** Each known project's state. */
  status(): Record<string, WorkflowStatus> {
    const out: Record<string, WorkflowStatus> = {};
    for (const s of this.#d.sources()) out[s.key] = structuredClone(this.#entry(s.key).status);
    return out;
  }
}
