/** A tiny seeded generator of random and malformed request bodies (no dependencies). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class Fuzz {
  readonly #rand: () => number;

  constructor(seed: number) {
    this.#rand = mulberry32(seed);
  }

  int(n: number): number {
    return Math.floor(this.#rand() * n);
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }

  string(): string {
    const len = this.pick([0, 1, 5, 40, 300, 5000]);
    let s = '';
    for (let i = 0; i < len; i++) {
      s += String.fromCharCode(this.pick([this.int(128), this.int(0xd800), 0, 0x2028, 0xfeff]));
    }
    return this.pick([s, '../../etc/passwd', 'Bearer x', '$1', "'; drop table jobs; --", '🙂', s]);
  }

  number(): number {
    return this.pick([0, -1, 1, 1.5, -0.0001, 2 ** 53, -(2 ** 63), 1e308, this.int(1000)]);
  }

  /** Any JSON value, nested up to `depth`. */
  value(depth = 3): unknown {
    const kind = this.int(depth > 0 ? 7 : 4);
    switch (kind) {
      case 0:
        return null;
      case 1:
        return this.#rand() < 0.5;
      case 2:
        return this.number();
      case 3:
        return this.string();
      case 4:
        return Array.from({ length: this.int(5) }, () => this.value(depth - 1));
      default: {
        const o: Record<string, unknown> = {};
        for (let i = this.int(5); i > 0; i--)
          o[this.pick(['kinds', 'plan', 'x', this.string()])] = this.value(depth - 1);
        return o;
      }
    }
  }

  /** A value of the wrong type for a field whose valid type is `like`. */
  wrongType(like: unknown): unknown {
    for (;;) {
      const v = this.value(2);
      if (typeof v !== typeof like || Array.isArray(v) !== Array.isArray(like) || v === null)
        return v;
    }
  }

  /** Raw body text that is not valid JSON (or is hostile JSON). */
  malformedText(valid: string): string {
    return this.pick([
      valid.slice(0, Math.max(1, this.int(valid.length))),
      `${valid}}`,
      `{${valid}`,
      '['.repeat(5000),
      '{"__proto__":{"admin":true}}',
      '{"constructor":{"prototype":{"x":1}}}',
      'NaN',
      "{'single':'quotes'}",
      '\u0000\u0001\u0002',
      '',
      ' ',
    ]);
  }
}
