// Orch dashboard: hash routes, live updates of the current view (server-sent events, nothing
// while the tab is hidden), the login and the admin token form.
import { admin, api } from './api.js';
import { h } from './dom.js';
import { createLiveUpdates } from './live.js';
import { tick } from './time.js';
import { queueView } from './views/queue.js';
import { runsView, runView } from './views/runs.js';
import { taskView } from './views/task.js';
import { tasksView } from './views/tasks.js';

const DEBOUNCE_MS = 250;
const TICK_MS = 30_000;

const ROUTES = [
  [/^#\/tasks\/?$/, () => tasksView()],
  [/^#\/tasks\/([A-Za-z0-9_-]{1,40})$/, (m) => taskView(m[1])],
  [/^#\/queue\/?$/, () => queueView()],
  [/^#\/runs\/?$/, () => runsView()],
  [/^#\/runs\/(\d{1,15})$/, (m) => runView(m[1])],
];

const main = document.getElementById('main');
const announcer = document.getElementById('announcer');
const updatedAt = document.getElementById('updated-at');

let current = null; // { view, body, extra, seq, data, results, debounce }
let navigations = 0; // focus moves to the new page's heading on navigation, not on page load

/** Says something to screen readers (and shows it briefly). */
let announceTimer = null;
export function announce(message) {
  announcer.textContent = '';
  clearTimeout(announceTimer);
  // A fresh text node after a tick makes screen readers repeat an identical message.
  setTimeout(() => (announcer.textContent = message), 30);
  announceTimer = setTimeout(() => (announcer.textContent = ''), 8000);
}

function resolveRoute(hash) {
  for (const [re, make] of ROUTES) {
    const m = re.exec(hash);
    if (m) return make(m);
  }
  return null;
}

/** Keeps focus, typed values and open <details> across a re-render (keyed by id / data-key). */
function snapshot(root) {
  const keyOf = (el) => el?.id || el?.dataset?.key || null;
  const values = new Map();
  for (const el of root.querySelectorAll('input, textarea, select')) {
    const key = keyOf(el);
    if (key) values.set(key, el.value);
  }
  const open = new Set([...root.querySelectorAll('details[open]')].map(keyOf).filter(Boolean));
  const active = root.contains(document.activeElement) ? keyOf(document.activeElement) : null;
  return { values, open, active };
}

function restore(root, snap) {
  const find = (key) =>
    root.querySelector(`[id="${CSS.escape(key)}"], [data-key="${CSS.escape(key)}"]`);
  for (const [key, value] of snap.values) {
    const el = find(key);
    if (el && 'value' in el) el.value = value;
  }
  for (const key of snap.open) find(key)?.setAttribute('open', '');
  if (snap.active) find(snap.active)?.focus({ preventScroll: true });
}

function context(state) {
  return {
    extra: state.extra,
    results: state.results,
    announce,
    refresh: () => void refresh(state),
    rerender: () => rerender(state),
  };
}

/** Replaces the view's content, keeping focus, typed values and open details. */
function show(state, node) {
  const snap = snapshot(state.body);
  state.body.replaceChildren(node);
  restore(state.body, snap);
}

/** Renders the last loaded data again (a filter, an opened artifact), without fetching. */
function rerender(state) {
  if (current !== state || state.data === undefined) return;
  show(state, state.view.render(state.data, context(state)));
}

async function refresh(state, { first = false } = {}) {
  const seq = ++state.seq;
  let node;
  try {
    const data = await state.view.load();
    if (seq !== state.seq || current !== state) return;
    state.data = data;
    node = state.view.render(data, context(state));
    state.error = null;
  } catch (err) {
    if (current !== state) return;
    // Logged out (session expired, token rotated): the login page; else a view-level error
    // (e.g. the admin-only v2 runs without the admin token).
    if (err.status === 401 && (await loggedOut())) return showLogin();
    state.error = err;
    if (!first && state.body.childElementCount > 0) {
      showBanner(state, err);
      return;
    }
    node = h('div', {}, h('h1', { text: state.view.title }), errorBox(err));
  }
  show(state, node);
  document.title = `${state.view.title} · Orch`;
  updatedAt.textContent = new Date().toLocaleTimeString();
  if (first && state.moveFocus) state.body.querySelector('h1')?.focus?.({ preventScroll: false });
}

function errorBox(err) {
  return h('p', { class: 'error', role: 'alert', text: `${err.code ?? 'ERROR'}: ${err.message}` });
}

function showBanner(state, err) {
  const old = state.body.querySelector('.poll-error');
  const banner = h('p', { class: 'error poll-error', text: `Update failed — ${err.message}` });
  if (old) old.replaceWith(banner);
  else state.body.prepend(banner);
}

function navigate() {
  if (!location.hash || location.hash === '#' || location.hash === '#/') {
    location.replace('#/tasks');
    return;
  }
  if (current) {
    clearTimeout(current.debounce);
    current.view.dispose?.();
  }
  live.start();
  const view = resolveRoute(location.hash);
  for (const a of document.querySelectorAll('[data-nav]')) {
    const active = location.hash.startsWith(`#/${a.dataset.nav}`);
    if (active) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  if (!view) {
    current = null;
    main.replaceChildren(
      h('h1', { text: 'Not found', tabindex: '-1' }),
      h('p', {}, h('a', { href: '#/tasks', text: 'Back to work items' })),
    );
    return;
  }
  const body = h('div', { class: 'view' });
  const extra = h('div', { class: 'view-extra' });
  main.replaceChildren(body, extra);
  const state = {
    view,
    body,
    extra,
    seq: 0,
    data: undefined,
    results: new Map(), // action results shown next to their controls
    debounce: null,
    error: null,
    moveFocus: navigations++ > 0,
  };
  current = state;
  void refresh(state, { first: true });
}

/** An event from the server: re-fetch the current view's data if it is concerned (debounced). */
function onLiveChange(type, data) {
  const state = current;
  if (!state || document.hidden) return;
  // Views say which events concern them (`refresh` and `reset` always do).
  const concerned = !state.view.wants || state.view.wants(type, data);
  if (!concerned) return;
  clearTimeout(state.debounce);
  state.debounce = setTimeout(() => {
    if (!document.hidden) void refresh(state);
  }, DEBOUNCE_MS);
}

const live = createLiveUpdates(onLiveChange);

/** The login page: the viewer or admin token is exchanged once for an HttpOnly session cookie. */
function showLogin(message) {
  live.stop();
  if (current) {
    clearTimeout(current.debounce);
    current.view.dispose?.();
    current = null;
  }
  const input = h('input', {
    id: 'login-token',
    name: 'token',
    type: 'password',
    autocomplete: 'current-password',
    spellcheck: 'false',
    required: true,
  });
  const status = h('p', { class: 'error', role: 'alert', text: message ?? '' });
  const form = h(
    'form',
    { class: 'login-form', 'aria-labelledby': 'login-title' },
    h('label', { for: 'login-token', text: 'Access token' }),
    input,
    h('button', { type: 'submit', text: 'Log in' }),
  );
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    try {
      await api.login(input.value.trim());
      announce('Logged in.');
      navigate();
    } catch (err) {
      status.textContent = err.status === 401 ? 'That token is not valid.' : err.message;
    }
  });
  main.replaceChildren(
    h('h1', { id: 'login-title', text: 'Log in', tabindex: '-1' }),
    h('p', {
      class: 'hint',
      text: 'Enter the viewer token (ORCH_VIEWER_TOKEN) or the admin token, or open the one-time login link that orch serve printed. The browser keeps an HttpOnly session cookie, not the token.',
    }),
    form,
    status,
  );
  document.title = 'Log in · Orch';
}

function setupAdminForm() {
  const form = document.getElementById('admin-form');
  const token = document.getElementById('admin-token');
  const name = document.getElementById('admin-name');
  const summary = document.querySelector('#admin-panel summary');
  const sync = () => {
    token.value = admin.token;
    name.value = admin.name;
    summary.textContent = admin.token ? 'Admin: token set' : 'Admin token';
  };
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const typed = token.value.trim();
    // The admin token also reads: logging in with it checks it (a wrong one is not kept).
    if (typed) {
      const refused = await api.login(typed).then(
        () => null,
        (err) => err,
      );
      if (refused?.status === 401) {
        announce('That admin token is not valid; it was not saved.');
        return;
      }
    }
    admin.save(typed, name.value.trim());
    sync();
    announce(admin.token ? 'Admin token saved for this tab.' : 'Admin token cleared.');
    if (current) void refresh(current);
  });
  document.getElementById('admin-clear').addEventListener('click', () => {
    admin.clear();
    sync();
    announce('Admin token forgotten.');
    if (current) void refresh(current);
  });
  document.getElementById('logout').addEventListener('click', async () => {
    admin.clear();
    sync();
    await api.logout().catch(() => undefined);
    showLogin('Logged out.');
  });
  sync();
}

async function loggedOut() {
  const session = await api.session().catch(() => ({ read: 'unknown' }));
  return session.read === null;
}

/** First page: the dashboard when this browser may read, else the login. */
async function start() {
  // `/login?code=` sends a spent or mistyped link here with `?login=invalid`.
  const params = new URLSearchParams(location.search);
  const badLink = params.get('login') === 'invalid';
  if (badLink) history.replaceState(null, '', location.pathname + location.hash);
  if (await loggedOut()) {
    showLogin(
      badLink
        ? 'That login link is unknown, already used or expired. Ask for a new one (restart orch serve) or enter a token.'
        : undefined,
    );
  } else navigate();
}

setupAdminForm();
window.addEventListener('hashchange', navigate);
// Relative times ("3 min ago") and running ages move on locally, without fetching.
setInterval(() => {
  if (!document.hidden) tick(main);
}, TICK_MS);
void start();
