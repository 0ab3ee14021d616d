/**
 * Deploy stages that deploy (issue 16): a project may give deploy-staging and deploy a command
 * (run in the task's worktree, after the stage's agent) and a health check (URL, expected status
 * and body text, retries). Orch then writes the stage's log itself — `15-staging-log.md` /
 * `14-deploy-log.md` with `staging_status` / `deploy_status` SUCCESS or FAILED and what happened —
 * and the stage's verdict gate reads that, so an agent's own claim of success never decides.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { childBaseEnv } from '../config/child-env.js';
import { workItemDir, type GateContext } from './gate.js';
import { runCommand } from './run-command.js';
import type { ProvenanceSource } from './staging-provenance.js';

export interface HealthCheck {
  url: string;
  /** The HTTP status that counts as healthy. */
  status: number;
  /** Text the body must contain, if any. */
  body?: string | undefined;
  retries: number;
  intervalMs: number;
  timeoutMs: number;
}

export interface DeployStep {
  command?: readonly string[] | undefined;
  timeoutMs: number;
  health?: HealthCheck | undefined;
  /** Staging only: how to read the revision staging runs, checked before the merge. */
  provenance?: ProvenanceSource | undefined;
}

/** The log `runDeployStep` writes for deploy-staging (read by `check_staging_status`). */
export const STAGING_LOG = {
  file: '15-staging-log.md',
  field: 'staging_status',
  title: 'Staging deploy',
} as const;

export interface ProjectDeploy {
  staging?: DeployStep | undefined;
  production?: DeployStep | undefined;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** One probe: healthy, or why not (status, body, or the network error). */
export async function probe(h: HealthCheck): Promise<{ ok: boolean; detail: string }> {
  try {
    const res = await fetch(h.url, {
      signal: AbortSignal.timeout(h.timeoutMs),
      redirect: 'manual',
    });
    const text = (await res.text()).slice(0, 10_000);
    if (res.status !== h.status)
      return { ok: false, detail: `HTTP ${res.status} (expected ${h.status})` };
    if (h.body !== undefined && !text.includes(h.body))
      return { ok: false, detail: `HTTP ${res.status} without "${h.body}" in the body` };
    return { ok: true, detail: `HTTP ${res.status}` };
  } catch (err) {
    return { ok: false, detail: (err as Error).message };
  }
}

/** Probes until healthy or out of retries; the last probe's detail says why. */
export async function checkHealth(
  h: HealthCheck,
  wait: (ms: number) => Promise<void> = sleep,
): Promise<{ ok: boolean; attempts: number; detail: string }> {
  let last = { ok: false, detail: 'not probed' };
  for (let attempt = 1; attempt <= h.retries + 1; attempt++) {
    last = await probe(h);
    if (last.ok) return { ok: true, attempts: attempt, detail: last.detail };
    if (attempt <= h.retries) await wait(h.intervalMs);
  }
  return { ok: false, attempts: h.retries + 1, detail: last.detail };
}

/**
 * Runs the step (command, then health check) and writes the stage's log into the worktree, so
 * the verdict gate that follows reads Orch's own result. Resolves to whether the step succeeded
 * (what the log's status field says) and, on failure, what failed in a few words (for the
 * Blocked reason or the rollback, so nobody has to open the log to learn why).
 */
export async function runDeployStep(
  ctx: GateContext,
  step: DeployStep,
  log: { file: string; field: string; title: string },
): Promise<{ ok: boolean; why: string | null }> {
  const lines: string[] = [];
  let ok = true;
  let why: string | null = null;
  if (step.command?.length) {
    const cmd = step.command.join(' ');
    const res = await runCommand(step.command, {
      cwd: ctx.worktree,
      timeoutMs: step.timeoutMs,
      env: childBaseEnv(),
    });
    ok = res.error === null && !res.timedOut && res.exitCode === 0;
    const how = res.error
      ? `could not run: ${res.error}`
      : res.timedOut
        ? `timed out after ${step.timeoutMs} ms`
        : `exit code ${res.exitCode}`;
    lines.push(`## Command\n\n\`${cmd}\`: ${how}\n\n\`\`\`\n${res.tail}\n\`\`\``);
    if (!ok) why = `"${cmd}": ${how}`;
  }
  if (ok && step.health) {
    const h = await checkHealth(step.health);
    ok = h.ok;
    if (!h.ok) why = `health check ${step.health.url}: ${h.detail}`;
    lines.push(
      `## Health check\n\n${step.health.url}: ${h.ok ? 'healthy' : 'unhealthy'} after ${h.attempts} probe(s) — ${h.detail}`,
    );
  }
  const path = `${workItemDir(ctx)}/${log.file}`;
  await mkdir(dirname(path), { recursive: true });
  await writeFile(
    path,
    `---\n${log.field}: ${ok ? 'SUCCESS' : 'FAILED'}\nwritten_by: orch\n---\n# ${log.title} (${ctx.workItemId})\n\n${lines.join('\n\n')}\n`,
  );
  return { ok, why };
}
