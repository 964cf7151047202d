// The report's charts as SVG: loads the stored correlation and agreement reports of a
// project (read access), picks what to draw from the request, and hands the rows to the
// pure chart builders in core/charts.
import { agreementHistorySvg, correlationHistorySvg, correlationScatterSvg, labelRuns, type AgreementHistoryEntry, type PairChoice } from '../core/charts/report-charts';
import type { CorrelationReport } from '../core/correlation/correlation-report';
import { OFFLINE_MEASURES, PRODUCTION_METRICS, type OfflineMeasure, type ProductionMetric } from '../core/correlation/types';
import type { JudgeAgreementReport } from '../core/judge/agreement-report';
import { PRIMARY_METRICS, type PrimaryMetric } from '../core/judge/judge-settings';
import type { Db } from '../db/client';
import type { Principal } from './api-keys';
import { badInput, notFound } from './errors';
import { assertUuid, requireProject } from './projects';

export const REPORT_CHARTS = ['correlation', 'agreement', 'correlation-history'] as const;
export type ReportChart = (typeof REPORT_CHARTS)[number];

const SCOPES = ['releases', 'cells'] as const;
/** Enough history for ten years of monthly runs; older runs are left out of the charts. */
const HISTORY_RUNS = 120;

function oneOf<T extends string>(params: URLSearchParams, name: string, allowed: readonly T[]): T | undefined {
  const value = params.get(name);
  if (value === null || value === '') return undefined;
  if (!(allowed as readonly string[]).includes(value)) throw badInput(`${name} must be one of ${allowed.join(', ')}; got "${value.slice(0, 60)}"`);
  return value as T;
}

/** The pair asked for, or null when the request names none (the chart then shows the headline). */
function requestedPair(params: URLSearchParams): Partial<PairChoice> | null {
  const offline = oneOf<OfflineMeasure>(params, 'offline', OFFLINE_MEASURES);
  const production = oneOf<ProductionMetric>(params, 'production', PRODUCTION_METRICS);
  const scope = oneOf(params, 'scope', SCOPES);
  if (!offline && !production && !scope) return null;
  return { ...(offline ? { offline } : {}), ...(production ? { production } : {}), ...(scope ? { scope } : {}) };
}

const HEADLINE_PAIR: PairChoice = { offline: 'pass_rate', production: 'thumbs_down_rate', scope: 'releases' };

const completeChoice = (asked: Partial<PairChoice>, fallback: PairChoice): PairChoice => ({ ...fallback, ...asked });

/** Stored JSON is what buildCorrelationReport wrote; a row of another shape is left out rather than drawn wrong. */
function asCorrelationReport(json: unknown): CorrelationReport | null {
  const r = json as Partial<CorrelationReport> | null;
  return r && Array.isArray(r.releases) && Array.isArray(r.cells) && Array.isArray(r.acrossReleases) && Array.isArray(r.acrossCells) && r.headline && r.drift ? (r as CorrelationReport) : null;
}

function asAgreementReport(json: unknown): JudgeAgreementReport | null {
  const r = json as Partial<JudgeAgreementReport> | null;
  return r && r.judgeHuman?.overall ? (r as JudgeAgreementReport) : null;
}

async function runLabelsOf(db: Db, projectId: string): Promise<Map<string, string>> {
  const runs = await db.flywheelRun.findMany({ where: { projectId }, select: { id: true, periodStart: true, createdAt: true }, orderBy: { createdAt: 'desc' }, take: 10 * HISTORY_RUNS });
  return labelRuns(runs);
}

async function correlationChart(db: Db, projectId: string, params: URLSearchParams): Promise<string> {
  const runId = params.get('run') || null;
  if (runId) assertUuid(runId, 'run');
  const row = runId
    ? await db.correlationReport.findUnique({ where: { runId } })
    : await db.correlationReport.findFirst({ where: { projectId }, orderBy: { createdAt: 'desc' } });
  if (runId && (!row || row.projectId !== projectId)) throw notFound('correlation report of run', runId);
  const report = row ? asCorrelationReport(row.report) : null;
  // Default: the headline pair, one point per release (cells are one click away).
  const choice = completeChoice(requestedPair(params) ?? {}, HEADLINE_PAIR);
  const label = row ? ((await runLabelsOf(db, projectId)).get(row.runId) ?? null) : null;
  return correlationScatterSvg(report, choice, label);
}

async function agreementChart(db: Db, projectId: string): Promise<string> {
  const rows = (await db.agreementReport.findMany({ where: { projectId, scope: 'run', runId: { not: null } }, orderBy: { createdAt: 'desc' }, take: 2 * HISTORY_RUNS })).reverse();
  const labels = await runLabelsOf(db, projectId);
  const entries: AgreementHistoryEntry[] = [];
  const seen = new Set<string>();
  for (const row of rows) {
    // One point per run: the judge that scored the run's labels (the first report of the run).
    if (!row.runId || seen.has(row.runId)) continue;
    seen.add(row.runId);
    const report = asAgreementReport(row.report);
    if (!report || !(PRIMARY_METRICS as readonly string[]).includes(row.primaryMetric)) continue;
    entries.push({ runLabel: labels.get(row.runId) ?? row.createdAt.toISOString().slice(0, 10), primaryMetric: row.primaryMetric as PrimaryMetric, threshold: row.threshold, report });
  }
  return agreementHistorySvg(entries.slice(-HISTORY_RUNS));
}

async function correlationHistoryChart(db: Db, projectId: string, params: URLSearchParams): Promise<string> {
  const rows = (await db.correlationReport.findMany({ where: { projectId }, orderBy: { createdAt: 'desc' }, take: HISTORY_RUNS })).reverse();
  const labels = await runLabelsOf(db, projectId);
  const entries = rows.flatMap((row) => {
    const report = asCorrelationReport(row.report);
    return report ? [{ runLabel: labels.get(row.runId) ?? row.createdAt.toISOString().slice(0, 10), report }] : [];
  });
  const asked = requestedPair(params);
  return correlationHistorySvg(entries, asked ? completeChoice(asked, HEADLINE_PAIR) : null);
}

/** One of the report's charts for a project the key may read, as an SVG document. */
export async function renderReportChart(db: Db, principal: Principal, projectId: string, chart: ReportChart, params: URLSearchParams): Promise<string> {
  await requireProject(db, principal, projectId, 'read');
  switch (chart) {
    case 'correlation':
      return correlationChart(db, projectId, params);
    case 'agreement':
      return agreementChart(db, projectId);
    case 'correlation-history':
      return correlationHistoryChart(db, projectId, params);
  }
}
