import type { z } from 'zod';

/** The parts of a zod 4 schema's definition the key lookup below walks. */
interface Def {
  type: string;
  innerType?: z.ZodType;
  in?: z.ZodType;
  out?: z.ZodType;
  element?: z.ZodType;
  valueType?: z.ZodType;
  shape?: Record<string, z.ZodType>;
  options?: z.ZodType[];
  discriminator?: string;
  values?: unknown[];
}

const defOf = (schema: z.ZodType): Def => schema._zod.def;

/** A config path as a user writes it: `projects[0].forge`, `agents.roles.developer`. */
export function formatConfigPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else out += out === '' ? String(p) : `.${String(p)}`;
  }
  return out;
}

/** Strips wrappers (optional, default, nullable, preprocess…) down to the schema that validates. */
function unwrap(schema: z.ZodType): z.ZodType {
  const def = defOf(schema);
  switch (def.type) {
    case 'optional':
    case 'nonoptional':
    case 'default':
    case 'prefault':
    case 'nullable':
    case 'readonly':
    case 'catch':
      return def.innerType ? unwrap(def.innerType) : schema;
    case 'pipe':
      // z.preprocess(fn, s) is a pipe from a transform into s; x.transform(fn) pipes x into one.
      if (def.in && defOf(def.in).type !== 'transform') return unwrap(def.in);
      return def.out ? unwrap(def.out) : schema;
    default:
      return schema;
  }
}

/** The object schemas `data` is checked against (of a discriminated union: the matching one). */
function objectOptions(schema: z.ZodType, data: unknown): z.ZodType[] {
  const s = unwrap(schema);
  const def = defOf(s);
  if (def.type === 'object') return [s];
  if (def.type !== 'union' || !def.options) return [];
  const options = def.options.flatMap((o) => objectOptions(o, data));
  const disc = def.discriminator;
  if (disc === undefined || data === null || typeof data !== 'object') return options;
  const value = (data as Record<string, unknown>)[disc];
  const matching = options.filter((o) => {
    const field = defOf(o).shape?.[disc];
    return field !== undefined && (defOf(unwrap(field)).values ?? []).includes(value);
  });
  return matching.length > 0 ? matching : options;
}

function child(schema: z.ZodType, data: unknown, key: PropertyKey): z.ZodType | undefined {
  const def = defOf(unwrap(schema));
  if (def.type === 'array') return def.element;
  if (def.type === 'record') return def.valueType;
  for (const o of objectOptions(schema, data)) {
    const field = defOf(o).shape?.[String(key)];
    if (field) return field;
  }
  return undefined;
}

/**
 * The keys an object in the config may have at `path` (the input `data` picks a discriminated
 * union's option: `forge: { kind: local }` → kind, baseBranch). Empty when the path leads nowhere.
 */
export function validKeysAt(
  schema: z.ZodType,
  data: unknown,
  path: readonly PropertyKey[],
): string[] {
  let s: z.ZodType | undefined = schema;
  let d = data;
  for (const key of path) {
    s = child(s, d, key);
    if (!s) return [];
    d = d !== null && typeof d === 'object' ? (d as Record<PropertyKey, unknown>)[key] : undefined;
  }
  const keys = objectOptions(s, d).flatMap((o) => Object.keys(defOf(o).shape ?? {}));
  return [...new Set(keys)];
}

/**
 * One line per problem, the path in the user's terms: `projects[0].forge: unknown key "path"
 * (valid: kind, baseBranch)`. `prefix` is the path of `schema` in the file (`['projects']`).
 */
export function configIssueLines(
  error: z.ZodError,
  schema: z.ZodType,
  data: unknown,
  prefix: readonly PropertyKey[] = [],
): string[] {
  return error.issues.flatMap((issue) => {
    const where = formatConfigPath([...prefix, ...issue.path]) || '(top level)';
    if (issue.code !== 'unrecognized_keys') return [`${where}: ${issue.message}`];
    const valid = validKeysAt(schema, data, issue.path).join(', ');
    return issue.keys.map((k) => `${where}: unknown key "${k}" (valid: ${valid})`);
  });
}
