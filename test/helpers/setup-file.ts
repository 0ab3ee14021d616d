import { afterAll, inject } from 'vitest';
import { useSimAgentBundle } from '../../src/agents/adapters/scripted.js';
import { gitAuthEnv } from '../../src/git/git-auth.js';

// Every test file: scripted agents start from the run's bundle (global-setup.ts), not through tsx.
useSimAgentBundle(inject('simAgentBundle'));

/**
 * The fast group runs its files one after another in shared worker processes (`isolate: false`
 * in vitest.config.ts), so a file must leave the process as it found it: the same working
 * directory, the same environment, no signal handler left behind, no forge credential still
 * registered for git (src/git/git-auth.ts keeps them in a module-level registry), no server still
 * listening and no child process still running (an agent left behind would go on writing into
 * the worker's database while the next file uses it). Checked after every file; a file that
 * leaks fails here, by name, instead of breaking whichever file that worker runs next. (Vitest's
 * own `VITEST_*` variables are its business.)
 */
interface ProcessState {
  cwd: string;
  env: Record<string, string | undefined>;
  signals: Record<string, number>;
  gitAuth: string[];
}

const SIGNALS = ['SIGTERM', 'SIGINT', 'SIGHUP'] as const;

function processState(): ProcessState {
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !k.startsWith('VITEST')),
  );
  const signals = Object.fromEntries(SIGNALS.map((s) => [s, process.listenerCount(s)]));
  // `http.<url prefix>.extraHeader`: one per registered credential.
  const gitAuth = Object.entries(gitAuthEnv())
    .filter(([k, v]) => k.startsWith('GIT_CONFIG_KEY_') && v.endsWith('.extraHeader'))
    .map(([, v]) => v.slice('http.'.length, -'.extraHeader'.length));
  return { cwd: process.cwd(), env, signals, gitAuth };
}

function leaks(before: ProcessState, after: ProcessState): string[] {
  const found: string[] = [];
  if (before.cwd !== after.cwd) found.push(`working directory ${before.cwd} → ${after.cwd}`);
  for (const k of new Set([...Object.keys(before.env), ...Object.keys(after.env)])) {
    if (before.env[k] !== after.env[k]) found.push(`environment variable ${k} changed`);
  }
  for (const s of SIGNALS) {
    if (before.signals[s] !== after.signals[s]) {
      found.push(`${s} listeners ${before.signals[s]} → ${after.signals[s]}`);
    }
  }
  if (before.gitAuth.join() !== after.gitAuth.join()) {
    found.push(`git credentials registered for [${after.gitAuth.join(', ')}]`);
  }
  return found;
}

/**
 * Listening servers and child processes still open. A server or child the file closed can linger
 * for a few event-loop turns while its close completes, so the count is awaited, up to a bound.
 */
const HANDLE_KINDS = new Set(['TCPServerWrap', 'ProcessWrap']);
const HANDLES_SETTLE_MS = 5_000;

function openHandles(): Map<string, number> {
  const counts = new Map<string, number>();
  for (const kind of process.getActiveResourcesInfo()) {
    if (HANDLE_KINDS.has(kind)) counts.set(kind, (counts.get(kind) ?? 0) + 1);
  }
  return counts;
}

async function handleLeaks(before: Map<string, number>): Promise<string[]> {
  const over = () => {
    const now = openHandles();
    return [...HANDLE_KINDS]
      .filter((k) => (now.get(k) ?? 0) > (before.get(k) ?? 0))
      .map((k) => `${k} ${before.get(k) ?? 0} → ${now.get(k)}`);
  };
  const deadline = Date.now() + HANDLES_SETTLE_MS;
  while (over().length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  return over().map((o) => `still open after ${HANDLES_SETTLE_MS} ms: ${o}`);
}

const atStart = processState();
const handlesAtStart = openHandles();
afterAll(async () => {
  const found = [...leaks(atStart, processState()), ...(await handleLeaks(handlesAtStart))];
  if (found.length > 0) {
    throw new Error(`this test file left the shared test process changed: ${found.join('; ')}`);
  }
});
