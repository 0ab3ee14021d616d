import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { OrchError } from '../errors.js';
import { agentsSectionSchema } from '../agents/agents-config.js';

/**
 * `orch.config.yaml`: one file, one section per slice. Each slice owns its section's schema
 * (`agents:` → src/agents/agents-config.ts). Unknown top-level sections pass through untouched so
 * slices can add `projects:` / `pipeline:` without this file rejecting them. Documented in
 * docs/config.md.
 */
export const configFileSchema = z
  .object({
    agents: agentsSectionSchema.default(agentsSectionSchema.parse({})),
  })
  .passthrough();

export type ConfigFile = z.infer<typeof configFileSchema>;

export const DEFAULT_CONFIG_FILE = 'orch.config.yaml';

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

/** Validates an already-parsed config object (tests, programmatic use). */
export function parseConfigFile(raw: unknown, source = 'config'): ConfigFile {
  const parsed = configFileSchema.safeParse(raw);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new OrchError('CONFIG_INVALID', `invalid ${source}: ${issues}`);
  }
  return parsed.data;
}
