/** Marks a string the intake shortened to fit the job payload limit. */
export const TRUNCATED_MARK = '…[truncated]';

interface Slot {
  value: string;
  set: (s: string) => void;
}

/** Every string leaf of a JSON value, with a setter into its container. */
function stringSlots(v: unknown, out: Slot[] = []): Slot[] {
  if (typeof v !== 'object' || v === null) return out;
  const entries: [string | number, unknown][] = Array.isArray(v)
    ? v.map((item, i) => [i, item])
    : Object.entries(v);
  const container = v as Record<string | number, unknown>;
  for (const [k, item] of entries) {
    if (typeof item === 'string') out.push({ value: item, set: (s) => (container[k] = s) });
    else stringSlots(item, out);
  }
  return out;
}

function cut(s: string, chars: number): string {
  let head = s.slice(0, chars);
  if (/[\ud800-\udbff]$/.test(head)) head = head.slice(0, -1);
  return head + TRUNCATED_MARK;
}

const bytes = (v: unknown) => Buffer.byteLength(JSON.stringify(v), 'utf8');

/**
 * Pure: a copy of a webhook job payload that serializes to at most `maxBytes`, made by halving the
 * longest string until it fits (a comment body, a description, or a ref that the event also
 * carries as its branch) and marking what was cut. The body limit is what a sender is told; the
 * job built from an accepted body must never exceed the queue's payload limit (a signed 902 KB
 * push whose ref is also its branch made a 1.8 MB job → 413). Unchanged when it fits.
 */
export function fitPayload<T>(payload: T, maxBytes: number): T {
  if (bytes(payload) <= maxBytes) return payload;
  const copy = JSON.parse(JSON.stringify(payload)) as T;
  for (let round = 0; round < 200 && bytes(copy) > maxBytes; round++) {
    const longest = stringSlots(copy).reduce<Slot | null>(
      (a, b) => (a === null || b.value.length > a.value.length ? b : a),
      null,
    );
    if (longest === null || longest.value.length <= 256) break;
    longest.set(cut(longest.value, Math.floor(longest.value.length / 2)));
  }
  return copy;
}
