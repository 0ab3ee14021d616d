import { z } from 'zod';
import { isSafeJson, isSafeText } from '../store/safe-text.js';

const UNSAFE_MESSAGE = 'must not contain NUL bytes or unpaired surrogates';

export { isSafeJson, isSafeText };

/**
 * The one string schema of the HTTP API: bounded length, no NUL, no lone surrogate. Every
 * free-text field of every request schema uses it (a refused value is 400 INVALID_BODY /
 * INVALID_QUERY, never a 500 from the store).
 */
export function safeString(max: number, min = 0) {
  return z.string().min(min).max(max).refine(isSafeText, UNSAFE_MESSAGE);
}

/** Like safeString, trimmed first (names, reasons). */
export function safeTrimmed(max: number, min = 1) {
  return z.string().trim().min(min).max(max).refine(isSafeText, UNSAFE_MESSAGE);
}

/** Any JSON value (payloads, results, event data) whose strings are all safe text. */
export const safeJson = z.unknown().refine((v) => isSafeJson(v), `strings ${UNSAFE_MESSAGE}`);

/** Shared request pieces (zod; also the source of the OpenAPI document at /docs). */
export const kindSchema = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,99}$/, 'letters, digits, . _ : - (1-100)');
export const labelSchema = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._:=/-]{0,99}$/, 'letters, digits, . _ : = / - (1-100)');
export const tenantSchema = kindSchema;
export const idParams = z.object({
  id: z.coerce.number().int().min(1).max(Number.MAX_SAFE_INTEGER),
});
export const leaseTokenSchema = safeString(200, 1);

export const errorSchema = z.object({
  error: z.object({ code: z.string(), message: z.string(), details: z.unknown().optional() }),
});
