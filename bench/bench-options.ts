/**
 * Command-line options of the benches that take `--name value` options (bench:agents,
 * bench:pipeline): an unknown option or a bad value stops the bench before it starts anything,
 * with one line and exit 2, instead of running with a default the user did not ask for.
 */

/** A bad command line: `runBench` prints its message alone and exits 2. */
export class UsageError extends Error {}

export interface BenchArgs {
  /** The option's value, or `def` when it is absent. */
  get(name: string, def: string): string;
  /** A number option in [min, max] (a whole one if `whole`). */
  num(name: string, def: string, min: number, o?: { whole?: boolean; max?: number }): number;
  /** One of `choices`. */
  choice<T extends string>(name: string, def: T, choices: readonly T[]): T;
  /** Whether the flag is present. */
  flag(name: string): boolean;
}

/** Checks every argument against the known `values` and `flags` names; see `usage` for the list. */
export function benchArgs(
  argv: readonly string[],
  known: { values: readonly string[]; flags: readonly string[]; usage: string },
): BenchArgs {
  for (let k = 0; k < argv.length; k++) {
    const name = argv[k]!.replace(/^--/, '');
    if (known.values.includes(name)) k++;
    else if (!known.flags.includes(name))
      throw new UsageError(
        `bench: unknown option ${argv[k]} (see the usage at the top of ${known.usage})`,
      );
  }
  const get = (name: string, def: string) => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 && argv[i + 1] !== undefined ? argv[i + 1]! : def;
  };
  return {
    get,
    num(name, def, min, o = {}) {
      const max = o.max ?? Infinity;
      const v = Number(get(name, def));
      if (!Number.isFinite(v) || v < min || v > max || (o.whole && !Number.isInteger(v)))
        throw new UsageError(
          `bench: --${name} must be a ${o.whole ? 'whole ' : ''}number ≥ ${min}` +
            (max < Infinity ? ` and ≤ ${max}` : ''),
        );
      return v;
    },
    choice(name, def, choices) {
      const v = get(name, def);
      if (!(choices as readonly string[]).includes(v))
        throw new UsageError(`bench: --${name} must be one of: ${choices.join(', ')}`);
      return v as (typeof choices)[number];
    },
    flag: (name) => argv.includes(`--${name}`),
  };
}

/** Runs a bench's main: a usage error is one line on stderr and exit 2; anything else exit 1. */
export function runBench(main: () => Promise<void>): void {
  main().catch((err: unknown) => {
    console.error(err instanceof UsageError ? err.message : err);
    process.exit(err instanceof UsageError ? 2 : 1);
  });
}
