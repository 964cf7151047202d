// The report page in a real headless Chromium: a viewer key loads the server-drawn charts
// (inlined as SVG), picks another run and pair, and hostile release names stay text.
import { existsSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey } from '../../services/api-keys';
import type { TestApi } from '../helpers/api';
import { CHROMIUM, launchChromium, saveScreenshot } from '../helpers/chromium';
import type { TestDatabase } from '../helpers/database';
import { HOSTILE_RELEASE, seedReportProject } from '../helpers/report-fixtures';
import { openTestbed, type Testbed } from '../helpers/testbed';

describe.skipIf(!existsSync(CHROMIUM))(`report page (skipped: no Chromium at ${CHROMIUM}; .ci/run installs Debian's chromium)`, () => {
  let database: TestDatabase;
  let api: TestApi;
  let bed: Testbed;
  let browser: Browser;
  let projectId: string;
  let runIds: string[];
  let viewer: string;
  let admin: string;

  beforeAll(async () => {
    bed = await openTestbed({ worker: false });
    ({ database, api, admin } = bed);
    ({ projectId, runIds } = await seedReportProject(database.db, 'support-bot'));
    viewer = (await createApiKey(database.db, { name: 'viewer', role: 'viewer', projectId })).plain;
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await bed?.close();
  });

  it('shows the charts for a viewer key, switches run and pair, and keeps release names as text', async () => {
    const page = await browser.newPage({ viewport: { width: 1560, height: 1000 } });
    const pageErrors: string[] = [];
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await page.goto(`${api.baseUrl}/reports/${projectId}`);
    await page.fill('#key', viewer);
    await page.click('#save-key');

    // Latest run (November): six releases, and an undefined headline said in words.
    await page.waitForFunction(() => document.querySelectorAll('#chart-correlation svg g.point').length === 6);
    expect(await page.textContent('#project-name')).toBe('support-bot');
    expect(await page.textContent('#headline')).toMatch(/Spearman rho undefined, n=6: no correlation can be computed/);
    expect(await page.locator('#chart-correlation svg g.point').evaluateAll((gs) => gs.map((g) => g.getAttribute('data-label')))).toContain(HOSTILE_RELEASE);
    expect(await page.locator('#releases td', { hasText: 'onerror' }).first().textContent()).toBe(HOSTILE_RELEASE);
    expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
    expect(await page.locator('img').count()).toBe(0);

    // History charts: two defined points, November undefined (its own row); October and November flagged.
    await page.waitForSelector('#chart-correlation-history svg');
    expect(await page.locator('#chart-correlation-history svg circle.point').count()).toBe(2);
    expect(await page.locator('#chart-correlation-history svg path.undefined-point').count()).toBe(1);
    expect(await page.locator('#chart-correlation-history svg path.flag').count()).toBe(2);
    await page.waitForSelector('#chart-agreement svg');
    expect(await page.locator('#chart-agreement svg g.series[data-series^="judge vs human"] circle').count()).toBe(3);

    // October: the drift warning, and the run marked for attention.
    await page.selectOption('#run', runIds[1]!);
    await page.waitForFunction(() => /Drift warning/.test(document.getElementById('headline')!.textContent ?? ''));
    expect(await page.getAttribute('#headline', 'class')).toMatch(/warn/);
    expect(await page.textContent('#headline')).toMatch(/Run needs attention: the eval set has drifted from production/);

    // September, another pair, across cells.
    await page.selectOption('#run', runIds[0]!);
    await page.selectOption('#offline', 'correctness');
    await page.selectOption('#production', 'abandonment_rate');
    await page.selectOption('#scope', 'cells');
    await page.waitForFunction(() => /offline correctness .* vs abandonment rate, across release x slice cells/.test(document.querySelector('#chart-correlation svg .chart-title')?.textContent ?? ''));
    expect(await page.locator('#chart-correlation svg g.point').count()).toBe(12);
    // The view is in the address, the key is not.
    expect(page.url()).toContain(`run=${runIds[0]}`);
    expect(page.url()).toContain('offline=correctness');
    expect(page.url()).not.toContain(viewer);

    await page.selectOption('#scope', '');
    await page.selectOption('#offline', '');
    await page.selectOption('#production', '');
    await page.waitForFunction(() => /tracks production/.test(document.getElementById('headline')!.textContent ?? '') && document.querySelectorAll('#chart-correlation svg g.point').length === 6);
    expect(await page.getAttribute('#headline', 'class')).toMatch(/ok/);
    expect(pageErrors).toEqual([]);

    const file = await saveScreenshot(page, 'reports-page');
    expect((await stat(file)).size).toBeGreaterThan(20_000);
  });

  it('lets a service-wide key pick the project', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(`${api.baseUrl}/reports`);
    await page.evaluate(() => localStorage.removeItem('flywheel-key'));
    await page.reload();
    await page.fill('#key', admin);
    await page.click('#save-key');
    await page.waitForSelector('#project-picker:not([hidden])');
    await page.selectOption('#project', projectId);
    await page.waitForFunction(() => document.querySelectorAll('#chart-correlation svg g.point').length === 6);
    expect(page.url()).toContain(`/reports/${projectId}`);
  });
});
