import { z } from 'zod';

/** A hook's shell script: one `sh -c` argument, may span lines. */
const script = z.string().trim().min(1).max(20_000);

/** snake_case spellings (openai/symphony's WORKFLOW.md) of the camelCase keys below. */
const ALIASES = {
  after_create: 'afterCreate',
  before_run: 'beforeRun',
  after_run: 'afterRun',
  before_remove: 'beforeRemove',
  timeout_s: 'timeoutS',
} as const;

/**
 * `projects[].hooks` (src/agents/workspace-hooks.ts): shell commands run in the task's worktree
 * at four moments, with one timeout for all. Keys are camelCase like the rest of the file; the
 * snake_case names (`after_create`…) are accepted as spellings, as `prefix` is of `key`. A key
 * given in both spellings is left as it is and rejected as unknown.
 */
export const hooksSchema = z.preprocess(
  (raw) => {
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return raw;
    const o = { ...(raw as Record<string, unknown>) };
    for (const [snake, camel] of Object.entries(ALIASES)) {
      if (o[snake] !== undefined && o[camel] === undefined) {
        o[camel] = o[snake];
        delete o[snake];
      }
    }
    return o;
  },
  z.strictObject({
    afterCreate: script.optional(),
    beforeRun: script.optional(),
    afterRun: script.optional(),
    beforeRemove: script.optional(),
    /** Per hook run; past it the hook's process group is killed and the hook has failed. */
    timeoutS: z.number().positive().max(3600).default(60),
  }),
);

export type HooksSchemaConfig = z.infer<typeof hooksSchema>;
