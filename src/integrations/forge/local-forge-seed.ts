import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { OrchError } from '../../errors.js';
import { git, gitMaybe } from '../../git/git.js';

/** What seeding did: a new bare repository, or one that was already there (left as it is). */
export type SeedResult =
  | { kind: 'seeded'; bare: string; branches: string[]; head: string }
  | { kind: 'exists'; bare: string };

/**
 * Creates the local forge's bare repository `bare` (`<data dir>/forge/<repo>.git`) as a bare
 * clone of `source` (a path or URL): every branch, with HEAD on `baseBranch`. An existing bare
 * repository is not touched. A source without `baseBranch` is FORGE_SEED_FAILED and leaves
 * nothing behind.
 */
export async function seedLocalForge(o: {
  source: string;
  bare: string;
  baseBranch: string;
}): Promise<SeedResult> {
  if (existsSync(o.bare)) return { kind: 'exists', bare: o.bare };
  mkdirSync(dirname(o.bare), { recursive: true });
  try {
    await git(['clone', '--quiet', '--bare', o.source, o.bare], {
      cwd: dirname(o.bare),
      timeoutMs: 600_000,
    });
    const ref = `refs/heads/${o.baseBranch}`;
    const head = await gitMaybe(['rev-parse', '--verify', '--quiet', `${ref}^{commit}`], {
      cwd: o.bare,
    });
    if (head === null)
      throw new OrchError(
        'FORGE_SEED_FAILED',
        `${o.source} has no branch ${o.baseBranch} (commit to it first, or pass --base-branch)`,
      );
    await git(['symbolic-ref', 'HEAD', ref], { cwd: o.bare });
    // The clone's origin would let a stray `git fetch` in the forge pull from the user's repo.
    await gitMaybe(['remote', 'remove', 'origin'], { cwd: o.bare });
    const list = await git(['for-each-ref', '--format=%(refname:short)', 'refs/heads'], {
      cwd: o.bare,
    });
    return { kind: 'seeded', bare: o.bare, branches: list.split('\n').filter(Boolean), head };
  } catch (err) {
    rmSync(o.bare, { recursive: true, force: true });
    if (err instanceof OrchError && err.code === 'FORGE_SEED_FAILED') throw err;
    const why = err instanceof Error ? err.message : String(err);
    throw new OrchError('FORGE_SEED_FAILED', `cannot seed ${o.bare} from ${o.source}: ${why}`, {
      cause: err,
    });
  }
}
