import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { OrchError } from '../errors.js';

/**
 * The task file an agent reads: YAML frontmatter (machine fields) + the prompt as Markdown.
 * Written to `<worktree>/.orch/tasks/job-<jobId>-run-<runId>.md`; `.orch/` is git-excluded.
 */
export interface TaskFileHeader {
  jobId: number;
  runId: number;
  attempt: number;
  role: string;
  repo: string;
  branch: string;
  taskId?: number | undefined;
  workItemId?: string | undefined;
  stage?: string | undefined;
  scenario?: Record<string, string> | undefined;
}

export function taskFilePath(worktree: string, jobId: number, runId: number): string {
  return join(worktree, '.orch', 'tasks', `job-${jobId}-run-${runId}.md`);
}

export function writeTaskFile(path: string, header: TaskFileHeader, prompt: string): void {
  const clean = Object.fromEntries(Object.entries(header).filter(([, v]) => v !== undefined));
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `---\n${stringifyYaml(clean)}---\n\n# Task\n\n${prompt}\n`);
}

export function readTaskFile(path: string): { header: TaskFileHeader; prompt: string } {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new OrchError('TASK_FILE_INVALID', `cannot read task file ${path}`, { cause: err });
  }
  const m = /^---\n([\s\S]*?)\n---\n?([\s\S]*)$/.exec(text);
  if (!m) throw new OrchError('TASK_FILE_INVALID', `task file ${path} has no YAML frontmatter`);
  const header = parseYaml(m[1]!) as TaskFileHeader | null;
  if (!header || typeof header !== 'object' || typeof header.role !== 'string') {
    throw new OrchError('TASK_FILE_INVALID', `task file ${path} frontmatter lacks a role`);
  }
  return { header, prompt: m[2]!.replace(/^\s*# Task\s*/, '').trim() };
}
