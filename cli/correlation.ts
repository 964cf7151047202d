// `flywheel correlation`: a run's correlation report as fixed-width tables.
import type { CorrelationReport } from '../core/correlation/correlation-report';
import { formatCorrelationReport, type CorrelationTableScope } from '../core/correlation/correlation-table';
import type { Gql } from './graphql-client';

const SCOPES: readonly CorrelationTableScope[] = ['releases', 'cells', 'both'];

export async function fetchCorrelationTable(gql: Gql, options: { project: string; run?: string; scope: string }): Promise<string> {
  if (!(SCOPES as readonly string[]).includes(options.scope)) throw new Error(`--scope must be one of ${SCOPES.join(', ')}`);
  const data = await gql<{ correlationReport: { runId: string; createdAt: string; report: CorrelationReport } | null }>(
    'query($p: ID!, $r: ID) { correlationReport(projectId: $p, runId: $r) { runId createdAt report } }',
    { p: options.project, r: options.run ?? null },
  );
  if (!data.correlationReport) return 'No correlation report yet: a run makes one after labelling and judging.';
  const { runId, createdAt, report } = data.correlationReport;
  return [`Run ${runId} (report of ${createdAt.slice(0, 10)})`, ...formatCorrelationReport(report, options.scope as CorrelationTableScope)].join('\n');
}
