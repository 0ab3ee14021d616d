// Probes evaluated inside the dashboard page by the browser tests (plain browser JS, one
// expression: `(<this file>).a11yReport()`).
(() => {
  const visible = (el) => {
    const r = el.getBoundingClientRect();
    const style = getComputedStyle(el);
    return (
      style.visibility !== 'hidden' && style.display !== 'none' && (r.width > 0 || r.height > 0)
    );
  };
  const text = (el) => (el?.textContent ?? '').replace(/\s+/g, ' ').trim();
  /** The accessible name, as far as this page needs it: aria-label, aria-labelledby, <label>, text, title. */
  const nameOf = (el) => {
    const label = el.getAttribute('aria-label');
    if (label?.trim()) return label.trim();
    const by = el.getAttribute('aria-labelledby');
    if (by)
      return by
        .split(/\s+/)
        .map((id) => text(document.getElementById(id)))
        .join(' ')
        .trim();
    if (el.labels && el.labels.length > 0) return [...el.labels].map((l) => text(l)).join(' ');
    return text(el) || el.getAttribute('title') || '';
  };
  const describe = (el) =>
    `<${el.tagName.toLowerCase()}${el.id ? ` #${el.id}` : ''} class="${el.className}">`;
  return {
    a11yReport() {
      const controls = [
        ...document.querySelectorAll(
          'a[href], button, input, textarea, select, summary, [role="button"]',
        ),
      ];
      const regions = [...document.querySelectorAll('[role="region"], section[aria-labelledby]')];
      return {
        unnamed: controls.filter((el) => visible(el) && !nameOf(el)).map(describe),
        landmarks: {
          banner: document.querySelectorAll('body > header').length,
          nav: document.querySelectorAll('nav').length,
          main: document.querySelectorAll('main').length,
          contentinfo: document.querySelectorAll('body > footer').length,
        },
        liveRegions: document.querySelectorAll(
          '[aria-live], [role="status"], [role="log"], [role="alert"]',
        ).length,
        unlabelledRegions: regions.filter((el) => !nameOf(el)).map(describe),
      };
    },
    /** Work-item ids (`TRL-001`) drawn on more than one line: ids must never wrap. */
    wrappedIds() {
      const idLike = /^[A-Z][A-Z0-9_]{0,19}-\d{1,9}$/;
      return [...document.querySelectorAll('main a, main span, main code')]
        .filter((el) => visible(el) && idLike.test(text(el)))
        .filter((el) => {
          const lineHeight = parseFloat(getComputedStyle(el).lineHeight) || 20;
          return (
            el.getClientRects().length > 1 || el.getBoundingClientRect().height > lineHeight * 1.6
          );
        })
        .map((el) => `${describe(el)} ${text(el)}`);
    },
    /** Pretends the tab is hidden (or shown again): what the browser does when the user switches tabs. */
    setHidden(hidden) {
      Object.defineProperty(document, 'visibilityState', {
        configurable: true,
        get: () => (hidden ? 'hidden' : 'visible'),
      });
      Object.defineProperty(document, 'hidden', { configurable: true, get: () => hidden });
      document.dispatchEvent(new window.Event('visibilitychange'));
      return hidden;
    },
    /** The item page's status badge background (blocked must not look like done). */
    badgeColour() {
      return getComputedStyle(document.querySelector('.item-header .badge')).backgroundColor;
    },
    /** Whether the work-item table shows `workItem` with the status badge `status`. */
    rowHasStatus(workItem, status) {
      return [...document.querySelectorAll('tbody tr')].some(
        (tr) =>
          tr.textContent.includes(workItem) && tr.querySelector('.badge')?.textContent === status,
      );
    },
  };
})();
