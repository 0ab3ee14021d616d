import {
  checkAnalysisComplete,
  checkArchitectureDone,
  checkDeployStatus,
  checkReviewerVerdict,
  checkStagingStatus,
  checkTestsPassed,
} from './artifact-gates.js';
import { checkCiGreen, checkReviewApproved, checkTestsLocal } from './forge-gates.js';
import type { Gate, GateContext, GateResult } from './gate.js';

/** Gates by name. Edge gates (security, merge) are added by the runtime when configured. */
export class GateRegistry {
  readonly #gates = new Map<string, Gate>();
  readonly #mask: (text: string) => string;

  /**
   * `mask` (config/secret-masker.ts) is applied to every result's reason and evidence: they carry
   * captured output (the repo's test suite, scanners) and go to the store, prompts and comments.
   */
  constructor(
    gates: Record<string, Gate> = DEFAULT_GATES,
    o: { mask?: (text: string) => string } = {},
  ) {
    for (const [name, gate] of Object.entries(gates)) this.#gates.set(name, gate);
    this.#mask = o.mask ?? ((text) => text);
  }

  register(name: string, gate: Gate): void {
    this.#gates.set(name, gate);
  }

  has(name: string): boolean {
    return this.#gates.has(name);
  }

  /** An unknown gate never passes (spec §4.3: "Unknown QG" → no advance). A throwing gate fails. */
  async evaluate(name: string, ctx: GateContext): Promise<GateResult> {
    const r = await this.#evaluate(name, ctx);
    const masked = { ...r, reason: this.#mask(r.reason) };
    return r.evidence === undefined ? masked : { ...masked, evidence: this.#mask(r.evidence) };
  }

  async #evaluate(name: string, ctx: GateContext): Promise<GateResult> {
    const gate = this.#gates.get(name);
    if (!gate) return { gate: name, passed: false, reason: `Unknown gate: ${name}` };
    try {
      return await gate(ctx);
    } catch (err) {
      return { gate: name, passed: false, reason: `gate error: ${(err as Error).message}` };
    }
  }
}

export const DEFAULT_GATES: Record<string, Gate> = {
  check_analysis_complete: checkAnalysisComplete,
  check_architecture_done: checkArchitectureDone,
  check_tests_local: checkTestsLocal,
  check_reviewer_verdict: checkReviewerVerdict,
  check_tests_passed: checkTestsPassed,
  check_staging_status: checkStagingStatus,
  check_deploy_status: checkDeployStatus,
  check_review_approved: checkReviewApproved,
  check_ci_green: checkCiGreen,
};
