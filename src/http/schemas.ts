import { z } from 'zod';

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
export const leaseTokenSchema = z.string().min(1).max(200);

export const errorSchema = z.object({
  error: z.object({ code: z.string(), message: z.string(), details: z.unknown().optional() }),
});
