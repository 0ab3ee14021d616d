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

/** A table with a caption and header cells scoped to columns; `rows` are arrays of cells. */
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
          : rows.map((cells) =>
              h(
                'tr',
                {},
                cells.map((c) => h('td', {}, c)),
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
