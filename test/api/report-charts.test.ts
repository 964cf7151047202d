// The report's SVG routes over real HTTP and Postgres: same keys and roles as the rest of
// the API, charts of the stored reports, bad parameters refused by name.
import { DOMParser } from '@xmldom/xmldom';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey } from '../../services/api-keys';
import type { TestApi } from '../helpers/api';
import type { TestDatabase } from '../helpers/database';
import { HOSTILE_RELEASE, seedReportProject } from '../helpers/report-fixtures';
import { openTestbed, type Testbed } from '../helpers/testbed';

describe('report charts over HTTP', () => {
  let database: TestDatabase;
  let api: TestApi;
  let admin: string;
  let bed: Testbed;
  let projectId: string;
  let runIds: string[];
  let viewer: string;
  let otherViewer: string;
  let ingest: string;

  beforeAll(async () => {
    // The routes never touch Temporal: no worker.
    bed = await openTestbed({ worker: false });
    ({ database, api, admin } = bed);
    ({ projectId, runIds } = await seedReportProject(database.db, 'charts'));
    const other = await database.db.project.create({ data: { name: 'other' } });
    viewer = (await createApiKey(database.db, { name: 'viewer', role: 'viewer', projectId })).plain;
    otherViewer = (await createApiKey(database.db, { name: 'other viewer', role: 'viewer', projectId: other.id })).plain;
    ingest = (await createApiKey(database.db, { name: 'ingest', role: 'ingest', projectId })).plain;
  });
  afterAll(async () => {
    await bed?.close();
  });

  const get = (path: string, key?: string) => fetch(`${api.baseUrl}${path}`, { headers: key ? { authorization: `Bearer ${key}` } : {} });
  const parse = (svg: string) =>
    new DOMParser({
      onError: (level, message) => {
        throw new Error(`${level}: ${message}`);
      },
    }).parseFromString(svg, 'image/svg+xml');
  const classed = (svg: string, tag: string, cls: string) => Array.from(parse(svg).getElementsByTagName(tag)).filter((e) => (e.getAttribute('class') ?? '').split(' ').includes(cls));

  it('serves the page shell without a key (it holds no data)', async () => {
    for (const path of ['/reports', `/reports/${projectId}`, `/reports?projectId=${projectId}`]) {
      const response = await get(path);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toMatch(/^text\/html/);
      const html = await response.text();
      expect(html).toContain('Does the eval move when production moves?');
      expect(html).not.toContain('support-v1');
    }
  });

  it('draws the latest run by default, as private SVG, for a viewer of the project', async () => {
    const response = await get(`/reports/${projectId}/correlation.svg`, viewer);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('image/svg+xml; charset=utf-8');
    expect(response.headers.get('cache-control')).toBe('private, no-store');
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    const svg = await response.text();
    // November: the headline is undefined (constant offline score), and says so.
    expect(classed(svg, 'text', 'chart-subtitle')[0]!.textContent).toMatch(/^Run 2026-11\./);
    expect(classed(svg, 'text', 'caption').map((t) => t.textContent).join(' ')).toMatch(/Spearman rho undefined/);
    expect(svg).not.toContain('<img');
    expect(classed(svg, 'g', 'point').map((g) => g.getAttribute('data-label'))).toContain(HOSTILE_RELEASE);
  });

  it('draws a chosen run and pair', async () => {
    const svg = await (await get(`/reports/${projectId}/correlation.svg?run=${runIds[0]}&offline=correctness&production=abandonment_rate&scope=cells`, viewer)).text();
    expect(classed(svg, 'text', 'chart-title')[0]!.textContent).toBe('offline correctness (judge, 1-5) vs abandonment rate, across release x slice cells');
    expect(classed(svg, 'g', 'point')).toHaveLength(12);
    expect(classed(svg, 'g', 'point').map((g) => g.getAttribute('data-label'))).toContain('support-v1 / billing');
  });

  it('draws the histories: one point per run, drift flagged, undefined shown as undefined', async () => {
    const history = await (await get(`/reports/${projectId}/correlation-history.svg`, viewer)).text();
    expect(classed(history, 'circle', 'point').map((c) => c.getAttribute('data-index'))).toEqual(['0', '1']);
    expect(classed(history, 'path', 'undefined-point').map((c) => c.getAttribute('data-index'))).toEqual(['2']);
    // October weakened past the margin; November can no longer be measured at all.
    expect(classed(history, 'path', 'flag').map((c) => c.getAttribute('data-index'))).toEqual(['1', '2']);
    expect(Array.from(parse(history).getElementsByTagName('text')).map((t) => t.textContent)).toEqual(expect.arrayContaining(['2026-09', '2026-10', '2026-11']));

    const agreement = await (await get(`/reports/${projectId}/agreement.svg`, viewer)).text();
    const series = Object.fromEntries(classed(agreement, 'g', 'series').map((g) => [g.getAttribute('data-series'), Array.from(g.getElementsByTagName('circle')).map((c) => Number(c.getAttribute('data-value')))]));
    expect(series['judge vs human (verdict agreement)']).toEqual([0.92, 0.74, 0.85]);
    expect(series['human vs human (ceiling)']).toEqual([1, 1]);
  });

  it.each([
    ['no key', undefined, 401, 'UNAUTHENTICATED'],
    ['a wrong key', 'efw_nope', 401, 'UNAUTHENTICATED'],
    ["another project's viewer", 'other', 403, 'FORBIDDEN'],
    ['an ingest key', 'ingest', 403, 'FORBIDDEN'],
  ])('refuses %s', async (_, which, status, code) => {
    const key = which === 'other' ? otherViewer : which === 'ingest' ? ingest : which;
    const response = await get(`/reports/${projectId}/correlation.svg`, key);
    expect(response.status).toBe(status);
    expect((await response.json()).error.code).toBe(code);
  });

  it('refuses bad parameters by name, and an unknown chart or run', async () => {
    const cases: [string, number, RegExp][] = [
      [`/reports/${projectId}/correlation.svg?offline=vibes`, 400, /offline must be one of correctness, relevance, clarity, calibration, length, pass_rate; got "vibes"/],
      [`/reports/${projectId}/correlation.svg?scope=everything`, 400, /scope must be one of releases, cells/],
      [`/reports/${projectId}/correlation.svg?run=1;drop`, 400, /run must be a UUID/],
      [`/reports/${projectId}/correlation.svg?run=00000000-0000-4000-8000-000000000000`, 404, /correlation report of run/],
      [`/reports/${projectId}/pie.svg`, 404, /no chart pie; charts: correlation.svg, agreement.svg, correlation-history.svg/],
      ['/reports/not-a-uuid/correlation.svg', 400, /project id must be a UUID/],
      ['/reports/%E0%A4%A/correlation.svg', 400, /not a valid URL path segment/],
    ];
    for (const [path, status, message] of cases) {
      const response = await get(path, viewer);
      expect(response.status, path).toBe(status);
      expect((await response.json()).error.message, path).toMatch(message);
    }
  });

  it('gives a "No data" chart for a project without reports', async () => {
    const empty = await database.db.project.create({ data: { name: 'empty' } });
    for (const chart of ['correlation', 'agreement', 'correlation-history']) {
      const response = await get(`/reports/${empty.id}/${chart}.svg`, admin);
      expect(response.status).toBe(200);
      expect(classed(await response.text(), 'text', 'no-data')).toHaveLength(1);
    }
  });
});
