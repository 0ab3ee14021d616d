import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { envSchema, parseEnv } from '../../src/config/env.js';
import { ENV_EXAMPLE_FILE } from '../../scripts/env-example.js';

const REGENERATE = 'run `npm run env:example` to regenerate .env.example';

/** `ORCH_*` assignments of .env.example, commented (`# ORCH_X=v`) or not. */
function exampleValues(): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of readFileSync(ENV_EXAMPLE_FILE, 'utf8').split('\n')) {
    const m = /^(?:# )?(ORCH_[A-Z0-9_]+)=(.*)$/.exec(line);
    if (m?.[1] !== undefined) out.set(m[1], m[2] ?? '');
  }
  return out;
}

/** Variables read outside the schema (src/config/child-env.ts), listed in .env.example too. */
const OUTSIDE_SCHEMA = ['ORCH_SIM_LEDGER', 'ORCH_SIM_SCENARIO'];

describe('.env.example', () => {
  it('lists every variable of the env schema, and none that Orch does not read', () => {
    const listed = exampleValues();
    const schema = Object.keys(envSchema.shape);
    const missing = schema.filter((n) => !listed.has(n));
    const stale = [...listed.keys()].filter(
      (n) => !schema.includes(n) && !OUTSIDE_SCHEMA.includes(n),
    );
    expect(missing, `missing from .env.example: ${REGENERATE}`).toEqual([]);
    expect(stale, `not in src/config/env.ts: ${REGENERATE}`).toEqual([]);
  });

  it("gives each variable the schema's default: setting it to the listed value changes nothing", () => {
    const defaults = parseEnv({});
    const differ = [...exampleValues()]
      .filter(([name]) => name in envSchema.shape)
      .filter(([name, value]) => {
        const key = name as keyof typeof defaults;
        return JSON.stringify(parseEnv({ [name]: value })[key]) !== JSON.stringify(defaults[key]);
      })
      .map(([name, value]) => `${name}=${value}`);
    expect(differ, `default differs from src/config/env.ts: ${REGENERATE}`).toEqual([]);
  });
});
