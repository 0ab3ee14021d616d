import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { a11yReport, CHROMIUM, CHROMIUM_ARGS, probe, SHOTS } from './a11y.js';
import { startDashboardServer, WEB_ADMIN_TOKEN } from './dashboard-server.js';

/**
 * Waits until the row of `workItem` in the work-item table shows `status` in its badge. Polls
 * with `evaluate` (CDP, not in-page eval: the dashboard's CSP forbids eval, and stays on).
 */
async function waitForStatus(page: Page, workItem: string, status: string, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  while (!(await page.evaluate<boolean>(probe('rowHasStatus', workItem, status)))) {
    if (Date.now() > deadline) throw new Error(`${workItem} did not show "${status}" in time`);
    await page.waitForTimeout(250);
  }
}

async function expectAccessible(page: Page) {
  const report = await a11yReport(page);
  expect(report.unnamed, 'controls without an accessible name').toEqual([]);
  expect(report.unlabelledRegions, 'regions without a label').toEqual([]);
  expect(report.landmarks).toEqual({ banner: 1, nav: 1, main: 1, contentinfo: 1 });
  expect(report.liveRegions).toBeGreaterThan(0);
}

describe('dashboard in Chromium', () => {
  let server: Awaited<ReturnType<typeof startDashboardServer>> | undefined;
  let browser: Browser | undefined;

  beforeAll(async () => {
    // Fail, never skip: the dashboard is only tested if a browser runs (.ci/run installs it).
    if (!existsSync(CHROMIUM)) {
      throw new Error(
        `Chromium is missing at ${CHROMIUM}: install it with "apt-get install -y chromium"`,
      );
    }
    mkdirSync(SHOTS, { recursive: true });
    server = await startDashboardServer();
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  }, 60_000);

  it('follows an item to done, approves and cancels a waiting one, all through the UI', async () => {
    const s = server!;
    const auto = await s.fileItem('TRL', 'Show total trail distance in miles');
    const waiting = await s.fileItem('OPS', 'Rotate the staging certificates');
    const page = await browser!.newPage({ viewport: { width: 1280, height: 900 } });
    const errors: string[] = [];
    page.on('pageerror', (err) => errors.push(String(err)));
    page.on('console', (msg) => {
      if (msg.type() === 'error') errors.push(msg.text());
    });

    // Not logged in: the login page, and no data (the read API answers 401 without a session).
    await page.goto(`${s.url}/`);
    await page.getByRole('heading', { name: 'Log in' }).waitFor();
    expect((await fetch(`${s.url}/api/tasks`)).status).toBe(401);
    await page.getByLabel('Access token').fill('not-the-token');
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByText('That token is not valid.').waitFor();
    // The refused login is the one expected console error (Chromium logs the 401 response).
    expect(errors.map((e) => /status of 401/.test(e))).toEqual([true]);
    errors.length = 0;
    await page.getByLabel('Access token').fill(WEB_ADMIN_TOKEN);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('heading', { name: 'Work items' }).waitFor();
    const cookies = await page.context().cookies();
    expect(cookies.map((c) => [c.name, c.httpOnly, c.sameSite])).toEqual([
      ['orch_session', true, 'Strict'],
    ]);
    await page.locator('#admin-panel summary').click();
    await page.getByLabel('Admin token').fill(WEB_ADMIN_TOKEN);
    await page.getByLabel(/Your name/).fill('ops-lead');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.locator('#admin-panel summary').click();
    await waitForStatus(page, waiting.workItemId, 'waiting for approval', 30_000);
    await page.screenshot({ path: join(SHOTS, '01-work-items.png'), fullPage: true });
    await expectAccessible(page);

    await page.getByRole('link', { name: waiting.workItemId }).click();
    await page.getByRole('button', { name: 'Approve analysis' }).click();
    await page.locator('.stage-current', { hasText: 'architecture' }).waitFor({ timeout: 15_000 });
    await page.getByText('approved by ops-lead (dashboard)').first().waitFor();
    await page.screenshot({ path: join(SHOTS, '02-approved.png'), fullPage: true });
    await expectAccessible(page);

    await page.getByLabel('Cancel reason (optional)').fill('demo is over');
    await page.getByRole('button', { name: 'Cancel work item' }).click();
    // Cancelling discards work: the dashboard asks first.
    await page.getByRole('button', { name: 'Yes, cancel the item' }).click();
    await page
      .locator('.item-header .badge', { hasText: 'cancelled' })
      .waitFor({ timeout: 15_000 });
    // A cancel is a person's decision: its reason is shown, not as an error.
    await page.locator('.why').filter({ hasText: 'demo is over' }).waitFor();
    expect(await page.locator('.why .error').count()).toBe(0);

    await page.getByRole('link', { name: 'Work items', exact: true }).click();
    await waitForStatus(page, auto.workItemId, 'done', 100_000);
    await page.screenshot({ path: join(SHOTS, '03-done.png'), fullPage: true });

    await page.getByRole('link', { name: auto.workItemId }).click();
    await page.getByRole('heading', { name: 'Timeline' }).waitFor();
    await page.locator('.gate', { hasText: 'merge_gate' }).first().waitFor();
    await page.locator('.log').filter({ hasText: '"type":"result"' }).waitFor({ timeout: 10_000 });
    await page.screenshot({ path: join(SHOTS, '04-timeline.png'), fullPage: true });
    await expectAccessible(page);
    const detail = await (
      await fetch(`${s.url}/api/tasks/${auto.workItemId}`, {
        headers: { authorization: `Bearer ${WEB_ADMIN_TOKEN}` },
      })
    ).json();
    expect(detail).toMatchObject({ task: { status: 'done', stage: 'done' } });

    await page.setViewportSize({ width: 390, height: 844 });
    await page.screenshot({ path: join(SHOTS, '05-timeline-phone.png'), fullPage: false });
    expect(errors).toEqual([]);
    await page.close();
  }, 150_000);

  it('shows the queue and v2 runs pages with named controls', async () => {
    const page = await browser!.newPage({ viewport: { width: 1280, height: 900 } });
    // The printed login link logs the browser in once and leaves no code in the address bar.
    const link = server!.loginUrl();
    await page.goto(link);
    await page.getByRole('heading', { name: 'Work items' }).waitFor();
    expect(page.url()).toBe(`${server!.url}/#/tasks`);
    const again = await fetch(link, { redirect: 'manual' });
    expect(again.status).toBe(401);
    // The spent link in another browser: the login page says why, and the address bar is clean.
    const other = await browser!.newPage({ viewport: { width: 390, height: 800 } });
    await other.goto(link);
    await other.getByText('That login link is unknown, already used or expired').waitFor();
    await other.getByRole('heading', { name: 'Log in' }).waitFor();
    expect(other.url()).toBe(`${server!.url}/`);
    await other.close();
    await page.goto(`${server!.url}/#/queue`);
    await page.getByRole('heading', { name: 'Circuit breakers' }).waitFor();
    await page.screenshot({ path: join(SHOTS, '06-queue.png'), fullPage: true });
    await expectAccessible(page);
    await page.evaluate(
      `sessionStorage.setItem('orch.adminToken', ${JSON.stringify(WEB_ADMIN_TOKEN)})`,
    );
    await page.goto(`${server!.url}/#/runs`);
    await page.reload();
    await page.getByText('No v2 runs yet').waitFor();
    await page.screenshot({ path: join(SHOTS, '07-v2-runs.png'), fullPage: true });
    await expectAccessible(page);
    // Keyboard: the first Tab reaches the skip link, which moves focus to the main landmark.
    await page.keyboard.press('Tab');
    expect(await page.evaluate('document.activeElement?.textContent')).toBe('Skip to content');
    await page.keyboard.press('Enter');
    expect(await page.evaluate('document.activeElement?.id')).toBe('main');
    await page.close();
  }, 30_000);
});
