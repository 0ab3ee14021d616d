// Times on the page: `<time>` elements with relative text and live ages, re-rendered by a local
// timer (no fetch). The server's clock (`now_ms`) is the reference, so skew does not matter.
import { h } from './dom.js';
import { duration, fullDate, relative } from './format.js';

let skewMs = 0; // server now − browser now

/** Remembers the server's clock from an API answer's `now_ms`. */
export function setServerNow(nowMs) {
  if (typeof nowMs === 'number' && Number.isFinite(nowMs)) skewMs = nowMs - Date.now();
}

export function serverNow() {
  return Date.now() + skewMs;
}

/** `<time datetime=ISO title="full date">3 min ago</time>`, or `—` without a time. */
export function when(ms) {
  if (typeof ms !== 'number' || !Number.isFinite(ms)) return '—';
  return h('time', {
    datetime: new Date(ms).toISOString(),
    title: fullDate(ms),
    'data-rel': String(ms),
    text: relative(ms, serverNow()),
  });
}

/**
 * How long since `fromMs`: frozen at `endMs` when the item is finished, else ticking (the timer
 * updates `[data-since]`).
 */
export function since(fromMs, endMs) {
  if (typeof fromMs !== 'number') return '—';
  if (typeof endMs === 'number') return h('span', { text: duration(endMs - fromMs) });
  return h('span', { 'data-since': String(fromMs), text: duration(serverNow() - fromMs) });
}

/** Re-renders every relative time and running age under `root`. */
export function tick(root) {
  const now = serverNow();
  for (const el of root.querySelectorAll('time[data-rel]')) {
    const text = relative(Number(el.dataset.rel), now);
    if (el.textContent !== text) el.textContent = text;
  }
  for (const el of root.querySelectorAll('[data-since]')) {
    const text = duration(now - Number(el.dataset.since));
    if (el.textContent !== text) el.textContent = text;
  }
}
