// The live tail of one agent run's log, over server-sent events. Lives outside the polled view
// so a re-render never interrupts it.
import { api } from '../api.js';
import { h } from '../dom.js';

const TAIL_LINES = 300;
const MAX_LINES = 3000;

function panelElements() {
  const title = h('h2', { id: 'log-heading', text: 'Agent log' });
  const status = h('p', {
    class: 'log-status muted',
    role: 'status',
    text: 'Pick a run to see its log.',
  });
  const pre = h('pre', {
    class: 'log',
    role: 'log',
    // Agents write many lines a second: the log is read on demand, not announced line by line.
    'aria-live': 'off',
    'aria-labelledby': 'log-heading',
    tabindex: '0',
  });
  // State changes of the item (blocked, done…) are announced here, not in the log.
  const state = h('p', { class: 'visually-hidden', role: 'status', 'aria-live': 'polite' });
  const section = h(
    'section',
    { class: 'card log-panel', 'aria-labelledby': 'log-heading' },
    title,
    status,
    state,
    pre,
  );
  return { title, status, state, pre, section };
}

/** Appends a line, keeps at most MAX_LINES, and sticks to the bottom if the reader was there. */
function appendLine(pre, line) {
  const atBottom = pre.scrollTop + pre.clientHeight >= pre.scrollHeight - 4;
  pre.append(`${line}\n`);
  while (pre.childNodes.length > MAX_LINES) pre.firstChild.remove();
  if (atBottom) pre.scrollTop = pre.scrollHeight;
}

/** The status line for the stream's `end` event (`{outcome, exit_code}`). */
function endText(run, data) {
  let info = {};
  try {
    info = JSON.parse(data) ?? {};
  } catch {
    info = {};
  }
  const outcome = info.outcome ? `: ${info.outcome}` : '';
  const exit = typeof info.exit_code === 'number' ? ` (exit ${info.exit_code})` : '';
  return `Run #${run.id} finished${outcome}${exit}.`;
}

/** Mounts the log panel in `container`; `follow(run)` switches the stream to another run. */
export function createLogPanel(container) {
  let runId = null;
  let current = null; // the run whose stream should be open (null once it ended)
  let source = null;
  let retryTimer = null;
  const { title, status, state, pre, section } = panelElements();
  container.replaceChildren(section);

  const close = () => {
    clearTimeout(retryTimer);
    source?.close();
    source = null;
  };

  const open = (run) => {
    close();
    if (document.hidden) return;
    pre.replaceChildren();
    status.textContent = run.running
      ? `Following run #${run.id} live…`
      : `Run #${run.id} (finished): last ${TAIL_LINES} lines`;
    source = new EventSource(api.runLogStreamUrl(run.id, TAIL_LINES));
    source.onmessage = (event) => appendLine(pre, event.data);
    source.addEventListener('end', (event) => {
      close();
      current = null; // finished: nothing to reopen
      status.textContent = endText(run, event.data);
    });
    source.onerror = () => {
      // The stream broke before its end event: reopen (the tail is sent again) in a moment.
      close();
      status.textContent = `Connection to the log of run #${run.id} lost; retrying…`;
      retryTimer = setTimeout(() => runId === run.id && open(run), 3000);
    };
  };

  // A hidden tab fetches nothing: the stream closes, and reopens (with its tail) when shown.
  const onVisibility = () => {
    if (document.hidden) close();
    else if (current && !source) open(current);
  };
  document.addEventListener('visibilitychange', onVisibility);

  return {
    get runId() {
      return runId;
    },
    /** Follows `run` (no-op when it is already the one shown). */
    follow(run) {
      if (!run || run.id === runId) return;
      runId = run.id;
      current = run;
      title.textContent = `Log of run #${run.id} (${run.kind})`;
      open(run);
    },
    /** Announces a state change of the item (politely; the log itself is silent). */
    announceState(message) {
      state.textContent = '';
      setTimeout(() => (state.textContent = message), 30);
    },
    dispose() {
      document.removeEventListener('visibilitychange', onVisibility);
      close();
    },
  };
}
