import { z } from 'zod';
import { OrchError } from '../errors.js';

/**
 * The payload of an agent job (a job whose kind is a role or tool kind run by the local worker).
 * `repo` is a forge URL or a local path; the runner clones it under ORCH_REPOS_DIR and runs the
 * agent in the worktree of `branch`. `prompt` (or the legacy name `taskDescription`) is what the
 * agent is asked to do; it is written into the task file. `scenario` scripts the `scripted` demo
 * agent (e.g. `{ reviewer: 'request_changes_once' }`) and is ignored by real agents.
 */
export const agentJobPayloadSchema = z
  .object({
    taskId: z.number().int().positive().optional(),
    workItemId: z.string().min(1).max(100).optional(),
    repo: z.string().min(1),
    branch: z.string().min(1).max(250),
    role: z.string().min(1).max(100),
    prompt: z.string().optional(),
    taskDescription: z.string().optional(),
    stage: z.string().min(1).max(100).optional(),
    scenario: z.record(z.string(), z.string()).optional(),
  })
  .passthrough()
  .refine((p) => p.prompt !== undefined || p.taskDescription !== undefined, {
    message: 'prompt or taskDescription is required',
  });

export type AgentJobPayload = z.infer<typeof agentJobPayloadSchema>;

/** Validates a job payload; a bad payload is a permanent failure (AGENT_PAYLOAD_INVALID). */
export function parseAgentJobPayload(payload: unknown): AgentJobPayload {
  const parsed = agentJobPayloadSchema.safeParse(payload);
  if (!parsed.success) {
    const issues = parsed.error.issues
      .map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`)
      .join('; ');
    throw new OrchError('AGENT_PAYLOAD_INVALID', `agent job payload is invalid: ${issues}`);
  }
  return parsed.data;
}

/** The instruction text of a payload. */
export function payloadPrompt(p: AgentJobPayload): string {
  return p.prompt ?? p.taskDescription ?? '';
}
