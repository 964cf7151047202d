// The reviewers' page in a real headless Chromium: list my tasks, read the trace with its
// session, label with keyboard shortcuts; it uses only the public GraphQL API.
import { existsSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey } from '../../services/api-keys';
import { ingestParsedTraces, validateTraceItems } from '../../services/ingestion/ingest-traces';
import type { TestApi } from '../helpers/api';
import { CHROMIUM, launchChromium, saveScreenshot } from '../helpers/chromium';
import type { TestDatabase } from '../helpers/database';
import { syntheticTraces } from '../helpers/synthetic';
import { openTestbed, type Testbed } from '../helpers/testbed';

describe.skipIf(!existsSync(CHROMIUM))(`reviewer web page (skipped: no Chromium at ${CHROMIUM}; .ci/run installs Debian's chromium)`, () => {
  let database: TestDatabase;
  let api: TestApi;
  let bed: Testbed;
  let browser: Browser;
  let reviewerKey: string;
  let runId: string;

  beforeAll(async () => {
    bed = await openTestbed();
    ({ database, api } = bed);
    const project = await database.db.project.create({ data: { name: 'ui', samplingPolicy: { sampleSize: 3 }, labelingSettings: { doubleLabelShare: 0, minDoubleLabelled: 0 } } });
    await ingestParsedTraces(database.db, project.id, validateTraceItems(syntheticTraces(60, { prefix: 'ui-' })));
    reviewerKey = (await createApiKey(database.db, { name: 'reviewer', role: 'reviewer', projectId: project.id })).plain;
    const started = await api.graphql('mutation($p: ID!) { startFlywheelRun(projectId: $p, periodStart: "2026-10-01T00:00:00Z", periodEnd: "2026-11-01T00:00:00Z") { id } }', { p: project.id }, bed.admin);
    runId = started.data!.startFlywheelRun.id;
    for (let i = 0; (await database.db.labelTask.count({ where: { runId } })) < 3; i += 1) {
      if (i > 300) throw new Error('no tasks');
      await new Promise((r) => setTimeout(r, 100));
    }
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await bed?.close();
  });

  it('lists the tasks, shows the trace and its session, and submits a label from the keyboard', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await page.goto(`${api.baseUrl}/review`);
    await page.fill('#key', reviewerKey);
    await page.click('#save-key');
    await page.waitForSelector('.task.active');
    expect(await page.locator('.task').count()).toBe(3);
    const firstTaskId = await page.locator('.task.active').getAttribute('data-task-id');
    await expect(page.locator('#session .turn.current').count()).resolves.toBe(1);
    expect(await page.textContent('#why')).toMatch(/Sampled as/);

    // Keyboard: five scores, then fail, a category, and Ctrl+Enter.
    for (const k of ['2', '4', '4', '1', '3']) await page.keyboard.press(k);
    await page.keyboard.press('f');
    await page.selectOption('#category', 'hallucination');
    await page.fill('#notes', 'made up a refund rule');
    await page.keyboard.press('Control+Enter');
    await page.waitForFunction(() => document.querySelectorAll('.task').length === 2);

    const label = await database.db.label.findFirstOrThrow({ where: { taskId: firstTaskId! } });
    expect(label).toMatchObject({ correctness: 2, relevance: 4, clarity: 4, calibration: 1, length: 3, verdict: 'fail', failureCategory: 'hallucination', notes: 'made up a refund rule' });
    expect(await page.locator('.task').count()).toBe(2);

    const file = await saveScreenshot(page, 'review-page');
    expect((await stat(file)).size).toBeGreaterThan(10_000);
  });
});
