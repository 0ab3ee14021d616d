// The evidence on a work-item page: the artifacts the agents wrote (rendered Markdown with
// their front matter) and the branch's diff (files with +/−, the patch with styled lines).
import { api } from '../api.js';
import { card, dl, h, table } from '../dom.js';
import { renderMarkdown } from '../markdown.js';

const MAX_PATCH_LINES = 4000;
const VERDICT_KEY = /verdict|status|result|decision|outcome|approval/i;
const GOOD = /^(approved?|pass(ed)?|ok|success(ful)?|green|done|lgtm|accepted?)$/i;
const BAD = /^(rejected?|fail(ed|ure)?|changes_requested|blocked|red|error|denied)$/i;

/** What the evidence sections keep across re-renders (the open artifact, the fetched diff). */
export function createEvidenceState() {
  return { openName: null, doc: null, docError: null };
}

function fmValue(value) {
  if (value === null || value === undefined) return '—';
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

/** A verdict-like value: coloured and marked with an icon and its text. */
function verdictValue(value) {
  const text = fmValue(value);
  const tone = GOOD.test(text) ? 'good' : BAD.test(text) ? 'bad' : null;
  if (!tone) return h('strong', { class: 'verdict', text });
  return h('span', {
    class: `verdict fm-verdict fm-${tone}`,
    text: `${tone === 'good' ? '✔' : '✘'} ${text.replaceAll('_', ' ')}`,
  });
}

/** Front matter as a key/value list, verdict/status-like keys highlighted. */
export function frontMatter(fm) {
  const entries = Object.entries(fm ?? {});
  if (entries.length === 0) return null;
  return dl(
    entries.map(([k, v]) => [k, VERDICT_KEY.test(k) ? verdictValue(v) : fmValue(v)]),
    'facts compact front-matter',
  );
}

function size(bytes) {
  if (typeof bytes !== 'number') return '';
  return bytes < 1024 ? `${bytes} B` : `${(bytes / 1024).toFixed(1)} KB`;
}

function openDoc(ref, state, name, rerender) {
  if (state.openName === name) {
    state.openName = null;
    state.doc = null;
    rerender();
    return;
  }
  state.openName = name;
  state.doc = null;
  state.docError = null;
  rerender();
  api.artifact(ref, name).then(
    (doc) => {
      if (state.openName !== name) return;
      state.doc = doc;
      rerender();
    },
    (err) => {
      if (state.openName !== name) return;
      state.docError = err;
      rerender();
    },
  );
}

function docView(state) {
  if (!state.openName) return null;
  let body;
  if (state.docError) {
    body = h('p', {
      class: 'error',
      text: `${state.docError.code}: ${state.docError.message}`,
    });
  } else if (!state.doc) body = h('p', { class: 'muted', text: 'Loading…' });
  else {
    body = [
      frontMatter(state.doc.frontmatter),
      renderMarkdown(state.doc.content),
      state.doc.truncated
        ? h('p', { class: 'muted', text: 'The file is longer; only its start is shown.' })
        : null,
    ];
  }
  return h(
    'article',
    { class: 'artifact-doc artifact-view', 'aria-labelledby': 'artifact-doc-heading' },
    h('h3', { id: 'artifact-doc-heading', class: 'mono', text: state.openName }),
    body,
  );
}

/** The "Artifacts" section: `list` is the API answer or `{ error }`. */
export function artifactsSection(ref, list, state, rerender) {
  let content;
  if (!list) content = h('p', { class: 'muted', text: 'Loading…' });
  else if (list.error) {
    content = h('p', {
      class: 'muted',
      text: `Not available — ${list.error.code}: ${list.error.message}`,
    });
  } else if (list.files.length === 0) {
    content = h('p', { class: 'muted', text: 'No agent has written an artifact yet.' });
  } else {
    content = [
      list.ref
        ? h('p', { class: 'hint' }, 'From ', h('span', { class: 'mono', text: list.ref }))
        : null,
      h(
        'ul',
        { class: 'plain artifact-list' },
        list.files.map((f) => {
          const verdict = Object.entries(f.frontmatter ?? {}).find(([k]) => VERDICT_KEY.test(k));
          return h(
            'li',
            {},
            h('button', {
              type: 'button',
              class: 'link-button mono',
              'data-key': `artifact-${f.name}`,
              'aria-pressed': String(state.openName === f.name),
              'aria-label': `Open artifact ${f.name}`,
              text: f.name,
              onClick: () => openDoc(ref, state, f.name, rerender),
            }),
            ' ',
            h('span', { class: 'muted', text: size(f.size) }),
            verdict ? [' ', verdictValue(verdict[1])] : null,
          );
        }),
      ),
      docView(state),
    ];
  }
  return card('artifacts-heading', 'Artifacts', content);
}

function patchView(patch) {
  const lines = String(patch ?? '').split('\n');
  const shown = lines.slice(0, MAX_PATCH_LINES);
  const pre = h(
    'pre',
    { class: 'patch', tabindex: '0', 'aria-label': 'Patch' },
    shown.map((line) => {
      const kind = /^(\+\+\+|---|diff |index )/.test(line)
        ? 'meta'
        : line.startsWith('+')
          ? 'add'
          : line.startsWith('-')
            ? 'del'
            : line.startsWith('@@')
              ? 'hunk'
              : 'ctx';
      return h('span', { class: `patch-line patch-${kind}` }, `${line}\n`);
    }),
  );
  return [
    pre,
    lines.length > shown.length
      ? h('p', { class: 'muted', text: `${lines.length - shown.length} more lines not shown.` })
      : null,
  ];
}

/** The "Diff" section: `diff` is the API answer or `{ error }`. */
export function diffSection(diff) {
  let content;
  if (!diff) content = h('p', { class: 'muted', text: 'Loading…' });
  else if (diff.error) {
    content = h('p', {
      class: 'muted',
      text:
        diff.error.code === 'NO_BRANCH'
          ? 'Nothing to diff: the item has no branch with changes.'
          : `Not available — ${diff.error.code}: ${diff.error.message}`,
    });
  } else {
    const files = diff.files ?? [];
    const added = files.reduce((n, f) => n + (f.additions ?? 0), 0);
    const removed = files.reduce((n, f) => n + (f.deletions ?? 0), 0);
    content = [
      h(
        'p',
        { class: 'summary' },
        h('span', { class: 'mono', text: `${diff.base ?? 'base'} … ${diff.head ?? 'head'}` }),
        diff.head_sha ? ` (${String(diff.head_sha).slice(0, 12)})` : '',
        ` · ${files.length} file${files.length === 1 ? '' : 's'} · `,
        h('span', { class: 'diff-add', text: `+${added}` }),
        ' ',
        h('span', { class: 'diff-del', text: `−${removed}` }),
      ),
      table(
        'Files changed',
        ['File', 'Change', 'Added', 'Removed'],
        files.map((f) => [
          h('span', { class: 'mono', text: f.path }),
          f.status ?? '—',
          h('span', { class: 'diff-add', text: `+${f.additions ?? 0}` }),
          h('span', { class: 'diff-del', text: `−${f.deletions ?? 0}` }),
        ]),
        { hideCaption: true, empty: 'No files changed.', class: 'diff-files' },
      ),
      h(
        'details',
        { 'data-key': 'patch', class: 'patch-details' },
        h('summary', { text: 'Patch' }),
        patchView(diff.patch),
        diff.truncated
          ? h('p', { class: 'muted', text: 'The patch was cut short by the server.' })
          : null,
      ),
    ];
  }
  return card('diff-heading', 'Diff', content);
}
