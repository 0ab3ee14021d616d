import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

/**
 * Bundles the scripted agent's light entry point (src/agents/sim-agent/main.ts) into one plain JS
 * file at `out`: started through tsx it costs ~350 ms of CPU, bundled about what a compiled CLI
 * costs. The test run bundles it once (global-setup.ts) and bench:pipeline once per run.
 */
export async function bundleSimAgent(out: string): Promise<void> {
  await build({
    entryPoints: [fileURLToPath(new URL('../../src/agents/sim-agent/main.ts', import.meta.url))],
    outfile: out,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    logLevel: 'error',
    // commander is CommonJS: give the bundle a `require` for its `require('node:…')` calls.
    banner: {
      js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
    },
  });
}
