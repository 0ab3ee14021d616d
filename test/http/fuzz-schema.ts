import type { Fuzz } from './fuzz-gen.js';

/** The part of a JSON Schema (as fastify-swagger emits it from zod) the fuzzer reads. */
export interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  enum?: unknown[];
  anyOf?: JsonSchema[];
  minimum?: number;
  maximum?: number;
  minItems?: number;
  maxItems?: number;
  maxLength?: number;
}

/** Values that pass a field's pattern, by field name (patterns are not generated). */
export type Hints = Record<string, readonly unknown[]>;

function numberFor(f: Fuzz, s: JsonSchema): number {
  const lo = s.minimum ?? 0;
  const hi = s.maximum ?? 1000;
  return f.pick([
    lo,
    hi,
    lo - 1,
    hi + 1,
    lo + f.int(Math.max(1, Math.min(hi - lo, 1e6))),
    f.number(),
  ]);
}

/**
 * A value shaped by `schema` most of the time (required fields, some optional ones, values from
 * `hints` or of the right type at and around the bounds), and anything at all otherwise: the
 * point is to reach the handlers, not only the validator.
 */
export function fromSchema(
  f: Fuzz,
  schema: JsonSchema | undefined,
  hints: Hints,
  key = '',
): unknown {
  if (!schema || f.int(10) === 0) return f.value(2);
  if (schema.anyOf) return fromSchema(f, f.pick(schema.anyOf), hints, key);
  const hint = hints[key];
  if (hint && f.int(3) > 0) return f.pick(hint);
  if (schema.enum) return f.int(5) === 0 ? f.string() : f.pick(schema.enum);
  const type = Array.isArray(schema.type) ? f.pick(schema.type) : schema.type;
  switch (type ?? '') {
    case 'object': {
      const o: Record<string, unknown> = {};
      for (const [k, sub] of Object.entries(schema.properties ?? {})) {
        const required = schema.required?.includes(k) ?? false;
        if (required ? f.int(12) > 0 : f.int(2) === 0) o[k] = fromSchema(f, sub, hints, k);
      }
      if (f.int(8) === 0) o[f.string()] = f.value(1);
      return o;
    }
    case 'array': {
      const n = f.pick([0, 1, 2, schema.maxItems ?? 3, (schema.maxItems ?? 3) + 1]);
      return Array.from({ length: Math.min(n, 200) }, () =>
        fromSchema(f, schema.items, hints, key),
      );
    }
    case 'integer':
    case 'number':
      return numberFor(f, schema);
    case 'boolean':
      return f.int(2) === 0;
    case 'string':
      return f.int(6) === 0
        ? 'x'.repeat(Math.min((schema.maxLength ?? 100) + 1, 20_001))
        : f.string();
    default:
      return f.value(2);
  }
}
