// #/tasks — every work item with its stage, status (and why it waits), age, cost so far; the
// day's spend; and a form to file a new work item.
import { admin, api } from '../api.js';
import { badge, budgetMeter, h, itemLink, table } from '../dom.js';
import { duration, usd } from '../format.js';
import { setServerNow, since } from '../time.js';
import { newItemForm } from './new-item.js';

const FILTERS = [
  ['all', 'All'],
  ['active', 'In progress'],
  ['attention', 'Needs a human'],
  ['finished', 'Finished'],
];

const NEEDS_HUMAN = new Set(['waiting_for_approval', 'needs_input', 'blocked']);
const FINISHED = new Set(['done', 'cancelled']);

function matches(filter, t) {
  switch (filter) {
    case 'active':
      return !FINISHED.has(t.status);
    case 'attention':
      return NEEDS_HUMAN.has(t.status);
    case 'finished':
      return FINISHED.has(t.status);
    default:
      return true;
  }
}

/** `waiting_reason` is a sentence (or `{ text }`); the last error says why it is blocked. */
function reasonOf(t) {
  const r = t.waiting_reason;
  const text = typeof r === 'string' ? r : (r?.text ?? r?.summary ?? null);
  if (text) return text.length > 200 ? `${text.slice(0, 200)}…` : text;
  if (t.status === 'blocked' && t.last_error) return t.last_error;
  return null;
}

function taskRow(t) {
  const end = FINISHED.has(t.status) ? (t.finished_at_ms ?? t.updated_at_ms) : undefined;
  const reason = reasonOf(t);
  return [
    itemLink(t.work_item_id),
    h(
      'span',
      { class: 'title-cell' },
      h('span', { text: t.title }),
      reason ? h('span', { class: 'why-line', text: reason }) : null,
    ),
    t.stage,
    badge(t.status),
    h(
      'span',
      { title: `created ${new Date(t.created_at_ms).toLocaleString()}` },
      end ? duration(end - t.created_at_ms) : since(t.created_at_ms),
    ),
    end ? '—' : since(t.stage_entered_at_ms),
    usd(t.cost_usd),
    t.running_agent ? h('span', { class: 'running', text: `${t.running_agent} running` }) : '—',
  ];
}

/** Toggle buttons (aria-pressed) that filter the list; `pick(key)` re-renders. */
function filterButtons(tasks, current, pick) {
  return h(
    'div',
    { class: 'filters', role: 'group', 'aria-label': 'Filter work items' },
    FILTERS.map(([key, label]) =>
      h('button', {
        type: 'button',
        class: 'chip',
        'data-key': `filter-${key}`,
        'aria-pressed': String(current === key),
        text: `${label} (${tasks.filter((t) => matches(key, t)).length})`,
        onClick: () => pick(key),
      }),
    ),
  );
}

/** The day's spend on agents, against the daily limit when one is set. */
function spendToday(spend) {
  if (!spend || typeof spend.usd !== 'number') return null;
  const limit = spend.limit_usd;
  return h(
    'p',
    { class: 'spend' },
    h('strong', { text: 'Spent today: ' }),
    typeof limit === 'number' && limit > 0
      ? budgetMeter('Spent today of the daily limit', spend.usd, limit, usd)
      : `${usd(spend.usd)} (no daily limit)`,
  );
}

export function tasksView() {
  let filter = 'all';
  let projects = null; // loaded once, when the admin token is set
  return {
    title: 'Work items',
    async load() {
      const data = await api.tasks();
      setServerNow(data.now_ms);
      if (admin.token && projects === null) {
        projects = await api.projects().then(
          (p) => (p.projects ?? []).filter((x) => x.can_file),
          (error) => ({ error }),
        );
      }
      return data;
    },
    wants: (type) => type !== 'jobs',
    render(data, ctx) {
      const rows = data.tasks.filter((t) => matches(filter, t));
      const attention = data.tasks.filter((t) => NEEDS_HUMAN.has(t.status)).length;
      return h(
        'section',
        { 'aria-labelledby': 'tasks-heading' },
        h('h1', { id: 'tasks-heading', tabindex: '-1', text: 'Work items' }),
        h(
          'p',
          { class: 'summary' },
          `${data.tasks.length} work item${data.tasks.length === 1 ? '' : 's'}`,
          attention ? ` · ${attention} waiting for a human` : '',
        ),
        spendToday(data.spend_today),
        filterButtons(data.tasks, filter, (key) => {
          filter = key;
          ctx.rerender();
        }),
        table(
          'Work items',
          ['Item', 'Title', 'Stage', 'Status', 'Age', 'In stage', 'Cost', 'Agent'],
          rows.map((t) => taskRow(t)),
          {
            class: 'tasks',
            hideCaption: true,
            rowHeader: true,
            empty: 'No work items yet. File one below, in your tracker, or run orch demo --serve.',
            rowClass: (i) => `row-${String(rows[i].status).replace(/[^a-z_]/g, '')}`,
          },
        ),
        newItemForm(admin.token ? projects : null, ctx),
      );
    },
  };
}
