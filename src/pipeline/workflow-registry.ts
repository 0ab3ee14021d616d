import type { Clock } from '../clock.js';
import { git, gitMaybe } from '../git/git.js';
import type { Logger } from '../log.js';
import { parseWorkflowFile, WORKFLOW_FILE_PATH, type Workflow } from './workflow-file.js';

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
}

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
  const listed = await git(['ls-tree', '--name-only', sha, '--', WORKFLOW_FILE_PATH], { cwd });
  if (listed === '') return { sha, text: null };
  const text = await gitMaybe(['show', `${sha}:${WORKFLOW_FILE_PATH}`], { cwd });
  return { sha, text: text ?? '' };
}

/**
 * Per project, the last valid workflow file and the last error (issue 18). Refreshed once at
 * start-up and then every `intervalMs` (chained timeouts: passes never overlap); a failed pass is
 * a log line. A bad edit (or an unreadable repository) keeps the last valid workflow in use and
 * records the error; a removed file means no workflow. A file whose commit did not change is not
 * parsed again.
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
    const profiles = this.#d.profiles?.();
    const parsed = parseWorkflowFile(read.text, {
      ...(profiles && { profiles }),
      ...(this.#d.gates && { gates: this.#d.gates }),
    });
    if (!parsed.ok) {
      entry.status.state = 'invalid';
      entry.status.error = { message: parsed.error, atMs: nowMs, sha: read.sha };
      this.#d.log.warn(
        { project: source.key, sha: read.sha, error: parsed.error },
        'workflow file invalid: keeping the last valid version',
      );
      return;
    }
    entry.workflow = parsed.workflow;
    entry.status = { state: 'ok', sha: read.sha, loadedAtMs: nowMs, error: null };
    this.#d.log.info({ project: source.key, sha: read.sha }, 'workflow file loaded');
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
