// #/runs and #/runs/:id — v2 runs of every tenant (admin token required): jobs, artifacts, findings.
import { admin, api } from '../api.js';
import { badge, card, h, table } from '../dom.js';
import { when } from '../time.js';

function needsToken(title) {
  return h(
    'section',
    { 'aria-labelledby': 'runs-heading' },
    h('h1', { id: 'runs-heading', tabindex: '-1', text: title }),
    h('p', {
      class: 'muted',
      text: 'v2 runs are admin-only: open “Admin token” at the top of the page and enter ORCH_ADMIN_TOKEN.',
    }),
  );
}

export function runsView() {
  return {
    title: 'v2 runs',
    load: () => (admin.token ? api.v2runs() : Promise.resolve(null)),
    render(data) {
      if (!data) return needsToken('v2 runs');
      const rows = data.runs.map((r) => [
        h('a', { href: `#/runs/${r.id}`, text: `Run #${r.id}` }),
        r.tenant_id,
        badge(r.status),
        `${r.jobs_done}/${r.jobs} done${r.jobs_failed ? `, ${r.jobs_failed} failed` : ''}`,
        String(r.artifacts),
        String(r.findings),
        when(r.created_at_ms),
      ]);
      return h(
        'section',
        { 'aria-labelledby': 'runs-heading' },
        h('h1', { id: 'runs-heading', tabindex: '-1', text: 'v2 runs' }),
        table(
          'v2 runs',
          ['Run', 'Tenant', 'Status', 'Jobs', 'Artifacts', 'Findings', 'Created'],
          rows,
          {
            hideCaption: true,
            empty: 'No v2 runs yet (POST /v2/runs creates one).',
          },
        ),
      );
    },
  };
}

function runTables({ run, artifacts, findings }) {
  const jobs = run.jobs.map((j) => [
    `#${j.id}`,
    j.kind,
    badge(j.status),
    `${j.attempts}/${j.max_attempts}`,
    j.error ?? '—',
  ]);
  const files = artifacts.map((a) => [
    a.label,
    a.kind,
    h('span', { class: 'mono', text: a.path }),
    `${a.size_bytes} B`,
    h('span', { class: 'mono', text: a.sha256.slice(0, 12) }),
  ]);
  const found = findings.map((f) => [
    badge(f.severity),
    f.title,
    f.assets.join(', ') || '—',
    f.tags.join(', ') || '—',
  ]);
  const opts = { hideCaption: true };
  return [
    card(
      'run-jobs',
      'Jobs',
      table('Jobs', ['Job', 'Kind', 'Status', 'Attempts', 'Error'], jobs, opts),
    ),
    card(
      'run-artifacts',
      'Artifacts',
      table('Artifacts', ['Label', 'Kind', 'Path', 'Size', 'SHA-256'], files, {
        ...opts,
        empty: 'No artifacts.',
      }),
    ),
    card(
      'run-findings',
      'Findings',
      table('Findings', ['Severity', 'Title', 'Assets', 'Tags'], found, {
        ...opts,
        empty: 'No findings.',
      }),
    ),
  ];
}

export function runView(id) {
  return {
    title: `Run #${id}`,
    load: () => (admin.token ? api.v2run(id) : Promise.resolve(null)),
    render(data) {
      if (!data) return needsToken(`Run #${id}`);
      const { run } = data;
      const finished = run.finished_at_ms ? [' · finished ', when(run.finished_at_ms)] : '';
      return h(
        'article',
        {},
        h('p', {}, h('a', { href: '#/runs', text: '← All v2 runs' })),
        h('h1', { tabindex: '-1' }, `Run #${run.id} `, badge(run.status)),
        h(
          'p',
          { class: 'summary' },
          `tenant ${run.tenant_id} · created `,
          when(run.created_at_ms),
          finished,
        ),
        runTables(data),
        card(
          'run-events',
          'Events',
          h(
            'ol',
            { class: 'plain' },
            run.events.map((e) => h('li', {}, when(e.created_at_ms), ` — ${e.type}`)),
          ),
        ),
      );
    },
  };
}
