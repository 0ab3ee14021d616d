import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { Command } from 'commander';
import { simAgentEnv } from '../../config/child-env.js';
import { assertNever } from '../../errors.js';
import { readTaskFile } from '../task-file.js';
import { planSimRun, type SimPlan } from './sim-artifacts.js';

/** `ORCH_SIM_SCENARIO`: JSON `{"reviewer":"request_changes_once"}` or `reviewer=…,tester=…`. */
export function parseScenarioSpec(spec: string | undefined): Record<string, string> {
  if (!spec) return {};
  try {
    const v = JSON.parse(spec) as unknown;
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, String(x)]));
    }
  } catch {
    // not JSON: role=value pairs
  }
  return Object.fromEntries(
    spec
      .split(',')
      .map((p) => p.split('=').map((x) => x.trim()))
      .filter((p): p is [string, string] => p.length === 2 && p[0] !== '' && p[1] !== ''),
  );
}

/**
 * Pure: what the scripted agent reports as its cost — its tokens at list prices ($3 per million
 * input, $15 per million output), so cost metrics and usage comments have real sums to show.
 */
export function simCostUsd(usage: { input_tokens: number; output_tokens: number }): number {
  return (usage.input_tokens * 3 + usage.output_tokens * 15) / 1_000_000;
}

function emit(obj: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(obj)}\n`);
}

interface SimArgs {
  role: string;
  worktree: string;
  taskFile: string;
}

function runSim(args: SimArgs): Promise<number> {
  const worktree = resolve(args.worktree);
  const { header, prompt } = readTaskFile(resolve(args.taskFile));
  const env = simAgentEnv();
  const scenario = header.scenario?.[args.role] ?? parseScenarioSpec(env.scenario)[args.role];
  const workItemId = header.workItemId ?? `WI-${header.taskId ?? header.jobId}`;
  const sessionId = `sim-${header.jobId}-${header.runId}`;
  if (env.ledgerPath) {
    const entry = {
      jobId: header.jobId,
      runId: header.runId,
      attempt: header.attempt,
      role: args.role,
      stage: header.stage ?? null,
      pid: process.pid,
    };
    appendFileSync(env.ledgerPath, `${JSON.stringify(entry)}\n`);
  }
  emit({
    type: 'system',
    subtype: 'init',
    session_id: sessionId,
    tools: ['Write'],
    model: 'orch-sim',
  });
  const plan = planSimRun({
    role: args.role,
    stage: header.stage,
    workItemId,
    attempt: header.attempt,
    scenario,
    prompt,
    read: (rel) => {
      const p = join(worktree, rel);
      return existsSync(p) ? readFileSync(p, 'utf8') : null;
    },
  });
  return finish(plan, worktree, sessionId);
}

async function finish(plan: SimPlan, worktree: string, sessionId: string): Promise<number> {
  let written = 0;
  for (const f of plan.files) {
    const p = join(worktree, f.path);
    mkdirSync(dirname(p), { recursive: true });
    writeFileSync(p, f.content);
    written += f.content.length;
  }
  const usage = { input_tokens: 100, output_tokens: Math.ceil(written / 4) };
  emit({
    type: 'assistant',
    session_id: sessionId,
    message: { role: 'assistant', content: [{ type: 'text', text: plan.summary }], usage },
  });
  switch (plan.end) {
    case 'success':
      emit({
        type: 'result',
        subtype: 'success',
        is_error: false,
        result: plan.summary,
        session_id: sessionId,
        total_cost_usd: simCostUsd(usage),
        usage,
      });
      return 0;
    case 'rate_limit':
      emit({
        type: 'result',
        subtype: 'success',
        is_error: true,
        api_error_status: 429,
        result: 'API Error: 429 Rate limit reached. Retry-After: 1',
        session_id: sessionId,
        total_cost_usd: simCostUsd(usage),
        usage,
      });
      return 0;
    case 'crash':
      process.stderr.write('sim-agent: simulated crash\n');
      return 3;
    case 'sigkill':
      process.stderr.write('sim-agent: dying mid-run\n');
      process.kill(process.pid, 'SIGKILL');
      return 137;
    case 'is_error':
      emit({
        type: 'result',
        subtype: 'error_during_execution',
        is_error: true,
        result: plan.summary,
        session_id: sessionId,
        total_cost_usd: simCostUsd(usage),
        usage,
      });
      return 0;
    case 'hang':
      await new Promise(() => setInterval(() => undefined, 60_000));
      return 0;
    case 'slow':
      await new Promise(() =>
        setInterval(
          () => emit({ type: 'system', subtype: 'progress', session_id: sessionId }),
          200,
        ),
      );
      return 0;
    default:
      return assertNever(plan.end, 'sim end');
  }
}

/** `orch sim-agent --role <role> --worktree <dir> --task-file <file>`: the scripted demo agent. */
export function simAgentCommand(): Command {
  return new Command('sim-agent')
    .description("deterministic demo agent: writes the role's artifacts into the worktree")
    .requiredOption(
      '--role <role>',
      'agent role (analyst, architect, developer, reviewer, tester, deployer)',
    )
    .requiredOption('--worktree <dir>', 'the git worktree to write into')
    .requiredOption('--task-file <file>', 'the task file written by the runner')
    .action(async (opts: SimArgs) => {
      const code = await runSim(opts);
      // runCli maps a returned action to exit 0; a simulated crash must really exit non-zero.
      if (code !== 0) process.exit(code);
    });
}
