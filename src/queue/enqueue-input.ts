import { OrchError } from '../errors.js';

/** What a caller may ask for when enqueueing; validated by `normalizeEnqueue`. */
export interface EnqueueInput {
  kind: string;
  payload?: unknown;
  labels?: readonly string[];
  priority?: number;
  /** Not claimable before this time (epoch ms). Default: now. */
  availableAtMs?: number;
  /** Same key (per tenant) → the same job; the second enqueue creates nothing. */
  idempotencyKey?: string;
  maxAttempts?: number;
  taskId?: number | null;
  runId?: number | null;
  tenantId?: string;
}

export interface NormalizedEnqueue {
  kind: string;
  payloadJson: string;
  labelsJson: string;
  priority: number;
  availableAtMs: number;
  idempotencyKey: string | null;
  maxAttempts: number;
  taskId: number | null;
  runId: number | null;
  tenantId: string;
}

export const MAX_PAYLOAD_BYTES = 1024 * 1024;

/**
 * The tenant of Orch's own jobs (pipeline agents, webhook deliveries, rechecks). Orch's local
 * workers and handler workers claim only this tenant's jobs; no agent token can be issued for it
 * (src/remote/kind-policy.ts), so no remote caller can create or lease them.
 */
export const ORCH_TENANT = 'default';
const KIND_RE = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,99}$/;
const LABEL_RE = /^[A-Za-z0-9][A-Za-z0-9._:=/-]{0,99}$/;

function fail(code: string, message: string): never {
  throw new OrchError(code, message);
}

function isWholeNumber(n: unknown, min: number): n is number {
  return typeof n === 'number' && Number.isSafeInteger(n) && n >= min;
}

/** Serializes a payload; anything that does not survive JSON (functions, BigInt, cycles) is rejected. */
export function payloadToJson(payload: unknown): string {
  let json: string | undefined;
  try {
    json = JSON.stringify(payload ?? {});
  } catch (err) {
    throw new OrchError('INVALID_PAYLOAD', 'payload is not JSON-serializable', { cause: err });
  }
  if (json === undefined) fail('INVALID_PAYLOAD', 'payload is not JSON-serializable');
  if (Buffer.byteLength(json, 'utf8') > MAX_PAYLOAD_BYTES) {
    fail('PAYLOAD_TOO_LARGE', `payload exceeds ${MAX_PAYLOAD_BYTES} bytes`);
  }
  return json;
}

/** Validates and normalizes one enqueue request; throws OrchError with a stable code. */
export function normalizeEnqueue(
  input: EnqueueInput,
  defaults: { nowMs: number; maxAttempts: number },
): NormalizedEnqueue {
  if (typeof input !== 'object' || input === null) fail('INVALID_JOB', 'job must be an object');
  if (typeof input.kind !== 'string' || !KIND_RE.test(input.kind)) {
    fail('INVALID_KIND', 'kind must be 1-100 characters of letters, digits, . _ : -');
  }
  const priority = input.priority ?? 0;
  if (!isWholeNumber(priority, 0) || priority > 1_000_000) {
    fail('INVALID_PRIORITY', 'priority must be an integer from 0 to 1000000 (higher runs first)');
  }
  const labels = input.labels ?? [];
  if (
    !Array.isArray(labels) ||
    labels.length > 32 ||
    !labels.every((l: unknown) => typeof l === 'string' && LABEL_RE.test(l))
  ) {
    fail('INVALID_LABELS', 'labels must be at most 32 strings of letters, digits, . _ : = / -');
  }
  const availableAtMs = input.availableAtMs ?? defaults.nowMs;
  if (!isWholeNumber(availableAtMs, 0))
    fail('INVALID_AVAILABLE_AT', 'availableAtMs must be epoch ms');
  const maxAttempts = input.maxAttempts ?? defaults.maxAttempts;
  if (!isWholeNumber(maxAttempts, 1) || maxAttempts > 100) {
    fail('INVALID_MAX_ATTEMPTS', 'maxAttempts must be an integer from 1 to 100');
  }
  const key = input.idempotencyKey ?? null;
  if (key !== null && (typeof key !== 'string' || key.length === 0 || key.length > 200)) {
    fail('INVALID_IDEMPOTENCY_KEY', 'idempotencyKey must be 1-200 characters');
  }
  const tenantId = input.tenantId ?? ORCH_TENANT;
  if (typeof tenantId !== 'string' || !KIND_RE.test(tenantId))
    fail('INVALID_TENANT', 'bad tenant id');
  for (const [name, v] of [
    ['taskId', input.taskId],
    ['runId', input.runId],
  ] as const) {
    if (v !== undefined && v !== null && !isWholeNumber(v, 1)) {
      fail('INVALID_JOB', `${name} must be a positive integer`);
    }
  }
  return {
    kind: input.kind,
    payloadJson: payloadToJson(input.payload),
    labelsJson: JSON.stringify([...new Set(labels)].sort()),
    priority,
    availableAtMs,
    idempotencyKey: key,
    maxAttempts,
    taskId: input.taskId ?? null,
    runId: input.runId ?? null,
    tenantId,
  };
}
