// #/queue — counts by kind and status, oldest queued age, breakers, worker and daemon blocks.
import { admin, api } from '../api.js';
import { badge, card, dl, h, table } from '../dom.js';
import { dateTime, duration } from '../format.js';
import { act } from './actions.js';

/** Blocks shown by their own sections; every other /queue block is shown generically. */
const KNOWN = new Set([
  'counts',
  'max_concurrency',
  'poll_interval',
  'recent',
  'resilience',
  'worker',
]);

/** Epoch timestamps by key name: `*_ts` in seconds, `*_at_ms` / `*_until_ms` in milliseconds. */
function asTime(key, value) {
  if (typeof value !== 'number') return null;
  if (/_ts$/.test(key) && value > 1e9) return dateTime(value * 1000);
  if (/(_at_ms|_until_ms)$/.test(key) && value > 1e12) return dateTime(value);
  return null;
}

/** A /queue block of any shape as nested definition lists. */
export function anyValue(value, depth = 0, key = '') {
  if (value === null || value === undefined) return '—';
  const when = asTime(key, value);
  if (when) return when;
  if (Array.isArray(value)) {
    if (value.length === 0) return 'none';
    return h(
      'ul',
      { class: 'plain' },
      value.slice(0, 50).map((v) => h('li', {}, anyValue(v, depth + 1))),
    );
  }
  if (typeof value === 'object') {
    if (depth > 3) return h('code', { text: JSON.stringify(value) });
    const entries = Object.entries(value);
    if (entries.length === 0) return '—';
    return dl(
      entries.map(([k, v]) => [k.replaceAll('_', ' '), anyValue(v, depth + 1, k)]),
      'facts compact',
    );
  }
  return String(value);
}

function countsCards(counts) {
  return h(
    'ul',
    { class: 'stat-cards', 'aria-label': 'Jobs by status' },
    Object.entries(counts ?? {}).map(([status, n]) =>
      h(
        'li',
        { class: 'stat' },
        h('span', { class: 'stat-value', text: String(n) }),
        h('span', { class: 'stat-label', text: status }),
      ),
    ),
  );
}

function breakerRows(resilience) {
  const breakers = resilience?.breakers ?? [];
  return breakers.map((b) => [
    b.kind,
    badge(b.state),
    String(b.consecutiveTransient ?? b.consecutive_transient ?? 0),
    b.openUntilMs ? new Date(b.openUntilMs).toLocaleTimeString() : '—',
  ]);
}

function recentRows(recent, ctx) {
  return (Array.isArray(recent) ? recent : []).map((j) => [
    `#${j.id}`,
    j.kind,
    badge(j.status),
    `${j.attempts}/${j.max_attempts}`,
    j.task_id
      ? h('a', { href: `#/tasks/${j.task_id}`, text: `task ${j.task_id}` })
      : j.run_id
        ? `run ${j.run_id}`
        : '—',
    admin.token && (j.status === 'failed' || j.status === 'cancelled')
      ? h('button', {
          type: 'button',
          'data-key': `retry-${j.id}`,
          'aria-label': `Retry job ${j.id} (${j.kind})`,
          text: 'Retry',
          onClick: (event) =>
            act(event.currentTarget, `Retry job ${j.id}`, () => api.retryJob(j.id), ctx),
        })
      : '—',
  ]);
}

function summary(blocks, kinds) {
  const oldest = kinds.oldest_queued_age_ms;
  return h(
    'p',
    { class: 'summary' },
    `Oldest queued job: ${oldest === null ? 'none waiting' : duration(oldest)}`,
    ` · max concurrency ${blocks.max_concurrency ?? '—'}`,
    ` · poll every ${blocks.poll_interval ?? '—'} s`,
  );
}

function kindsTable(kinds) {
  const rows = kinds.by_kind.map((k) => [
    k.kind,
    badge(k.status),
    String(k.count),
    k.oldest_queued_age_ms === null ? '—' : duration(k.oldest_queued_age_ms),
  ]);
  return table('Jobs by kind and status', ['Kind', 'Status', 'Jobs', 'Oldest queued'], rows, {
    hideCaption: true,
    empty: 'The queue is empty.',
  });
}

export function queueView() {
  return {
    title: 'Queue',
    load: async () => {
      const [blocks, kinds] = await Promise.all([api.queue(), api.queueKinds()]);
      return { blocks, kinds };
    },
    render({ blocks, kinds }, ctx) {
      const others = Object.entries(blocks).filter(([name]) => !KNOWN.has(name));
      const breakers = table(
        'Circuit breakers',
        ['Kind', 'State', 'Transient failures', 'Open until'],
        breakerRows(blocks.resilience),
        { hideCaption: true, empty: 'All closed (no kind has failed transiently).' },
      );
      const recent = table(
        'Recent jobs',
        ['Job', 'Kind', 'Status', 'Attempts', 'For', 'Action'],
        recentRows(blocks.recent, ctx),
        { hideCaption: true },
      );
      return h(
        'section',
        { 'aria-labelledby': 'queue-heading' },
        h('h1', { id: 'queue-heading', tabindex: '-1', text: 'Queue' }),
        summary(blocks, kinds),
        countsCards(blocks.counts),
        h(
          'div',
          { class: 'grid' },
          card('kinds-heading', 'By kind and status', kindsTable(kinds)),
          card('breakers-heading', 'Circuit breakers', breakers),
          card('worker-heading', 'Worker', anyValue(blocks.worker)),
          others.map(([name, value]) =>
            card(`block-${name}`, name.replaceAll('_', ' '), anyValue(value)),
          ),
        ),
        card('recent-heading', 'Recent jobs', recent),
      );
    },
  };
}
