// #/tasks/:id — one work item: why it waits, actions, stages with time and cost, timeline with
// gate verdicts, artifacts, diff, agent runs, jobs, log tail.
import { api } from '../api.js';
import { badge, budgetMeter, card, dl, h, safeLink, table } from '../dom.js';
import { duration, tokens, usd } from '../format.js';
import { setServerNow, since, when } from '../time.js';
import { actionsPanel } from './actions.js';
import { artifactsSection, createEvidenceState, diffSection } from './evidence.js';
import { createLogPanel } from './log-panel.js';
import { stageBar, timeline } from './timeline.js';

const FINISHED = new Set(['done', 'cancelled']);
const MAX_WHY = 300;

function runsTable(detail, logPanel, ctx, pin) {
  const rows = detail.agent_runs.map((r) => [
    `#${r.id}`,
    r.stage ? `${r.kind} (${r.stage})` : r.kind,
    String(r.attempt),
    when(r.started_at_ms),
    r.running
      ? h('span', { class: 'running' }, 'running ', since(r.started_at_ms))
      : duration(r.duration_ms),
    r.exit_code === null || r.exit_code === undefined ? '—' : String(r.exit_code),
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
        ctx.rerender();
        document.getElementById('log-heading')?.scrollIntoView({ block: 'nearest' });
      },
    }),
  ]);
  return table(
    'Agent runs',
    ['Run', 'Agent', 'Attempt', 'Started', 'Duration', 'Exit', 'Outcome', 'Cost', 'Tokens', 'Log'],
    rows,
    { empty: 'No agent has run yet.', hideCaption: true },
  );
}

function jobsTable(detail) {
  const rows = detail.jobs.map((j) => [
    `#${j.id}`,
    j.role ?? j.kind.replaceAll('_', ' '),
    badge(j.status),
    `${j.attempts}/${j.max_attempts}`,
    j.error ?? '—',
    // Job rows carry ISO times (`updated_at`), not epoch milliseconds.
    when(Date.parse(j.updated_at ?? j.created_at ?? '') || null),
  ]);
  return table('Jobs', ['Job', 'Role', 'Status', 'Attempts', 'Error', 'Updated'], rows, {
    empty: 'No jobs.',
    hideCaption: true,
    rowClass: (i) => `row-${String(detail.jobs[i].status).replace(/[^a-z_]/g, '')}`,
  });
}

/** The explanation's sentence: `explain` is `{ summary, reasons }` (or a plain string). */
function explainText(explain, task) {
  // Needs input: the questions are shown in full, formatted, next to the answer box.
  if (task.status === 'needs_input') return 'the analyst asks questions (see Actions).';
  const text =
    typeof explain === 'string'
      ? explain
      : (explain?.summary ?? explain?.reasons?.[0]?.text ?? task.waiting_reason ?? null);
  return text && text.length > MAX_WHY ? `${text.slice(0, MAX_WHY)}…` : text;
}

function whyBlock(detail) {
  const t = detail.task;
  const text = explainText(detail.explain, t);
  const next = (detail.explain?.reasons ?? []).filter((r) => r?.next).slice(0, 3);
  if (!text && !t.last_error) return null;
  const label = FINISHED.has(t.status)
    ? 'Outcome'
    : t.status === 'running'
      ? 'Now'
      : 'Why it waits';
  return h(
    'div',
    { class: `why why-${String(t.status).replace(/[^a-z_]/g, '')}` },
    text ? h('p', {}, h('strong', { text: `${label}: ` }), text) : null,
    next.length
      ? h(
          'ul',
          { class: 'why-next' },
          next.map((r) => h('li', {}, 'Next: ', h('span', { class: 'mono', text: r.next }))),
        )
      : null,
    lastErrorLine(t, text),
  );
}

/**
 * A cancelled item's reason is a person's decision, not an error: said plainly, not in red, and
 * not at all when the outcome line already says it.
 */
function lastErrorLine(t, text) {
  if (!t.last_error) return null;
  if (t.status === 'cancelled') {
    return text?.includes(t.last_error) ? null : h('p', { text: `Reason: ${t.last_error}` });
  }
  return h('p', { class: 'error', text: `Last error: ${t.last_error}` });
}

function prFacts(detail) {
  const t = detail.task;
  const pr = detail.links?.pull_request;
  const sha = pr?.merged_sha ?? t.merged_sha;
  const shaNode = sha
    ? h('span', { class: 'mono', title: sha, text: String(sha).slice(0, 12) })
    : 'not merged yet';
  return [
    [
      'Pull request',
      pr?.url ? safeLink(pr.url, `#${pr.number}`) : t.pr_url ? safeLink(t.pr_url) : 'none yet',
    ],
    ['Merge commit', shaNode],
  ];
}

function costFacts(detail) {
  const cost = detail.cost;
  const total = cost?.total_usd ?? detail.task.cost_usd;
  const perItem = cost?.budget?.per_item_usd;
  const value =
    typeof perItem === 'number' && perItem > 0
      ? budgetMeter('Budget used by this item', total, perItem, usd)
      : usd(total);
  return [['Cost', value]];
}

function header(detail) {
  const t = detail.task;
  const tr = detail.links?.tracker;
  const done = FINISHED.has(t.status) ? (t.finished_at_ms ?? t.updated_at_ms) : undefined;
  const timeFacts = done
    ? [
        ['Created', when(t.created_at_ms)],
        [t.status === 'done' ? 'Finished' : 'Cancelled', when(done)],
        ['Total duration', duration(done - t.created_at_ms)],
      ]
    : [
        ['Created', when(t.created_at_ms)],
        ['Age', since(t.created_at_ms)],
        ['In stage for', since(t.stage_entered_at_ms)],
      ];
  return h(
    'header',
    { class: 'item-header' },
    h('p', {}, h('a', { href: '#/tasks', text: '← All work items' })),
    h(
      'h1',
      { tabindex: '-1' },
      h('span', { class: 'mono wi-id', text: t.work_item_id }),
      ' ',
      t.title,
    ),
    h(
      'p',
      { class: 'summary' },
      badge(t.status),
      ` in ${t.stage} · ${usd(detail.cost?.total_usd ?? t.cost_usd)} so far · ${t.agent_runs ?? detail.agent_runs.length} agent runs`,
    ),
    whyBlock(detail),
    dl([
      ...timeFacts,
      ...costFacts(detail),
      [
        'Repository',
        h('span', { class: 'mono', text: `${t.repo} (${t.branch} → ${t.base_branch})` }),
      ],
      ...prFacts(detail),
      [
        'Tracker item',
        !tr
          ? '—'
          : tr.url
            ? safeLink(tr.url, `${tr.project_id}/${tr.item_id}`)
            : h('span', { class: 'mono', text: `${tr.kind}: ${tr.project_id}/${tr.item_id}` }),
      ],
    ]),
  );
}

/** Time and cost per stage (`stage_durations`, `cost.by_stage`), with the totals. */
function stagesCard(detail) {
  const durations = Array.isArray(detail.stage_durations) ? detail.stage_durations : [];
  const byStage = new Map((detail.cost?.by_stage ?? []).map((c) => [c.stage, c.usd]));
  if (durations.length === 0 && byStage.size === 0) return null;
  const t = detail.task;
  const end = FINISHED.has(t.status) ? (t.finished_at_ms ?? t.updated_at_ms) : undefined;
  const stages = [...new Set([...durations.map((d) => d.stage), ...byStage.keys()])];
  const rows = stages.map((stage) => {
    const d = durations.filter((x) => x.stage === stage);
    const closedMs = d.reduce((n, x) => n + (x.duration_ms ?? 0), 0);
    const open = d.find((x) => x.left_at_ms === null || x.left_at_ms === undefined);
    // A finished item's last stage ends when the item did (the API leaves it open).
    const ms = open && end ? closedMs + Math.max(0, end - open.entered_at_ms) : closedMs;
    const running = open && !end;
    let spent = duration(ms);
    if (running) {
      spent =
        closedMs > 0
          ? h('span', {}, duration(closedMs), ' + ', since(open.entered_at_ms))
          : since(open.entered_at_ms);
    }
    return [stage, d[0] ? when(d[0].entered_at_ms) : '—', spent, usd(byStage.get(stage) ?? 0)];
  });
  const totalMs = end ? end - t.created_at_ms : null;
  rows.push([
    h('strong', { text: 'Total' }),
    when(t.created_at_ms),
    totalMs === null ? since(t.created_at_ms) : duration(totalMs),
    h('strong', { text: usd(detail.cost?.total_usd ?? t.cost_usd) }),
  ]);
  return card(
    'stage-times-heading',
    'Time and cost by stage',
    table('Time and cost by stage', ['Stage', 'Entered', 'Duration', 'Cost'], rows, {
      hideCaption: true,
    }),
  );
}

export function taskView(ref) {
  let logPanel = null;
  let pinned = false; // the operator picked a run: stop following the running one
  let taskId = null;
  let lastStatus = null;
  const evidence = createEvidenceState();
  let files = null; // the last artifacts listing and diff
  let evidenceStale = true;
  return {
    title: ref,
    async load() {
      const detail = await api.task(ref);
      setServerNow(detail.now_ms);
      taskId = detail.task.id;
      // The branch changes only with the item's own events: runs/jobs changes reuse the files.
      if (evidenceStale || !files) {
        evidenceStale = false;
        const [artifacts, diff] = await Promise.all([
          api.artifacts(ref).catch((error) => ({ error })),
          api.diff(ref).catch((error) => ({ error })),
        ]);
        files = { artifacts, diff };
      }
      const { artifacts, diff } = files;
      let questions = null;
      const q =
        detail.task.status === 'needs_input'
          ? artifacts.files?.find((f) => /question/i.test(f.name))
          : null;
      if (q) questions = await api.artifact(ref, q.name).catch(() => null);
      return { detail, artifacts, diff, questions };
    },
    /** Re-fetch for this item's task events, and for any runs/jobs change. */
    wants(type, data) {
      if (type === 'task') {
        const mine = data?.task_id === taskId || data?.work_item_id === ref;
        if (mine) evidenceStale = true;
        return mine;
      }
      if (type === 'runs' && Array.isArray(data?.task_ids)) return data.task_ids.includes(taskId);
      if (type === 'refresh' || type === 'reset') evidenceStale = true;
      return true;
    },
    render({ detail, artifacts, diff, questions }, ctx) {
      logPanel ??= createLogPanel(ctx.extra);
      if (!pinned) {
        // Follow the running agent; else show the latest run's log.
        const pick = detail.agent_runs.find((r) => r.running) ?? detail.agent_runs.at(-1);
        if (pick) logPanel.follow(pick);
      }
      const t = detail.task;
      if (lastStatus !== null && lastStatus !== t.status)
        logPanel.announceState(
          `${t.work_item_id} is now ${String(t.status).replaceAll('_', ' ')}.`,
        );
      lastStatus = t.status;
      return h(
        'article',
        { class: `item item-${String(t.status).replace(/[^a-z_]/g, '')}` },
        header(detail),
        stageBar(detail.stages, t.stage, t.status),
        h(
          'div',
          { class: 'grid' },
          h('div', {}, actionsPanel(detail, ctx, { questions }), stagesCard(detail)),
          timeline(detail),
        ),
        artifactsSection(ref, artifacts, evidence, ctx.rerender),
        diffSection(diff),
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
          jobsTable(detail),
          detail.jobs.some((j) => j.status === 'failed' || j.status === 'cancelled')
            ? h('p', { class: 'hint', text: 'Retry a failed or cancelled job under Actions.' })
            : null,
        ),
      );
    },
    dispose: () => logPanel?.dispose(),
  };
}
