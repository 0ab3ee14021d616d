import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { a11yReport, CHROMIUM, CHROMIUM_ARGS, probe, SHOTS } from './a11y.js';
import { startDashboardServer, WEB_ADMIN_TOKEN } from './dashboard-server.js';

const PHONE = { width: 390, height: 844 };
const DESKTOP = { width: 1280, height: 900 };

/**
 * The dashboard as a place to act, in real Chromium against a real runtime with the scripted
 * agents as real processes: BLK's developer crashes until a person "fixes" it (the test clears
 * the project's scenario, as fixing the agent's environment would) and the item is resumed from
 * its page; ASK's analyst asks questions once, answered from the page; an item is filed from the
 * page; every page is checked at 1280 and 390 px for sideways scrolling, unnamed controls and
 * page errors, and screenshotted (test-artifacts/screenshots, kept by CI).
 */
describe('dashboard actions in Chromium', () => {
  let server: Awaited<ReturnType<typeof startDashboardServer>> | undefined;
  let browser: Browser | undefined;
  const errors: string[] = [];

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(
        `Chromium is missing at ${CHROMIUM}: install it with "apt-get install -y chromium"`,
      );
    }
    mkdirSync(SHOTS, { recursive: true });
    server = await startDashboardServer({
      env: { ORCH_BACKOFF_BASE_SECONDS: '0' },
      extraProjects: [
        {
          key: 'BLK',
          approvers: ['demo-approver'],
          autoApprove: true,
          scenario: { developer: 'crash' },
        },
        { key: 'ASK', approvers: ['ops-lead'], scenario: { analyst: 'questions_once' } },
      ],
    });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  }, 60_000);

  /** A logged-in page with the admin token and a name set (as the admin panel saves them). */
  async function adminPage(viewport = DESKTOP): Promise<Page> {
    const page = await browser!.newPage({ viewport });
    page.on('pageerror', (err) => errors.push(String(err)));
    page.on('console', (msg) => {
      if (msg.type() === 'error') errors.push(msg.text());
    });
    await page.goto(server!.loginUrl());
    await page.getByRole('heading', { name: 'Work items' }).waitFor();
    await page.locator('#admin-panel summary').click();
    await page.getByLabel('Admin token').fill(WEB_ADMIN_TOKEN);
    await page.getByLabel(/Your name/).fill('ops-lead');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.locator('#admin-panel summary').click();
    return page;
  }

  async function itemBadge(page: Page, text: string, timeoutMs: number) {
    await page.locator('.item-header .badge', { hasText: text }).waitFor({ timeout: timeoutMs });
  }

  async function expectSane(page: Page, label: string) {
    const report = await a11yReport(page);
    expect(report.unnamed, `${label}: controls without an accessible name`).toEqual([]);
    expect(report.unlabelledRegions, `${label}: regions without a label`).toEqual([]);
    const overflow = await page.evaluate<{ scroll: number; width: number }>(
      '({ scroll: document.scrollingElement.scrollWidth, width: window.innerWidth })',
    );
    expect(overflow.scroll, `${label}: scrolls sideways`).toBeLessThanOrEqual(overflow.width);
    const wrapped = await page.evaluate<string[]>(probe('wrappedIds'));
    expect(wrapped, `${label}: work-item ids broken over lines`).toEqual([]);
  }

  it('shows a Blocked item as blocked and resumes it from its page to done', async () => {
    const s = server!;
    const item = await s.fileItem('BLK', 'Export trails as GPX');
    const page = await adminPage();
    await page.getByRole('link', { name: item.workItemId }).click();
    await itemBadge(page, 'blocked', 60_000);
    // Why it is blocked, in words, on the page (the runner's reason: the crash after 2 attempts).
    await page
      .getByText(/developer failed after 2 attempts/)
      .first()
      .waitFor();
    const blockedColour = await page.evaluate<string>(probe('badgeColour'));
    await page.screenshot({ path: join(SHOTS, '10-blocked-item.png'), fullPage: true });
    await expectSane(page, 'blocked item');

    // A person fixes the agent's environment, then resumes with a note.
    delete s.rt.projects.get('BLK').scenario;
    await page.getByLabel('Resume note (optional)').fill('API key renewed');
    await page.getByRole('button', { name: 'Resume', exact: true }).click();
    await itemBadge(page, 'done', 120_000);
    const doneColour = await page.evaluate<string>(probe('badgeColour'));
    expect(doneColour).not.toBe(blockedColour);
    await page
      .getByText(/API key renewed/)
      .first()
      .waitFor();

    // Evidence: the artifacts (Markdown, verdicts highlighted) and the branch's diff.
    await page.getByRole('heading', { name: 'Artifacts' }).waitFor();
    await page.getByRole('button', { name: /12-review\.md/ }).click();
    const artifact = page.locator('.artifact-view');
    await artifact
      .locator('.verdict', { hasText: /approved/i })
      .first()
      .waitFor();
    await artifact.getByRole('heading').first().waitFor();
    await page.getByRole('heading', { name: 'Diff' }).waitFor();
    const diff = (await (
      await fetch(`${s.url}/api/tasks/${item.workItemId}/diff`, {
        headers: { authorization: `Bearer ${WEB_ADMIN_TOKEN}` },
      })
    ).json()) as { files: { path: string }[] };
    expect(diff.files.length).toBeGreaterThan(0);
    await page.locator('.diff-files').getByText(diff.files[0]!.path).first().waitFor();
    await page.screenshot({ path: join(SHOTS, '11-resumed-done.png'), fullPage: true });
    await expectSane(page, 'done item');
    await page.setViewportSize(PHONE);
    await page.screenshot({ path: join(SHOTS, '12-resumed-done-phone.png'), fullPage: true });
    await expectSane(page, 'done item at 390 px');
    await page.close();
  }, 200_000);

  it('answers a Needs-Input item from its page', async () => {
    const s = server!;
    const item = await s.fileItem('ASK', 'Add offline maps');
    const page = await adminPage();
    await page.goto(`${s.url}/#/tasks/${item.workItemId}`);
    await itemBadge(page, 'needs input', 60_000);
    // The analyst's questions are on the page, next to the answer box.
    await page.locator('.questions').first().waitFor();
    await page.screenshot({ path: join(SHOTS, '13-needs-input.png'), fullPage: true });
    await expectSane(page, 'needs-input item');
    await page.getByLabel('Your answer').fill('Offline maps for the saved trails only, 50 MB cap.');
    await page.getByRole('button', { name: 'Answer', exact: true }).click();
    await itemBadge(page, 'waiting for approval', 60_000);
    await page
      .getByText(/50 MB cap/)
      .first()
      .waitFor();
    await page.close();
  }, 120_000);

  it('files a new work item from the page', async () => {
    const s = server!;
    const page = await adminPage();
    await page.getByLabel('Project').selectOption('OPS');
    await page.getByLabel('Title').fill('Rotate the backup keys');
    await page.getByLabel('Description').fill('Quarterly rotation, as in the runbook.');
    await page.getByRole('button', { name: 'Create work item' }).click();
    await page.waitForURL(/#\/tasks\/OPS-\d+$/);
    await page.getByRole('heading', { name: /Rotate the backup keys/ }).waitFor();
    const id = page.url().split('/').pop()!;
    const tasks = await s.rt.tasks.list({ activeOnly: false });
    expect(tasks.find((t) => t.workItemId === id)?.title).toBe('Rotate the backup keys');
    await page.close();
  }, 60_000);

  it('fetches nothing while the tab is hidden and catches up when it shows again', async () => {
    const s = server!;
    const page = await adminPage();
    const requests: string[] = [];
    page.on('request', (r) => requests.push(new URL(r.url()).pathname));
    await page.evaluate(probe('setHidden', true));
    requests.length = 0;
    const item = await s.fileItem('OPS', 'Renew the TLS certificate');
    await page.waitForTimeout(3000);
    expect(requests).toEqual([]);
    await page.evaluate(probe('setHidden', false));
    await page.getByRole('link', { name: item.workItemId }).waitFor({ timeout: 10_000 });
    expect(requests.some((p) => p === '/api/tasks')).toBe(true);
    await page.close();
  }, 60_000);

  it('every page: no sideways scrolling at 390 px, named controls, no page errors', async () => {
    const s = server!;
    const tasks = await s.rt.tasks.list({ activeOnly: false });
    const done = tasks.find((t) => t.state === 'done') ?? tasks[0]!;
    const pages = [
      ['work-items', '#/tasks'],
      ['item', `#/tasks/${done.workItemId}`],
      ['queue', '#/queue'],
      ['runs', '#/runs'],
    ] as const;
    for (const viewport of [DESKTOP, PHONE]) {
      const page = await adminPage(viewport);
      for (const [name, hash] of pages) {
        await page.goto(`${s.url}/${hash}`);
        await page.locator('main h1').first().waitFor();
        await page.waitForTimeout(500);
        await page.screenshot({
          path: join(SHOTS, `20-${name}-${viewport.width}.png`),
          fullPage: true,
        });
        await expectSane(page, `${name} at ${viewport.width} px`);
      }
      await page.close();
    }
    expect(errors).toEqual([]);
  }, 120_000);
});
