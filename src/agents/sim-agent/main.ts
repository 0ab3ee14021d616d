#!/usr/bin/env node
/**
 * The scripted agent's own entry point: `orch sim-agent` without loading the rest of the CLI
 * (HTTP server, database drivers), so each simulated run starts in a fraction of the time.
 * The command is the same one `orch sim-agent` runs.
 */
import { simAgentCommand } from './sim-agent-command.js';

// Also runs as a configured agent `command` (the adapter then appends `sim-agent`, as for `orch`).
const argv = process.argv.slice(2);
if (argv[0] === 'sim-agent') argv.shift();
await simAgentCommand().parseAsync(argv, { from: 'user' });
