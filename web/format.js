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
  return `$${Number(value).toFixed(value > 0 && value < 0.01 ? 4 : 2)}`;
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
