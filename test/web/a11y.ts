import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';

/** Debian's Chromium, as the browser tests run it (headless, no sandbox, no network chatter). */
export const CHROMIUM = '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-quic',
  '--no-first-run',
  '--disable-component-update',
  '--disable-sync',
];
/** Where the browser tests save screenshots (CI keeps test-artifacts/). */
export const SHOTS = join(process.cwd(), 'test-artifacts', 'screenshots');

/** test/web/page-probes.js: browser code, evaluated in the page as one expression. */
const PROBES = readFileSync(new URL('./page-probes.js', import.meta.url), 'utf8')
  .replace(/^\/\/.*\n/gm, '')
  .trim()
  .replace(/;$/, '');

/** A JS expression that calls one probe with JSON arguments. */
export function probe(name: string, ...args: unknown[]): string {
  return `(${PROBES}).${name}(${args.map((a) => JSON.stringify(a)).join(', ')})`;
}

export interface A11yReport {
  unnamed: string[];
  landmarks: { banner: number; nav: number; main: number; contentinfo: number };
  liveRegions: number;
  unlabelledRegions: string[];
}

/**
 * A basic accessibility check run in the page: every button, link, input, textarea, select and
 * summary has an accessible name (aria-label, aria-labelledby, a <label>, or text), every region
 * is labelled, the page has the main landmarks and at least one live region.
 */
export function a11yReport(page: Page): Promise<A11yReport> {
  return page.evaluate<A11yReport>(probe('a11yReport'));
}
