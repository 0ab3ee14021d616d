// Pure formatting helpers (ages, durations, money).

/** `42s`, `3m 5s`, `2h 10m`, `3d 4h`. */
export function duration(ms) {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '—';
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${s % 60}s`;
  const hrs = Math.floor(m / 60);
  if (hrs < 48) return `${hrs}h ${m % 60}m`;
  return `${Math.floor(hrs / 24)}d ${hrs % 24}h`;
}

export function usd(value) {
  if (value === null || value === undefined) return '—';
  // Under a dollar, four decimals everywhere, so a total adds up to the stages shown with it.
  return `$${Number(value).toFixed(value > 0 && value < 1 ? 4 : 2)}`;
}

export function time(ms) {
  if (ms === null || ms === undefined) return '—';
  return new Date(ms).toLocaleTimeString([], {
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  });
}

export function dateTime(ms) {
  if (ms === null || ms === undefined) return '—';
  return new Date(ms).toLocaleString();
}

export function tokens(input, output) {
  if (input === null && output === null) return '—';
  return `${input ?? 0} in / ${output ?? 0} out`;
}

/** Short date and time of day, e.g. `Dec 6, 14:05` (the year when it is not this one's). */
export function shortDate(ms, nowMs = Date.now()) {
  const d = new Date(ms);
  const sameYear = d.getFullYear() === new Date(nowMs).getFullYear();
  return d.toLocaleString([], {
    year: sameYear ? undefined : 'numeric',
    month: 'short',
    day: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
  });
}

/** `just now`, `3 min ago`, `5 h ago` for the last 24 hours; the date for anything older. */
export function relative(ms, nowMs = Date.now()) {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '—';
  const diff = nowMs - ms;
  const abs = Math.abs(diff);
  if (abs < 45_000) return diff >= 0 ? 'just now' : 'in a moment';
  if (abs >= 24 * 3_600_000) return shortDate(ms, nowMs);
  const mins = Math.round(abs / 60_000);
  const text = mins < 60 ? `${mins} min` : `${Math.round(abs / 3_600_000)} h`;
  return diff >= 0 ? `${text} ago` : `in ${text}`;
}

/** The full date and time, for a `<time>` element's title. */
export function fullDate(ms) {
  return new Date(ms).toLocaleString([], { dateStyle: 'full', timeStyle: 'long' });
}
