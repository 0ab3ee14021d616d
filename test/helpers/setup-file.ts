import { inject } from 'vitest';
import { useSimAgentBundle } from '../../src/agents/adapters/scripted.js';

// Every test file: scripted agents start from the run's bundle (global-setup.ts), not through tsx.
useSimAgentBundle(inject('simAgentBundle'));
