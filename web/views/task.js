// #/tasks/:id — one work item: stages, timeline with gate verdicts, agent runs, jobs, log tail.
import { admin, api } from '../api.js';
import { badge, dl, h, safeLink, table } from '../dom.js';
import { duration, time, tokens, usd } from '../format.js';
import { act, actionsPanel } from './actions.js';
import { createLogPanel } from './log-panel.js';
import { stageBar, timeline } from './timeline.js';

function runsTable(detail, logPanel, ctx, pin) {
  const now = detail.now_ms;
  const rows = detail.agent_runs.map((r) => [
    `#${r.id}`,
    r.kind,
    String(r.attempt),
    time(r.started_at_ms),
    r.running
      ? h('span', { class: 'running', text: `running ${duration(now - r.started_at_ms)}` })
      : duration(r.duration_ms),
    r.exit_code === null ? '—' : String(r.exit_code),
    r.outcome ? badge(r.outcome) : '—',
    usd(r.cost_usd),
    tokens(r.input_tokens, r.output_tokens),
    h('button', {
      type: 'button',
      class: 'link-button',
      'data-key': `log-${r.id}`,
      'aria-pressed': String(logPanel.runId === r.id),
      'aria-label': `Show log of run ${r.id} (${r.kind})`,
      text: 'Log',
      onClick: () => {
        pin();
        logPanel.follow(r);
        ctx.refresh();
        document.getElementById('log-heading')?.scrollIntoView({ block: 'nearest' });
      },
    }),
  ]);
  return table(
    'Agent runs',
    ['Run', 'Agent', 'Attempt', 'Started', 'Duration', 'Exit', 'Outcome', 'Cost', 'Tokens', 'Log'],
    rows,
    {
      empty: 'No agent has run yet.',
      hideCaption: true,
    },
  );
}

function jobsTable(detail, ctx) {
  const rows = detail.jobs.map((j) => {
    const retry =
      admin.token && (j.status === 'failed' || j.status === 'cancelled')
        ? h('button', {
            type: 'button',
            'data-key': `retry-${j.id}`,
            'aria-label': `Retry job ${j.id} (${j.kind})`,
            text: 'Retry',
            onClick: (event) =>
              act(event.currentTarget, `Retry job ${j.id}`, () => api.retryJob(j.id), ctx),
          })
        : '—';
    return [
      `#${j.id}`,
      j.kind,
      badge(j.status),
      `${j.attempts}/${j.max_attempts}`,
      j.error ?? '—',
      retry,
    ];
  });
  return table('Jobs', ['Job', 'Kind', 'Status', 'Attempts', 'Error', 'Action'], rows, {
    empty: 'No jobs.',
    hideCaption: true,
  });
}

function header(detail) {
  const t = detail.task;
  const pr = detail.links.pull_request;
  const tr = detail.links.tracker;
  return h(
    'header',
    { class: 'item-header' },
    h('p', {}, h('a', { href: '#/tasks', text: '← All work items' })),
    h('h1', { tabindex: '-1' }, h('span', { class: 'mono', text: t.work_item_id }), ' ', t.title),
    h(
      'p',
      { class: 'summary' },
      badge(t.status),
      ` in ${t.stage} · ${usd(t.cost_usd)} so far · ${t.agent_runs} agent runs`,
    ),
    t.last_error ? h('p', { class: 'error', text: t.last_error }) : null,
    dl([
      ['Age', duration(detail.now_ms - t.created_at_ms)],
      ['In stage for', duration(detail.now_ms - t.stage_entered_at_ms)],
      [
        'Repository',
        h('span', { class: 'mono', text: `${t.repo} (${t.branch} → ${t.base_branch})` }),
      ],
      ['Pull request', pr ? safeLink(pr.url, `#${pr.number}`) : '—'],
      [
        'Tracker item',
        tr.url
          ? safeLink(tr.url, `${tr.project_id}/${tr.item_id}`)
          : h('span', { class: 'mono', text: `${tr.kind}: ${tr.project_id}/${tr.item_id}` }),
      ],
      [
        'Merged',
        t.merged_sha ? h('span', { class: 'mono', text: t.merged_sha.slice(0, 12) }) : '—',
      ],
    ]),
  );
}

export function taskView(ref) {
  let logPanel = null;
  let pinned = false; // the operator picked a run: stop following the running one
  return {
    title: ref,
    load: () => api.task(ref),
    render(detail, ctx) {
      logPanel ??= createLogPanel(ctx.extra);
      if (!pinned) {
        // Follow the running agent; else show the latest run's log.
        const pick = detail.agent_runs.find((r) => r.running) ?? detail.agent_runs.at(-1);
        if (pick) logPanel.follow(pick);
      }
      return h(
        'article',
        { class: 'item' },
        header(detail),
        stageBar(detail.stages, detail.task.stage, detail.task.status),
        h('div', { class: 'grid' }, actionsPanel(detail.task, ctx), timeline(detail)),
        h(
          'section',
          { class: 'card', 'aria-labelledby': 'runs-heading' },
          h('h2', { id: 'runs-heading', text: 'Agent runs' }),
          runsTable(detail, logPanel, ctx, () => (pinned = true)),
        ),
        h(
          'section',
          { class: 'card', 'aria-labelledby': 'jobs-heading' },
          h('h2', { id: 'jobs-heading', text: 'Jobs' }),
          jobsTable(detail, ctx),
        ),
      );
    },
    dispose: () => logPanel?.dispose(),
  };
}
