/**
 * Unexpected failures and rejected input carry a stable SCREAMING_SNAKE `code`; callers and tests
 * match on the code, never on the message. HTTP status codes are mapped from codes in `http/` only.
 */
export class OrchError extends Error {
  readonly code: string;
  readonly details: Readonly<Record<string, unknown>> | undefined;

  constructor(
    code: string,
    message: string,
    options: { cause?: unknown; details?: Record<string, unknown> } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'OrchError';
    this.code = code;
    this.details = options.details;
  }
}

export function isOrchError(err: unknown, code?: string): err is OrchError {
  return err instanceof OrchError && (code === undefined || err.code === code);
}

/** Ends every `switch` over a union: a new member becomes a compile error here. */
export function assertNever(value: never, what = 'value'): never {
  throw new OrchError('UNREACHABLE', `unexpected ${what}: ${JSON.stringify(value)}`);
}
