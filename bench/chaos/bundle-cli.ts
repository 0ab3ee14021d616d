import { cpSync, mkdirSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

/**
 * Bundles the current source of the `orch` CLI into one ESM file (esbuild, which tsx ships), so
 * chaos runs always test the working tree and each agent process starts in ~0.3 s instead of
 * ~2.5 s through tsx. The bundle lives under node_modules/.cache so bare imports resolve to the
 * repo's node_modules; the SQL migrations are copied beside it (migrate.ts finds them relative to
 * its own module). The scripted agents must be told to run this bundle (`agents.defaults.command`)
 * because the adapter's own path lookup does not apply inside a bundle.
 */
export async function bundleCli(): Promise<{ file: string; dispose: () => void }> {
  const root = fileURLToPath(new URL('../../', import.meta.url));
  const dir = join(root, 'node_modules', '.cache', 'orch-chaos', `${process.pid}-${Date.now()}`);
  mkdirSync(dir, { recursive: true });
  const outfile = join(dir, 'cli.mjs');
  const esbuild = await import('esbuild');
  await esbuild.build({
    entryPoints: [join(root, 'src', 'cli', 'main.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    logLevel: 'error',
  });
  cpSync(join(root, 'src', 'store', 'migrations'), join(dir, 'migrations'), { recursive: true });
  return { file: outfile, dispose: () => rmSync(dir, { recursive: true, force: true }) };
}
