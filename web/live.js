// Live updates without polling: one EventSource on /api/events while the tab is visible,
// resumed after the last event id it saw. Nothing is fetched while the tab is hidden. When the
// stream keeps failing (an older server, a proxy that buffers), a slow poll takes over.
import { api } from './api.js';

const EVENT_TYPES = ['task', 'runs', 'jobs', 'reset'];
const MAX_ERRORS = 3;
const FALLBACK_POLL_MS = 10_000;
const RETRY_STREAM_MS = 60_000;

function parse(data) {
  try {
    return JSON.parse(data);
  } catch {
    return null;
  }
}

/**
 * `onChange(type, data)` is called for every event (`task`, `runs`, `jobs`, `reset`), and with
 * `refresh` when the page should reload its data (visible again, fallback poll).
 */
export function createLiveUpdates(onChange) {
  let source = null;
  let lastId = null;
  let errors = 0;
  let pollTimer = null;
  let retryTimer = null;
  let started = false;

  const closeStream = () => {
    source?.close();
    source = null;
  };
  const stopPolling = () => {
    clearInterval(pollTimer);
    clearTimeout(retryTimer);
    pollTimer = null;
    retryTimer = null;
  };

  const fallBack = () => {
    closeStream();
    if (pollTimer) return;
    pollTimer = setInterval(() => {
      if (!document.hidden) onChange('refresh', null);
    }, FALLBACK_POLL_MS);
    // Try the stream again now and then (a restarted server may have it back).
    retryTimer = setTimeout(() => {
      stopPolling();
      errors = 0;
      openStream();
    }, RETRY_STREAM_MS);
  };

  const openStream = () => {
    if (document.hidden || source) return;
    const es = new EventSource(api.eventsUrl(lastId));
    source = es;
    es.addEventListener('open', () => (errors = 0));
    es.addEventListener('hello', (event) => {
      const data = parse(event.data);
      if (lastId === null && data?.last_event_id !== undefined && data?.last_event_id !== null)
        lastId = String(data.last_event_id);
    });
    for (const type of EVENT_TYPES) {
      es.addEventListener(type, (event) => {
        if (event.lastEventId) lastId = event.lastEventId;
        onChange(type, parse(event.data));
      });
    }
    es.addEventListener('error', () => {
      if (source !== es) return;
      errors++;
      // CLOSED: the server refused the stream (404, 401…) and EventSource will not retry.
      if (es.readyState === EventSource.CLOSED || errors >= MAX_ERRORS) fallBack();
    });
  };

  const onVisibility = () => {
    if (document.hidden) {
      closeStream();
      stopPolling();
      return;
    }
    errors = 0;
    openStream();
    onChange('refresh', null);
  };

  return {
    /** Starts following (idempotent). */
    start() {
      if (started) return;
      started = true;
      document.addEventListener('visibilitychange', onVisibility);
      openStream();
    },
    /** Stops following (logged out): no stream, no poll. */
    stop() {
      if (!started) return;
      started = false;
      document.removeEventListener('visibilitychange', onVisibility);
      closeStream();
      stopPolling();
    },
    get lastEventId() {
      return lastId;
    },
  };
}
