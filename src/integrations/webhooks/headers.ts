/** Incoming HTTP headers as Node gives them (lower-case names; repeated headers as arrays). */
export type WebhookHeaders = Readonly<Record<string, string | readonly string[] | undefined>>;

/** The first value of a header, looked up case-insensitively; blank values count as absent. */
export function headerValue(headers: WebhookHeaders, name: string): string | null {
  const wanted = name.toLowerCase();
  for (const [key, raw] of Object.entries(headers)) {
    if (key.toLowerCase() !== wanted || raw === undefined) continue;
    const value = typeof raw === 'string' ? raw : raw[0];
    if (value !== undefined && value.trim() !== '') return value.trim();
  }
  return null;
}
