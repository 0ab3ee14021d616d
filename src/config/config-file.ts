import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { OrchError } from '../errors.js';
import { agentsSectionSchema } from '../agents/agents-config.js';
import { budgetSchema } from './budget.js';
import { configIssueLines } from './config-issues.js';
import { projectsSchema } from './projects.js';

/**
 * `orch.config.yaml`: one file, one section per slice. Each slice owns its section's schema
 * (`agents:` → src/agents/agents-config.ts, `projects:` → src/config/projects.ts); a new section
 * is added here. Every object in it is strict: an unknown key anywhere (a typo, a guessed
 * `forge.path`) is CONFIG_INVALID naming the key and the valid ones, never silently ignored.
 * Documented in docs/config.md.
 */
export const configFileSchema = z.strictObject({
  agents: agentsSectionSchema.default(agentsSectionSchema.parse({})),
  /** Validated here so a bad project stops every command early; `parseProjects` builds lookups. */
  projects: projectsSchema,
  /** Spend limits for every project (src/config/budget.ts); `projects[].budget` overrides. */
  budget: budgetSchema.optional(),
});

export type ConfigFile = z.infer<typeof configFileSchema>;

export const DEFAULT_CONFIG_FILE = 'orch.config.yaml';

/**
 * The config file a command reads: `--config`, else ORCH_CONFIG, else `./orch.config.yaml` when
 * it exists. Absolute; undefined = none (all defaults).
 */
export function configFilePath(path: string | undefined): string | undefined {
  if (path !== undefined) return resolve(path);
  const file = resolve(DEFAULT_CONFIG_FILE);
  return existsSync(file) ? file : undefined;
}

/**
 * Loads and validates the config file. `path` defaults to `./orch.config.yaml`; a missing default
 * file is fine (all defaults), a missing explicitly named file is CONFIG_NOT_FOUND, and invalid
 * YAML or values are CONFIG_INVALID with the offending paths.
 */
export function loadConfigFile(path?: string): ConfigFile {
  const file = resolve(path ?? DEFAULT_CONFIG_FILE);
  if (!existsSync(file)) {
    if (path !== undefined) {
      throw new OrchError('CONFIG_NOT_FOUND', `config file ${file} does not exist`);
    }
    return parseConfigFile({});
  }
  let raw: unknown;
  try {
    raw = parseYaml(readFileSync(file, 'utf8')) ?? {};
  } catch (err) {
    throw new OrchError('CONFIG_INVALID', `${file} is not valid YAML`, { cause: err });
  }
  return parseConfigFile(raw, file);
}

/**
 * Validates an already-parsed config object (tests, programmatic use). CONFIG_INVALID lists one
 * problem per line, e.g. `projects[0].forge: unknown key "path" (valid: kind, baseBranch)`.
 */
export function parseConfigFile(raw: unknown, source = 'config'): ConfigFile {
  const parsed = configFileSchema.safeParse(raw);
  if (!parsed.success) {
    const lines = configIssueLines(parsed.error, configFileSchema, raw);
    throw new OrchError('CONFIG_INVALID', `invalid ${source}:\n  ${lines.join('\n  ')}`);
  }
  return parsed.data;
}
