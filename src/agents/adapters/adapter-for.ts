import { assertNever } from '../../errors.js';
import type { AdapterName, AgentAdapter } from '../runner.js';
import { aiderAdapter } from './aider.js';
import { claudeCodeAdapter } from './claude-code.js';
import { codexAdapter } from './codex.js';
import { commandAdapter } from './command.js';
import { scriptedAdapter } from './scripted.js';

/** The adapter for a configured adapter name. */
export function adapterFor(name: AdapterName): AgentAdapter {
  switch (name) {
    case 'claude-code':
      return claudeCodeAdapter;
    case 'codex':
      return codexAdapter;
    case 'aider':
      return aiderAdapter;
    case 'command':
      return commandAdapter;
    case 'scripted':
      return scriptedAdapter;
    default:
      return assertNever(name, 'adapter');
  }
}
