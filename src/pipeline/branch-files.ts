import type { Clock } from '../clock.js';
import { OrchError } from '../errors.js';
import { parseFrontmatter } from '../gates/frontmatter.js';
import { git, gitMaybe } from '../git/git.js';
import type { ProjectRegistry } from './project.js';
import type { Task } from './task.js';

/** An artifact's text is sent up to this many bytes (`truncated` says when it was cut). */
export const ARTIFACT_MAX_BYTES = 1024 * 1024;
/** A diff's patch is sent up to this many bytes. */
export const PATCH_MAX_BYTES = 512 * 1024;
/** A repository is fetched at most once per this long for dashboard reads. */
const FETCH_EVERY_MS = 5_000;

export interface ArtifactFile {
  name: string;
  path: string;
  size: number;
  frontmatter: Record<string, unknown> | null;
}

export interface ArtifactText {
  name: string;
  path: string;
  ref: string;
  content: string;
  truncated: boolean;
  frontmatter: Record<string, unknown> | null;
}

export type DiffFileStatus = 'added' | 'modified' | 'deleted' | 'type_changed' | 'other';

export interface BranchDiff {
  base: string;
  head: string;
  baseSha: string;
  headSha: string;
  files: { path: string; status: DiffFileStatus; additions: number; deletions: number }[];
  patch: string;
  truncated: boolean;
}

export interface BranchFilesDeps {
  /** The worktree manager's clone of a repository (cloned or fetched; src/agents/worktrees.ts). */
  worktrees: { ensureRepo(repo: string): Promise<string> };
  projects: Pick<ProjectRegistry, 'find'>;
  clock: Clock;
}

/** Pure: the front matter of an artifact as an object, or null (none, broken, not Markdown). */
function frontmatterOf(text: string): Record<string, unknown> | null {
  const fm = parseFrontmatter(text);
  return fm.kind === 'ok' ? fm.data : null;
}

/** Pure: `text` cut to `maxBytes` of UTF-8. */
function cut(text: string, maxBytes: number): { text: string; truncated: boolean } {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length <= maxBytes) return { text, truncated: false };
  return { text: bytes.subarray(0, maxBytes).toString('utf8'), truncated: true };
}

const STATUS: Record<string, DiffFileStatus> = {
  A: 'added',
  M: 'modified',
  D: 'deleted',
  T: 'type_changed',
};

/**
 * What a work item's branch holds, for the dashboard (issue 19): the artifacts under
 * `docs/work-items/<ID>/` and the diff against the base branch. Read through git from the clone
 * the worktree manager keeps of the project's repository (the local forge's bare repository or
 * the Gitea remote alike), never from a worktree an agent may be writing. No request value
 * becomes a path or a ref: the names come from the task row and the listing.
 */
export class BranchFiles {
  readonly #d: BranchFilesDeps;
  readonly #fetched = new Map<string, { atMs: number; clone: Promise<string> }>();

  constructor(d: BranchFilesDeps) {
    this.#d = d;
  }

  /** The clone of the task's repository, fetched at most once per FETCH_EVERY_MS. */
  #clone(task: Task): Promise<string> {
    const project = this.#d.projects.find((p) => p.key === task.projectKey);
    if (!project) throw new OrchError('UNKNOWN_PROJECT', `no project "${task.projectKey}"`);
    const url = project.forge.cloneUrl(task.repo);
    const nowMs = this.#d.clock.now();
    const known = this.#fetched.get(url);
    if (known && nowMs - known.atMs < FETCH_EVERY_MS) return known.clone;
    const clone = this.#d.worktrees.ensureRepo(url);
    this.#fetched.set(url, { atMs: nowMs, clone });
    clone.catch(() => this.#fetched.delete(url));
    return clone;
  }

  /** The commit of `origin/<branch>` in the clone, or null when the branch is not there. */
  #sha(cwd: string, branch: string): Promise<string | null> {
    return gitMaybe(
      ['rev-parse', '--verify', '--quiet', `refs/remotes/origin/${branch}^{commit}`],
      {
        cwd,
      },
    );
  }

  /** The item's branch, else (merged and deleted) its base branch; null when neither exists. */
  async #ref(cwd: string, task: Task): Promise<{ ref: string; sha: string } | null> {
    for (const ref of [task.branch, task.baseBranch]) {
      const sha = await this.#sha(cwd, ref);
      if (sha) return { ref, sha };
    }
    return null;
  }

  /** The files under `docs/work-items/<ID>/` at the item's branch; null when no ref exists. */
  async artifacts(task: Task): Promise<{ ref: string; files: ArtifactFile[] } | null> {
    const cwd = await this.#clone(task);
    const at = await this.#ref(cwd, task);
    if (!at) return null;
    const files = await this.#list(cwd, at.sha, task);
    const withFm = await Promise.all(
      files.map(async (f) => {
        const text = f.size <= ARTIFACT_MAX_BYTES ? await this.#show(cwd, at.sha, f.path) : '';
        return { ...f, frontmatter: text === null ? null : frontmatterOf(text) };
      }),
    );
    return { ref: at.ref, files: withFm };
  }

  /** One artifact by its listed name; 'not_found' when the listing has no such name. */
  async artifact(task: Task, name: string): Promise<ArtifactText | 'not_found' | null> {
    const cwd = await this.#clone(task);
    const at = await this.#ref(cwd, task);
    if (!at) return null;
    const file = (await this.#list(cwd, at.sha, task)).find((f) => f.name === name);
    if (!file) return 'not_found';
    const raw = (await this.#show(cwd, at.sha, file.path)) ?? '';
    const { text, truncated } = cut(raw, ARTIFACT_MAX_BYTES);
    return {
      name: file.name,
      path: file.path,
      ref: at.ref,
      content: text,
      truncated,
      frontmatter: frontmatterOf(text),
    };
  }

  async #list(cwd: string, sha: string, task: Task) {
    const dir = `docs/work-items/${task.workItemId}/`;
    const out = await git(['ls-tree', '-r', '-l', '-z', sha, '--', dir], { cwd, raw: true });
    return out
      .split('\0')
      .filter((line) => line !== '')
      .flatMap((line) => {
        // `<mode> blob <sha> <size>\t<path>`
        const m = /^\d+ blob [0-9a-f]+ +(\d+)\t(.+)$/s.exec(line);
        if (!m || !m[2]!.startsWith(dir)) return [];
        return [{ name: m[2]!.slice(dir.length), path: m[2]!, size: Number(m[1]) }];
      });
  }

  /** A file's text at `sha` (git's 16 MiB output cap: null past it). */
  #show(cwd: string, sha: string, path: string): Promise<string | null> {
    return gitMaybe(['show', `${sha}:${path}`], { cwd, raw: true });
  }

  /**
   * The item's change: its branch against the merge base with the base branch or, once merged
   * (`merged_sha`), the merge commit against its first parent. Null: nothing to diff.
   */
  async diff(task: Task): Promise<BranchDiff | null> {
    const cwd = await this.#clone(task);
    const range = await this.#range(cwd, task);
    if (!range) return null;
    const { baseSha, headSha } = range;
    const [names, stats, patch] = await Promise.all([
      git(['diff', '--no-renames', '--name-status', '-z', baseSha, headSha], { cwd, raw: true }),
      git(['diff', '--no-renames', '--numstat', '-z', baseSha, headSha], { cwd, raw: true }),
      git(['diff', '--no-renames', '--no-color', baseSha, headSha], { cwd, raw: true }),
    ]);
    const counts = new Map<string, { additions: number; deletions: number }>();
    for (const entry of stats.split('\0').filter((x) => x !== '')) {
      const m = /^(-|\d+)\t(-|\d+)\t(.+)$/s.exec(entry);
      if (m) counts.set(m[3]!, { additions: Number(m[1]) || 0, deletions: Number(m[2]) || 0 });
    }
    const parts = names.split('\0').filter((x) => x !== '');
    const files: BranchDiff['files'] = [];
    for (let i = 0; i + 1 < parts.length; i += 2) {
      const path = parts[i + 1]!;
      const n = counts.get(path) ?? { additions: 0, deletions: 0 };
      files.push({ path, status: STATUS[parts[i]!.charAt(0)] ?? 'other', ...n });
    }
    const { text, truncated } = cut(patch, PATCH_MAX_BYTES);
    return { ...range, files, patch: text, truncated };
  }

  async #range(
    cwd: string,
    task: Task,
  ): Promise<Pick<BranchDiff, 'base' | 'head' | 'baseSha' | 'headSha'> | null> {
    if (task.mergedSha !== null && /^[0-9a-f]{7,64}$/.test(task.mergedSha)) {
      const opts = { cwd };
      const headSha = await gitMaybe(['rev-parse', '--verify', `${task.mergedSha}^{commit}`], opts);
      const baseSha = headSha && (await gitMaybe(['rev-parse', '--verify', `${headSha}^1`], opts));
      if (headSha && baseSha) return { base: task.baseBranch, head: headSha, baseSha, headSha };
    }
    const headSha = await this.#sha(cwd, task.branch);
    const baseTip = await this.#sha(cwd, task.baseBranch);
    if (!headSha || !baseTip) return null;
    const baseSha = await gitMaybe(['merge-base', baseTip, headSha], { cwd });
    if (!baseSha) return null;
    return { base: task.baseBranch, head: task.branch, baseSha, headSha };
  }
}
