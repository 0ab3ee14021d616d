// Tiny DOM helpers: every value is set as text or a property, never parsed as HTML.

/**
 * Creates an element. `props` keys: `class`, `text`, `on<Event>` handlers, `aria-*`/`data-*`
 * and other attributes (false/null/undefined skip the attribute). Children may be strings.
 */
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'class') el.className = value;
    else if (key === 'text') el.textContent = String(value);
    else if (key.startsWith('on') && typeof value === 'function') {
      el.addEventListener(key.slice(2).toLowerCase(), value);
    } else el.setAttribute(key, value === true ? '' : String(value));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/**
 * A table with a caption and header cells scoped to columns; `rows` are arrays of cells. Each
 * cell carries its column's name (`data-label`): on a phone the rows become cards.
 * `options.rowClass(i)` gives row i a class; `options.rowHeader` makes the first cell the row's
 * header (`<th scope="row">`).
 */
export function table(caption, headers, rows, options = {}) {
  return h(
    'div',
    { class: 'table-wrap', role: 'region', 'aria-label': caption, tabindex: '0' },
    h(
      'table',
      { class: options.class },
      h('caption', { class: options.hideCaption ? 'visually-hidden' : undefined, text: caption }),
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          headers.map((t) => h('th', { scope: 'col', text: t })),
        ),
      ),
      h(
        'tbody',
        {},
        rows.length === 0
          ? h(
              'tr',
              {},
              h('td', {
                colspan: String(headers.length),
                class: 'muted',
                text: options.empty ?? 'None.',
              }),
            )
          : rows.map((cells, i) =>
              h(
                'tr',
                { class: options.rowClass?.(i) },
                cells.map((c, col) =>
                  options.rowHeader && col === 0
                    ? h('th', { scope: 'row', 'data-label': headers[col] }, c)
                    : h('td', { 'data-label': headers[col] }, c),
                ),
              ),
            ),
      ),
    ),
  );
}

/** A definition list from [term, value] pairs. */
export function dl(pairs, className = 'facts') {
  return h(
    'dl',
    { class: className },
    pairs.map(([term, value]) => [h('dt', { text: term }), h('dd', {}, value)]),
  );
}

/** A status badge: the text says it, the colour only repeats it. */
export function badge(status) {
  const label = String(status ?? 'unknown').replaceAll('_', ' ');
  return h('span', { class: `badge badge-${String(status).replace(/[^a-z_]/g, '')}`, text: label });
}

/** A link only for http(s) URLs; anything else (local://…) is shown as text. */
export function safeLink(url, text) {
  if (typeof url === 'string' && /^https?:\/\//i.test(url)) {
    return h('a', { href: url, rel: 'noopener noreferrer', target: '_blank', text: text ?? url });
  }
  return h('span', { class: 'mono', text: url ?? '—' });
}

/** A titled card: a section labelled by its own h2 (`id` names the heading). */
export function card(id, title, ...content) {
  return h(
    'section',
    { class: 'card', 'aria-labelledby': id },
    h('h2', { id, text: title }),
    ...content,
  );
}

/** A work-item id that never wraps, linking to its page. */
export function itemLink(workItemId) {
  return h('a', { href: `#/tasks/${workItemId}`, class: 'mono wi-id', text: workItemId });
}

/** A budget bar: `<meter>` plus the text ("$0.42 of $1.00"), which carries the meaning. */
export function budgetMeter(label, spentUsd, limitUsd, money) {
  const spent = Number(spentUsd) || 0;
  const limit = Number(limitUsd);
  const over = spent > limit;
  return h(
    'span',
    { class: `budget${over ? ' budget-over' : ''}` },
    h('meter', {
      min: '0',
      max: String(limit),
      low: String(limit * 0.75),
      high: String(limit * 0.9),
      optimum: '0',
      value: String(Math.min(spent, limit)),
      'aria-label': label,
      'aria-valuetext': `${money(spent)} of ${money(limit)}`,
    }),
    ' ',
    h('span', { text: `${money(spent)} of ${money(limit)}${over ? ' (over budget)' : ''}` }),
  );
}
