// #/tasks — every work item with its stage, status, age and cost so far.
import { api } from '../api.js';
import { badge, h, table } from '../dom.js';
import { duration, usd } from '../format.js';

const FILTERS = [
  ['all', 'All'],
  ['active', 'In progress'],
  ['attention', 'Needs a human'],
  ['finished', 'Finished'],
];

const NEEDS_HUMAN = new Set(['waiting_for_approval', 'needs_input', 'blocked']);

function matches(filter, t) {
  switch (filter) {
    case 'active':
      return t.status !== 'done' && t.status !== 'cancelled';
    case 'attention':
      return NEEDS_HUMAN.has(t.status);
    case 'finished':
      return t.status === 'done' || t.status === 'cancelled';
    default:
      return true;
  }
}

function taskRow(t, now) {
  return [
    h('a', { href: `#/tasks/${t.work_item_id}`, class: 'mono', text: t.work_item_id }),
    h('span', { class: 'title-cell', text: t.title }),
    t.stage,
    badge(t.status),
    h('span', {
      title: `created ${new Date(t.created_at_ms).toLocaleString()}`,
      text: duration(now - t.created_at_ms),
    }),
    duration(now - t.stage_entered_at_ms),
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

export function tasksView() {
  let filter = 'all';
  return {
    title: 'Work items',
    load: () => api.tasks(),
    render(data, ctx) {
      const rows = data.tasks.filter((t) => matches(filter, t)).map((t) => taskRow(t, data.now_ms));
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
        filterButtons(data.tasks, filter, (key) => {
          filter = key;
          ctx.refresh();
        }),
        table(
          'Work items',
          ['Item', 'Title', 'Stage', 'Status', 'Age', 'In stage', 'Cost', 'Agent'],
          rows,
          {
            class: 'tasks',
            hideCaption: true,
            empty: 'No work items yet. File one in your tracker (or run orch demo --serve).',
          },
        ),
      );
    },
  };
}
