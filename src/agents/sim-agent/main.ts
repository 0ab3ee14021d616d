#!/usr/bin/env node
/**
 * The scripted agent's own entry point: `orch sim-agent` without loading the rest of the CLI
 * (HTTP server, database drivers), so each simulated run starts in a fraction of the time.
 * The command is the same one `orch sim-agent` runs.
 */
import { simAgentCommand } from './sim-agent-command.js';

await simAgentCommand().parseAsync(process.argv.slice(2), { from: 'user' });
