/**
 * What a rollback hands the developer (spec ORCH-046): the must-fix text of the artifact that sent
 * the item back, verbatim — the P0/P1 findings of `12-review.md`, the failing tests of
 * `13-test-report.md` — rather than the first characters of the file, which are mostly frontmatter,
 * summary and P3 nits. All functions here are pure: markdown in, text out.
 */

/** Upper bound of an extract; beyond it the developer is pointed at the file. */
export const MAX_EXTRACT = 8000;

interface Section {
  level: number;
  heading: string;
  lines: string[];
}

/** Pure: the body of a markdown document without its YAML frontmatter. */
export function stripFrontmatter(text: string): string {
  const m = /^---\r?\n[\s\S]*?\r?\n---[ \t]*(?:\r?\n|$)/.exec(text);
  return m ? text.slice(m[0].length) : text;
}

/** Pure: the document cut at its headings (text before the first one is a level-0 section). */
function sections(body: string): Section[] {
  const out: Section[] = [{ level: 0, heading: '', lines: [] }];
  let fence = false;
  for (const line of body.split(/\r?\n/)) {
    if (/^\s*(```|~~~)/.test(line)) fence = !fence;
    const h = fence ? null : /^(#{1,6})\s+(.*)$/.exec(line);
    if (h) out.push({ level: h[1]!.length, heading: h[2]!.trim(), lines: [line] });
    else out.at(-1)!.lines.push(line);
  }
  return out;
}

const MUST_FIX = /\b(P0|P1)\b|\bblock(er|ing)\b|\bmust[- ]fix\b|\bcritical\b/i;
const SHOULD_NOT = /\b(P2|P3)\b|\bnit(s|pick)?\b|\boptional\b|\bminor\b/i;
const ITEM = /^(\s*)([-*+]|\d+[.)])\s+(.*)$/;
const ITEM_PRIORITY = /^(\[|\(|\*\*|__)?\s*(P0|P1)\b/i;

/** Pure: a section and every deeper section under it, as text. */
function withChildren(all: Section[], i: number): string[] {
  const lines = [...all[i]!.lines];
  for (let j = i + 1; j < all.length && all[j]!.level > all[i]!.level; j++) {
    lines.push(...all[j]!.lines);
  }
  return lines;
}

/** Pure: list items that start with a P0/P1 marker, each with its continuation lines. */
function priorityItems(lines: readonly string[]): string[] {
  const out: string[] = [];
  let keeping = false;
  let indent = 0;
  for (const line of lines) {
    const item = ITEM.exec(line);
    if (item) {
      keeping = ITEM_PRIORITY.test(item[3]!.trim());
      indent = item[1]!.length;
      if (keeping) out.push(line);
      continue;
    }
    const continues = line.trim() !== '' && line.search(/\S/) > indent;
    if (keeping && continues) out.push(line);
    else if (line.trim() !== '') keeping = false;
  }
  return out;
}

function bounded(text: string, file: string): string {
  const t = text.trim();
  if (t.length <= MAX_EXTRACT) return t;
  return `${t.slice(0, MAX_EXTRACT)}\n…(${t.length - MAX_EXTRACT} more characters in ${file})`;
}

/**
 * Pure: the must-fix findings of a review — every section whose heading names P0/P1 (or blocking,
 * must-fix, critical) with its subsections, and every list item elsewhere that starts with a P0/P1
 * marker (`- P1: …`, `- [P0] …`, `- **P1** …`), verbatim and in document order. With none of
 * those, the "Findings" section; with no such section, the whole body (bounded).
 */
export function extractReviewFindings(markdown: string): string {
  const all = sections(stripFrontmatter(markdown));
  const picked: string[] = [];
  for (let i = 0; i < all.length; i++) {
    const s = all[i]!;
    if (s.level > 0 && MUST_FIX.test(s.heading) && !SHOULD_NOT.test(s.heading)) {
      picked.push(withChildren(all, i).join('\n').trim());
      while (i + 1 < all.length && all[i + 1]!.level > s.level) i++;
      continue;
    }
    const items = priorityItems(s.lines);
    if (items.length > 0) picked.push(items.join('\n'));
  }
  if (picked.length > 0) return bounded(picked.join('\n\n'), '12-review.md');
  const i = all.findIndex((s) => /finding|required changes|issues/i.test(s.heading));
  const fallback =
    i >= 0 ? withChildren(all, i).join('\n') : all.map((s) => s.lines.join('\n')).join('\n');
  return bounded(fallback, '12-review.md');
}

const FAILURE_HEADING = /fail|error|broken|regression/i;
const FAILURE_LINE = /(^|\s)(FAIL(ED)?|✗|×|❌|✘)(\s|:|$)|\bAssertionError\b|\bnot ok\b/;

/**
 * Pure: the failing tests of a test report — every section whose heading speaks of failures, and
 * every other line that marks a failure (`FAIL`, `✗`, `×`, `❌`, `not ok`, an AssertionError),
 * verbatim. With none of those, the whole body (bounded).
 */
export function extractTestFailures(markdown: string): string {
  const all = sections(stripFrontmatter(markdown));
  const picked: string[] = [];
  for (let i = 0; i < all.length; i++) {
    const s = all[i]!;
    if (s.level > 0 && FAILURE_HEADING.test(s.heading)) {
      picked.push(withChildren(all, i).join('\n').trim());
      while (i + 1 < all.length && all[i + 1]!.level > s.level) i++;
      continue;
    }
    const lines = s.lines.filter((l) => FAILURE_LINE.test(l));
    if (lines.length > 0) picked.push(lines.join('\n'));
  }
  const text =
    picked.length > 0 ? picked.join('\n\n') : all.map((s) => s.lines.join('\n')).join('\n');
  return bounded(text, '13-test-report.md');
}

/** Pure: the extract of an artifact by its file name; other files are passed whole (bounded). */
export function extractFindings(file: string, markdown: string): string {
  if (file === '12-review.md') return extractReviewFindings(markdown);
  if (file === '13-test-report.md') return extractTestFailures(markdown);
  return bounded(stripFrontmatter(markdown), file);
}
