import { assertNever } from '../errors.js';

/**
 * Per-agent-kind circuit breaker (spec §12), pure transitions over data. Stored by BreakerStore.
 * - closed: claims flow; `threshold` consecutive transient failures open it.
 * - open: no claims (no CLI calls) until `openUntilMs`; then the first claimer moves it to
 *   half_open and takes the one probe job.
 * - half_open: only the probe runs; its success closes the breaker, a transient re-opens it,
 *   a permanent failure (not an API problem) closes it too.
 */
export const BREAKER_STATES = ['closed', 'open', 'half_open'] as const;
export type BreakerState = (typeof BREAKER_STATES)[number];

export interface Breaker {
  kind: string;
  state: BreakerState;
  consecutiveTransient: number;
  openedAtMs: number | null;
  openUntilMs: number | null;
  probeJobId: number | null;
}

export interface BreakerPolicy {
  threshold: number;
  pauseMs: number;
}

export type BreakerEvent = 'transient' | 'success' | 'permanent';

export function closedBreaker(kind: string): Breaker {
  return {
    kind,
    state: 'closed',
    consecutiveTransient: 0,
    openedAtMs: null,
    openUntilMs: null,
    probeJobId: null,
  };
}

function open(b: Breaker, nowMs: number, policy: BreakerPolicy, streak: number): Breaker {
  return {
    ...b,
    state: 'open',
    consecutiveTransient: streak,
    openedAtMs: nowMs,
    openUntilMs: nowMs + policy.pauseMs,
    probeJobId: null,
  };
}

/**
 * Applies a finished run's outcome. `opened` is true when this event opened (or re-opened) the
 * breaker, so the caller notifies exactly once per opening.
 */
export function recordOutcome(
  b: Breaker,
  event: BreakerEvent,
  policy: BreakerPolicy,
  nowMs: number,
): { breaker: Breaker; opened: boolean; reason: string | null } {
  switch (event) {
    case 'success':
    case 'permanent':
      return { breaker: closedBreaker(b.kind), opened: false, reason: null };
    case 'transient': {
      const streak = b.consecutiveTransient + 1;
      if (b.state === 'half_open') {
        const reason = 'circuit re-opened: probe job hit transient again';
        return { breaker: open(b, nowMs, policy, streak), opened: true, reason };
      }
      if (b.state === 'open')
        return { breaker: { ...b, consecutiveTransient: streak }, opened: false, reason: null };
      if (streak >= policy.threshold) {
        const reason = `circuit OPEN: ${streak} consecutive transient failures; pausing ${Math.round(policy.pauseMs / 1000)}s (no CLI calls)`;
        return { breaker: open(b, nowMs, policy, streak), opened: true, reason };
      }
      return { breaker: { ...b, consecutiveTransient: streak }, opened: false, reason: null };
    }
    default:
      return assertNever(event, 'breaker event');
  }
}

/**
 * What a claimer may do for this kind now:
 * - `claim`: claim freely (closed);
 * - `probe`: the pause is over; move to half_open and claim exactly one probe job;
 * - `blocked`: open and still pausing, or half_open with its probe already out.
 */
export type ClaimGate = 'claim' | 'probe' | 'blocked';

export function claimGate(b: Breaker, nowMs: number): ClaimGate {
  switch (b.state) {
    case 'closed':
      return 'claim';
    case 'open':
      return b.openUntilMs !== null && nowMs >= b.openUntilMs ? 'probe' : 'blocked';
    case 'half_open':
      return b.probeJobId === null ? 'probe' : 'blocked';
    default:
      return assertNever(b.state, 'breaker state');
  }
}

/** The breaker after a claimer took the probe job `jobId`. */
export function startProbe(b: Breaker, jobId: number): Breaker {
  return { ...b, state: 'half_open', probeJobId: jobId };
}

/** A status block for `GET /queue`. */
export function breakerSnapshot(b: Breaker, nowMs: number) {
  return {
    kind: b.kind,
    state: b.state,
    consecutiveTransient: b.consecutiveTransient,
    pauseRemainingS:
      b.state === 'open' && b.openUntilMs !== null
        ? Math.max(0, Math.ceil((b.openUntilMs - nowMs) / 1000))
        : 0,
  };
}
