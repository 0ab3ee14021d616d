// #/queue — counts by kind and status, oldest queued age, breakers, worker and daemon blocks.
import { admin, api } from '../api.js';
import { badge, card, dl, h, itemLink, table } from '../dom.js';
import { duration } from '../format.js';
import { setServerNow, when } from '../time.js';
import { act, resultNote } from './actions.js';

/** People's words for the field names of /queue and /api/queue. */
const LABELS = {
  oldest_queued_age_ms: 'Oldest waiting',
  max_concurrency: 'Max concurrency',
  poll_interval: 'Poll interval',
  consecutive_transient: 'Transient failures in a row',
  consecutiveTransient: 'Transient failures in a row',
  open_until_ms: 'Open until',
  openUntilMs: 'Open until',
  last_tick_at_ms: 'Last check',
  last_run_at_ms: 'Last run',
  started_at_ms: 'Started',
  updated_at_ms: 'Updated',
  created_at_ms: 'Created',
  interval_ms: 'Every',
  lease_ms: 'Lease',
  running: 'Running',
  queued: 'Queued',
  reaped: 'Reclaimed',
  in_flight: 'In progress',
};

/** `oldest_queued_age_ms` → "Oldest waiting"; unknown keys lose their unit suffix and `_`. */
export function labelOf(key) {
  if (LABELS[key]) return LABELS[key];
  const words = key
    .replace(/([a-z])([A-Z])/g, '$1 $2')
    .replace(/(_at)?(_ms|_ts|Ms)$/, '')
    .replaceAll('_', ' ')
    .trim()
    .toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** Blocks shown by their own sections; every other /queue block is shown generically. */
const KNOWN = new Set([
  'counts',
  'max_concurrency',
  'poll_interval',
  'recent',
  'resilience',
  'worker',
]);

/**
 * Epoch timestamps by key name: `*_ts` in seconds; `*_ms` / `*Ms` / `at` in milliseconds when the
 * value is a date (2001…2096: 1e12…4e12 ms), e.g. `last_run_ms`, `checkedAtMs`, `at`.
 */
function asTime(key, value) {
  if (typeof value !== 'number') return null;
  if (/_ts$/.test(key) && value > 1e9) return when(value * 1000);
  if (/(_ms|Ms|^at|At)$/.test(key) && value > 1e12 && value < 4e12) return when(value);
  // Other `*_ms` numbers are spans of time (ages, intervals).
  if (/(_ms|Ms)$/.test(key) && value < 1e12) return duration(value);
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
      entries.map(([k, v]) => [labelOf(k), anyValue(v, depth + 1, k)]),
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
        h('span', { class: 'stat-label', text: status.replaceAll('_', ' ') }),
      ),
    ),
  );
}

function breakerRows(resilience) {
  const breakers = resilience?.breakers ?? [];
  return breakers.map((b) => [
    String(b.kind).replaceAll('_', ' '),
    badge(b.state),
    String(b.consecutiveTransient ?? b.consecutive_transient ?? 0),
    when(b.openUntilMs ?? b.open_until_ms),
  ]);
}

/** What a job is for: its work item (a link) or v2 run, and the agent role (or kind). */
function jobFor(j) {
  const role = jobRole(j);
  if (j.work_item_id) return h('span', {}, itemLink(j.work_item_id), ` · ${role}`);
  if (j.task_id)
    return h(
      'span',
      {},
      h('a', { href: `#/tasks/${j.task_id}`, text: `item #${j.task_id}` }),
      ` · ${role}`,
    );
  if (j.run_id)
    return h(
      'span',
      {},
      h('a', { href: `#/runs/${j.run_id}`, text: `v2 run ${j.run_id}` }),
      ` · ${role}`,
    );
  return role;
}

/** A job's kind in people's words: its agent role, else the kind without underscores. */
export function jobRole(j) {
  return j.role ?? String(j.kind ?? '—').replaceAll('_', ' ');
}

function recentRows(recent, ctx) {
  return (Array.isArray(recent) ? recent : []).map((j) => {
    const key = `retry-${j.id}`;
    const retry =
      admin.token && (j.status === 'failed' || j.status === 'cancelled')
        ? h(
            'span',
            {},
            h('button', {
              type: 'button',
              'data-key': key,
              'aria-label': `Retry job ${j.id} (${jobRole(j)})`,
              text: 'Retry',
              onClick: (event) =>
                act(event.currentTarget, `Retry job ${j.id}`, () => api.retryJob(j.id), ctx, key),
            }),
            resultNote(ctx, key),
          )
        : '—';
    return [`#${j.id}`, jobFor(j), badge(j.status), `${j.attempts}/${j.max_attempts}`, retry];
  });
}

function atOnce(max) {
  if (max === null || max === undefined) return 'concurrency unknown';
  return `up to ${max} ${max === 1 ? 'job' : 'jobs'} at once`;
}

function summary(blocks, kinds) {
  const oldest = kinds.oldest_queued_age_ms;
  return h(
    'p',
    { class: 'summary' },
    `Oldest waiting job: ${oldest === null || oldest === undefined ? 'none waiting' : duration(oldest)}`,
    ` · ${atOnce(blocks.max_concurrency)}`,
    ` · checks the queue every ${blocks.poll_interval ?? '—'} s`,
  );
}

function kindsTable(kinds) {
  const rows = (kinds.by_kind ?? []).map((k) => [
    jobRole(k),
    badge(k.status),
    String(k.count),
    k.oldest_queued_age_ms === null ? '—' : duration(k.oldest_queued_age_ms),
  ]);
  return table('Jobs by kind and status', ['Kind', 'Status', 'Jobs', 'Oldest waiting'], rows, {
    hideCaption: true,
    empty: 'The queue is empty.',
  });
}

/** Whether "System details" is open; kept across the live re-renders of this page. */
let systemOpen = false;

/**
 * The worker's settings and every other status block (reaper, reconciler, outbox…): for the
 * operator, folded away so the page reads in work-item terms first.
 */
function systemDetails(blocks, others) {
  const details = h(
    'details',
    { class: 'system-details', open: systemOpen },
    h('summary', { text: `System details (worker and ${others.length} internal status blocks)` }),
    h(
      'div',
      { class: 'grid' },
      card('worker-heading', 'Worker', anyValue(blocks.worker)),
      others.map(([name, value]) => card(`block-${name}`, labelOf(name), anyValue(value))),
    ),
  );
  details.addEventListener('toggle', () => {
    systemOpen = details.open;
  });
  return details;
}

export function queueView() {
  return {
    title: 'Queue',
    load: async () => {
      const [blocks, kinds] = await Promise.all([api.queue(), api.queueKinds()]);
      setServerNow(kinds?.now_ms);
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
        ['Job', 'Work item and role', 'Status', 'Attempts', 'Action'],
        recentRows(blocks.recent, ctx),
        { hideCaption: true, rowHeader: true },
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
        ),
        card('recent-heading', 'Recent jobs', recent),
        systemDetails(blocks, others),
      );
    },
  };
}
