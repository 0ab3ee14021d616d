import { Command } from 'commander';
import { OrchError } from '../errors.js';
import { explainTask, renderExplanation, runtimeExplainDeps } from '../pipeline/explain.js';
import { AgentRunStore } from '../store/agent-runs/agent-run-store.js';
import { printJson } from './output.js';
import { withCommon, withRuntime, type Common } from './task-command.js';

/**
 * `orch explain <ID>`: why a work item is where it is and what would move it (issue 18). Text by
 * default, the structure with `--json`; an unknown item exits 1 with TASK_NOT_FOUND. This process
 * runs no worker, so whether `orch serve` runs one is reported as unknown.
 */
export function explainCommand(): Command {
  return withCommon(new Command('explain').argument('<workItem>', 'work-item id or task id'))
    .description('why a work item is where it is and what would move it')
    .action((ref: string, o: Common) =>
      withRuntime(o, async (rt) => {
        const deps = runtimeExplainDeps({ ...rt, runs: new AgentRunStore(rt.db) }, null);
        const e = await explainTask(deps, ref);
        if (!e) throw new OrchError('TASK_NOT_FOUND', `no work item ${ref}`);
        if (o.json) printJson(e);
        else process.stdout.write(renderExplanation(e));
      }),
    );
}
