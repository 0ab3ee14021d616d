// The dashboard's only data source: Orch's HTTP API (same origin).

const TOKEN_KEY = 'orch.adminToken';
const NAME_KEY = 'orch.adminName';

export const admin = {
  get token() {
    return sessionStorage.getItem(TOKEN_KEY) ?? '';
  },
  get name() {
    return sessionStorage.getItem(NAME_KEY) ?? '';
  },
  save(token, name) {
    if (token) sessionStorage.setItem(TOKEN_KEY, token);
    else sessionStorage.removeItem(TOKEN_KEY);
    if (name) sessionStorage.setItem(NAME_KEY, name);
    else sessionStorage.removeItem(NAME_KEY);
  },
  clear() {
    sessionStorage.removeItem(TOKEN_KEY);
    sessionStorage.removeItem(NAME_KEY);
  },
};

/** An API error: `code` is the server's stable error code (or NETWORK_ERROR). */
export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

async function request(method, path, options = {}) {
  const headers = { accept: 'application/json' };
  if (options.admin && admin.token) headers.authorization = `Bearer ${admin.token}`;
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  let res;
  try {
    res = await fetch(path, {
      method,
      headers,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
      cache: 'no-store',
    });
  } catch (err) {
    throw new ApiError(0, 'NETWORK_ERROR', `cannot reach Orch: ${err.message}`);
  }
  const data = await res.json().catch(() => null);
  if (!res.ok) {
    const e = data?.error ?? {};
    throw new ApiError(res.status, e.code ?? `HTTP_${res.status}`, e.message ?? res.statusText);
  }
  return data;
}

export const api = {
  session: () => request('GET', '/api/session'),
  login: (token) => request('POST', '/api/session', { body: { token } }),
  logout: () => request('DELETE', '/api/session'),
  tasks: () => request('GET', '/api/tasks?limit=200'),
  task: (ref) => request('GET', `/api/tasks/${encodeURIComponent(ref)}`),
  queue: () => request('GET', '/queue'),
  queueKinds: () => request('GET', '/api/queue'),
  runLog: (runId, tail) => request('GET', `/api/runs/${runId}/log?tail=${tail}`),
  runLogStreamUrl: (runId, tail) => `/api/runs/${runId}/log/stream?tail=${tail}`,
  v2runs: () => request('GET', '/api/v2runs', { admin: true }),
  v2run: (id) => request('GET', `/api/v2runs/${encodeURIComponent(id)}`, { admin: true }),
  approve: (ref) =>
    request('POST', `/admin/tasks/${encodeURIComponent(ref)}/approve`, {
      admin: true,
      body: actor(),
    }),
  reject: (ref, reason) =>
    request('POST', `/admin/tasks/${encodeURIComponent(ref)}/reject`, {
      admin: true,
      body: { reason, ...actor() },
    }),
  cancel: (ref, reason) =>
    request('POST', `/admin/tasks/${encodeURIComponent(ref)}/cancel`, {
      admin: true,
      body: { ...(reason ? { reason } : {}), ...actor() },
    }),
  retryJob: (id) => request('POST', `/admin/jobs/${encodeURIComponent(id)}/retry`, { admin: true }),
  resume: (ref, { note, stage } = {}) =>
    request('POST', `/admin/tasks/${encodeURIComponent(ref)}/resume`, {
      admin: true,
      body: { ...(note ? { note } : {}), ...(stage ? { stage } : {}), ...actor() },
    }),
  answer: (ref, text) =>
    request('POST', `/admin/tasks/${encodeURIComponent(ref)}/answer`, {
      admin: true,
      body: { text, ...actor() },
    }),
  artifacts: (ref) => request('GET', `/api/tasks/${encodeURIComponent(ref)}/artifacts`),
  artifact: (ref, name) =>
    request('GET', `/api/tasks/${encodeURIComponent(ref)}/artifacts/${encodeURIComponent(name)}`),
  diff: (ref) => request('GET', `/api/tasks/${encodeURIComponent(ref)}/diff`),
  projects: () => request('GET', '/api/projects'),
  createTask: ({ project, title, description }) =>
    request('POST', '/admin/tasks', {
      admin: true,
      body: { project, title, ...(description ? { description } : {}), ...actor() },
    }),
  eventsUrl: (after) => (after ? `/api/events?after=${encodeURIComponent(after)}` : '/api/events'),
};

function actor() {
  return admin.name ? { by: admin.name } : {};
}
