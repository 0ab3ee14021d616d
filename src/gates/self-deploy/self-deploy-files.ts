import { randomUUID } from 'node:crypto';
import { open, readdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { SelfDeployState } from './self-deploy-state.js';

/**
 * The self-deploy state directory on disk: `<dir>/<work item>/<visit started at ms>/` holding
 * `state.json` (Orch's record), `output.log` and `exit-code` (the wrapper's). Every write of
 * Orch's is a rename of a complete file, so a reader (or the next Orch) never sees half of one.
 */

/** A work-item id as a directory name (ids are `[A-Z0-9]+-\d+`; anything else is replaced). */
export function itemDir(dir: string, workItemId: string): string {
  return join(dir, workItemId.replace(/[^A-Za-z0-9._-]/g, '_'));
}

export function visitDir(dir: string, workItemId: string, visitStartedAtMs: number): string {
  return join(itemDir(dir, workItemId), String(visitStartedAtMs));
}

export type StateRead =
  | { kind: 'found'; state: SelfDeployState }
  /** The directory exists without a readable state: a launch in progress, or one cut short. */
  | { kind: 'unreadable'; dirMtimeMs: number }
  | { kind: 'absent' };

export async function readState(vdir: string): Promise<StateRead> {
  let dirMtimeMs: number;
  try {
    dirMtimeMs = (await stat(vdir)).mtimeMs;
  } catch {
    return { kind: 'absent' };
  }
  try {
    const state = JSON.parse(await readFile(join(vdir, 'state.json'), 'utf8')) as SelfDeployState;
    return state.version === 1 ? { kind: 'found', state } : { kind: 'unreadable', dirMtimeMs };
  } catch {
    return { kind: 'unreadable', dirMtimeMs };
  }
}

export async function writeState(vdir: string, state: SelfDeployState): Promise<void> {
  const tmp = join(vdir, `state.json.${randomUUID()}.tmp`);
  await writeFile(tmp, `${JSON.stringify(state, null, 2)}\n`);
  await rename(tmp, join(vdir, 'state.json'));
}

/** The exit code the wrapper recorded, or null while there is none. */
export async function readExitCode(vdir: string): Promise<number | null> {
  try {
    const n = Number((await readFile(join(vdir, 'exit-code'), 'utf8')).trim());
    return Number.isInteger(n) ? n : null;
  } catch {
    return null;
  }
}

/** The last `maxBytes` of the hook's output ('' when it wrote none). */
export async function outputTail(vdir: string, maxBytes = 4000): Promise<string> {
  let fh;
  try {
    fh = await open(join(vdir, 'output.log'), 'r');
  } catch {
    return '';
  }
  try {
    const { size } = await fh.stat();
    const length = Math.min(size, maxBytes);
    const buf = Buffer.alloc(length);
    await fh.read(buf, 0, length, size - length);
    return buf.toString('utf8').replace(/^\uFFFD+/, '');
  } finally {
    await fh.close();
  }
}

/** Every launch recorded under `dir`, with its directory (unreadable ones are skipped). */
export async function allStates(dir: string): Promise<{ vdir: string; state: SelfDeployState }[]> {
  const out: { vdir: string; state: SelfDeployState }[] = [];
  for (const item of await entries(dir)) {
    for (const visit of await entries(join(dir, item))) {
      const vdir = join(dir, item, visit);
      const r = await readState(vdir);
      if (r.kind === 'found') out.push({ vdir, state: r.state });
    }
  }
  return out;
}

/** The launches of one work item, oldest visit first. */
export async function itemStates(
  dir: string,
  workItemId: string,
): Promise<{ vdir: string; state: SelfDeployState }[]> {
  const idir = itemDir(dir, workItemId);
  const visits = (await entries(idir)).sort((a, b) => Number(a) - Number(b));
  const out: { vdir: string; state: SelfDeployState }[] = [];
  for (const visit of visits) {
    const r = await readState(join(idir, visit));
    if (r.kind === 'found') out.push({ vdir: join(idir, visit), state: r.state });
  }
  return out;
}

async function entries(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir, { withFileTypes: true }))
      .filter((e) => e.isDirectory())
      .map((e) => e.name);
  } catch {
    return [];
  }
}
