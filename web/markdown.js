// A small, safe Markdown renderer for agents' artifacts: headings, paragraphs, lists, quotes,
// code blocks, inline code, emphasis, links (http/https only) and simple tables. It builds DOM
// nodes and sets text with textContent: no HTML in the source is ever parsed.
import { h, safeLink } from './dom.js';

/** Headings start below the page's own (an artifact's `#` becomes an h3). */
const HEADING_OFFSET = 2;

const INLINE = [
  { re: /`([^`]+)`/, make: (m) => h('code', { text: m[1] }) },
  { re: /\*\*([^*]+)\*\*|__([^_]+)__/, make: (m) => h('strong', {}, inline(m[1] ?? m[2])) },
  { re: /\*([^*\s][^*]*)\*|\b_([^_\s][^_]*)_\b/, make: (m) => h('em', {}, inline(m[1] ?? m[2])) },
  { re: /\[([^\]]+)\]\(([^)\s]+)\)/, make: (m) => safeLink(m[2], m[1]) },
  { re: /<(https?:\/\/[^>\s]+)>/, make: (m) => safeLink(m[1]) },
];

/** Inline markup as nodes: the earliest match wins, text in between stays text. */
export function inline(text) {
  const out = [];
  let rest = String(text);
  while (rest) {
    let best = null;
    for (const rule of INLINE) {
      const m = rule.re.exec(rest);
      if (m && (best === null || m.index < best.m.index)) best = { m, rule };
    }
    if (!best) {
      out.push(rest);
      break;
    }
    if (best.m.index > 0) out.push(rest.slice(0, best.m.index));
    const node = best.rule.make(best.m);
    // A link that is not http(s) comes back as a mono span with the URL: show the label instead.
    out.push(node.tagName === 'SPAN' && best.m[1] ? best.m[1] : node);
    rest = rest.slice(best.m.index + best.m[0].length);
  }
  return out;
}

/** Removes a leading `---` front-matter block (the server returns it parsed). */
export function stripFrontMatter(source) {
  const m = /^---\r?\n[\s\S]*?\r?\n---\r?\n?/.exec(source);
  return m ? source.slice(m[0].length) : source;
}

const LIST_ITEM = /^\s*([-*+]|\d{1,9}[.)])\s+(.*)$/;
const TABLE_SEP = /^\s*\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$/;

function cellsOf(line) {
  return line
    .trim()
    .replace(/^\||\|$/g, '')
    .split('|')
    .map((c) => c.trim());
}

function tableBlock(lines) {
  const head = cellsOf(lines[0]);
  return h(
    'div',
    { class: 'md-table' },
    h(
      'table',
      {},
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          head.map((c) => h('th', { scope: 'col' }, inline(c))),
        ),
      ),
      h(
        'tbody',
        {},
        lines.slice(2).map((l) =>
          h(
            'tr',
            {},
            cellsOf(l).map((c, i) => h('td', { 'data-label': head[i] ?? '' }, inline(c))),
          ),
        ),
      ),
    ),
  );
}

/** Splits the source into block nodes. */
function blocks(lines) {
  const out = [];
  let i = 0;
  const isBlank = (l) => l.trim() === '';
  while (i < lines.length) {
    const line = lines[i];
    const fence = /^\s*(```|~~~)\s*([\w+-]*)/.exec(line);
    if (fence) {
      const body = [];
      i++;
      while (i < lines.length && !lines[i].trim().startsWith(fence[1])) body.push(lines[i++]);
      i++;
      out.push(h('pre', { class: 'md-code' }, h('code', { text: body.join('\n') })));
      continue;
    }
    if (isBlank(line)) {
      i++;
      continue;
    }
    const heading = /^(#{1,6})\s+(.*?)\s*#*\s*$/.exec(line);
    if (heading) {
      const level = Math.min(heading[1].length + HEADING_OFFSET, 6);
      out.push(h(`h${level}`, { class: 'md-heading' }, inline(heading[2])));
      i++;
      continue;
    }
    if (/^\s*([-*_])(\s*\1){2,}\s*$/.test(line)) {
      out.push(h('hr'));
      i++;
      continue;
    }
    if (line.includes('|') && i + 1 < lines.length && TABLE_SEP.test(lines[i + 1])) {
      const rows = [line, lines[i + 1]];
      i += 2;
      while (i < lines.length && lines[i].includes('|') && !isBlank(lines[i]))
        rows.push(lines[i++]);
      out.push(tableBlock(rows));
      continue;
    }
    if (/^\s*>/.test(line)) {
      const body = [];
      while (i < lines.length && /^\s*>/.test(lines[i]))
        body.push(lines[i++].replace(/^\s*>\s?/, ''));
      out.push(h('blockquote', {}, blocks(body)));
      continue;
    }
    if (LIST_ITEM.test(line)) {
      const ordered = /^\s*\d/.test(line);
      const items = [];
      while (i < lines.length && !isBlank(lines[i])) {
        const m = LIST_ITEM.exec(lines[i]);
        if (m) items.push(m[2]);
        else if (items.length > 0) items[items.length - 1] += ` ${lines[i].trim()}`;
        i++;
      }
      out.push(
        h(
          ordered ? 'ol' : 'ul',
          {},
          items.map((t) => listItem(t)),
        ),
      );
      continue;
    }
    const para = [];
    while (
      i < lines.length &&
      !isBlank(lines[i]) &&
      !/^(#{1,6}\s|\s*(```|~~~)|\s*>)/.test(lines[i]) &&
      !LIST_ITEM.test(lines[i])
    )
      para.push(lines[i++].trim());
    if (para.length === 0) para.push(lines[i++].trim());
    out.push(h('p', {}, inline(para.join(' '))));
  }
  return out;
}

function listItem(text) {
  const task = /^\[([ xX])\]\s+(.*)$/.exec(text);
  if (!task) return h('li', {}, inline(text));
  const done = task[1] !== ' ';
  return h('li', { class: 'md-task' }, done ? '☑ ' : '☐ ', inline(task[2]));
}

/** Renders Markdown `source` into a `<div class="markdown">`. */
export function renderMarkdown(source) {
  const lines = stripFrontMatter(String(source ?? '')).split(/\r?\n/);
  return h('div', { class: 'markdown' }, blocks(lines));
}
