// GET /reports[/<projectId>]: the report page (a static shell; it asks for a key and loads
// the charts with it). GET /reports/<projectId>/<chart>.svg: one chart, server-rendered,
// for a key that may read the project (Authorization: Bearer, like every other route).
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Db } from '../db/client';
import { authenticate } from '../services/api-keys';
import type { RouteLogging } from './route-logging';
import { ServiceError } from '../services/errors';
import { consumeRequest } from '../services/rate-limit';
import { REPORT_CHARTS, renderReportChart, type ReportChart } from '../services/report-charts';

export const REPORT_PAGE_PATH = /^\/reports(?:\/[^/]+)?\/?$/;
export const REPORT_CHART_PATH = /^\/reports\/([^/]+)\/([a-z-]+)\.svg$/;

const reportPage = readFileSync(path.join(path.dirname(fileURLToPath(import.meta.url)), 'static', 'reports.html'), 'utf8');

function sendError(res: ServerResponse, error: unknown): void {
  if (error instanceof ServiceError) {
    res.writeHead(error.httpStatus, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { code: error.code, message: error.message } }));
    return;
  }
  console.error('report chart failed', error);
  res.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { code: 'INTERNAL', message: 'chart failed' } }));
}

export function serveReportPage(req: IncomingMessage, res: ServerResponse): void {
  if (req.method !== 'GET') {
    res.writeHead(405, { allow: 'GET', 'content-type': 'application/json' }).end(JSON.stringify({ error: { code: 'BAD_USER_INPUT', message: 'use GET' } }));
    return;
  }
  // The shell holds no data: everything on it is fetched with the key the person types in.
  res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-security-policy': "default-src 'self'; script-src 'unsafe-inline' 'self'; style-src 'unsafe-inline'; img-src 'self' data:" }).end(reportPage);
}

export async function handleReportChart(db: Db, req: IncomingMessage, res: ServerResponse, url: URL, projectId: string, chart: string, options: RouteLogging = {}): Promise<void> {
  try {
    if (req.method !== 'GET') throw new ServiceError('BAD_USER_INPUT', 'use GET');
    if (!(REPORT_CHARTS as readonly string[]).includes(chart)) throw new ServiceError('NOT_FOUND', `no chart ${chart.slice(0, 40)}; charts: ${REPORT_CHARTS.map((c) => `${c}.svg`).join(', ')}`);
    const principal = await authenticate(db, req.headers.authorization ?? null);
    options.onKey?.(principal.keyId);
    await consumeRequest(principal.keyId);
    let id: string;
    try {
      id = decodeURIComponent(projectId);
    } catch {
      throw new ServiceError('BAD_USER_INPUT', 'project id is not a valid URL path segment');
    }
    const svg = await renderReportChart(db, principal, id, chart as ReportChart, url.searchParams);
    res
      .writeHead(200, {
        'content-type': 'image/svg+xml; charset=utf-8',
        // Project data behind a key: never cached by a shared cache, never sniffed, never scripted.
        'cache-control': 'private, no-store',
        'x-content-type-options': 'nosniff',
        'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'",
      })
      .end(svg);
  } catch (error) {
    sendError(res, error);
  }
}
