// A work item's stage timeline: for each stage, its events and gate verdicts in time order.
import { h } from '../dom.js';
import { when } from '../time.js';

/** The stage bar: where the item is on its track. */
export function stageBar(stages, current, status) {
  const at = stages.indexOf(current);
  return h(
    'ol',
    { class: 'stage-bar', 'aria-label': 'Stages' },
    stages.map((stage, i) => {
      const state = i < at || status === 'done' ? 'passed' : i === at ? 'current' : 'upcoming';
      return h(
        'li',
        { class: `stage stage-${state}`, 'aria-current': state === 'current' ? 'step' : undefined },
        h('span', { class: 'visually-hidden', text: `${state}: ` }),
        stage,
      );
    }),
  );
}

function gateItem(g) {
  const verdict = g.passed ? 'passed' : 'failed';
  return h(
    'li',
    { class: `entry gate gate-${verdict}` },
    when(g.evaluated_at_ms),
    h(
      'div',
      {},
      h('span', { class: `verdict verdict-${verdict}`, text: g.passed ? '✔ passed' : '✘ failed' }),
      ' ',
      h('strong', { class: 'mono', text: g.gate }),
      h('p', { class: 'reason', text: g.reason }),
      g.evidence
        ? h(
            'details',
            { 'data-key': `evidence-${g.id}` },
            h('summary', { text: `Evidence for ${g.gate}` }),
            h('pre', { class: 'evidence', text: g.evidence }),
          )
        : null,
    ),
  );
}

function eventItem(e) {
  const important = /blocked|failed|cancel|needs_input|rejected/.test(e.type);
  return h(
    'li',
    {
      class: `entry event event-${e.type.replace(/[^a-z_]/g, '')}${important ? ' event-attention' : ''}`,
    },
    when(e.at_ms),
    h(
      'div',
      {},
      h('span', { class: 'event-type', text: e.type.replaceAll('_', ' ') }),
      ' ',
      e.message,
    ),
  );
}

/** Events and gates grouped by stage (stages in track order, then any others seen). */
export function timeline(detail) {
  const entries = [
    ...detail.timeline.map((e) => ({
      at: e.at_ms,
      order: e.id * 2,
      stage: e.stage,
      node: eventItem(e),
    })),
    ...detail.gates.map((g) => ({
      at: g.evaluated_at_ms,
      order: g.id * 2 + 1,
      stage: g.stage,
      node: gateItem(g),
    })),
  ].sort((a, b) => a.at - b.at || a.order - b.order);
  const seen = [...new Set(entries.map((e) => e.stage))];
  const order = [
    ...detail.stages.filter((s) => seen.includes(s)),
    ...seen.filter((s) => !detail.stages.includes(s)),
  ];
  return h(
    'section',
    { class: 'card', 'aria-labelledby': 'timeline-heading' },
    h('h2', { id: 'timeline-heading', text: 'Timeline' }),
    order.length === 0 ? h('p', { class: 'muted', text: 'Nothing has happened yet.' }) : null,
    order.map((stage) =>
      h(
        'section',
        { class: 'timeline-stage', 'aria-label': `Stage ${stage}` },
        h('h3', { text: stage }),
        h(
          'ol',
          { class: 'timeline' },
          entries.filter((e) => e.stage === stage).map((e) => e.node),
        ),
      ),
    ),
  );
}
