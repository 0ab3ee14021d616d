import { PIPELINE_ROLES } from '../agents/agents-config.js';
import { OrchError } from '../errors.js';
import { ORCH_TENANT } from '../queue/enqueue-input.js';

/** Kinds under these prefixes are Orch's own in-process jobs (webhook deliveries, rechecks). */
export const INTERNAL_KIND_PREFIXES = ['webhook.', 'pipeline.'] as const;

/**
 * Who may create which jobs (issue 13). Internal kinds — the agent roles Orch runs locally
 * (`roles`: the pipeline roles plus every configured agent profile), `webhook.*` and
 * `pipeline.*` — are created by Orch only, in its own tenant (`ORCH_TENANT`). A remote caller
 * creates only kinds its token lists, and never an internal one.
 */
export class KindPolicy {
  readonly #roles: ReadonlySet<string>;

  constructor(roles: readonly string[] = PIPELINE_ROLES) {
    this.#roles = new Set(roles);
  }

  isInternal(kind: string): boolean {
    return this.#roles.has(kind) || INTERNAL_KIND_PREFIXES.some((p) => kind.startsWith(p));
  }

  /**
   * Throws KIND_NOT_ALLOWED unless every kind may be created by this caller: `granted` is the
   * token's kinds, or null for the admin token (any kind that is not internal).
   */
  assertCreatable(kinds: readonly string[], granted: readonly string[] | null): void {
    const refused = kinds.filter(
      (k) => this.isInternal(k) || (granted !== null && !granted.includes(k)),
    );
    if (refused.length > 0) {
      throw new OrchError(
        'KIND_NOT_ALLOWED',
        `this token may not create jobs of kinds: ${[...new Set(refused)].join(', ')}`,
      );
    }
  }

  /** Throws KIND_RESERVED / TENANT_RESERVED for a token that would reach Orch's own jobs. */
  assertGrantable(tenantId: string, kinds: readonly string[]): void {
    if (tenantId === ORCH_TENANT) {
      throw new OrchError('TENANT_RESERVED', `tenant "${ORCH_TENANT}" is Orch's own`);
    }
    const internal = kinds.filter((k) => this.isInternal(k));
    if (internal.length > 0) {
      throw new OrchError(
        'KIND_RESERVED',
        `internal kinds cannot be granted: ${internal.join(', ')}`,
      );
    }
  }
}
