// `flywheel import-labels FILE` and `flywheel agreement`: bring your own labels through the
// public API. The file is streamed to POST /v1/labels (GraphQL's importLabels holds the
// whole text in one request of at most 8 MB; the stream has no size limit), and the
// agreement comes from GraphQL's importedAgreement, printed as tables.
import { readFile } from 'node:fs/promises';
import type { ImportSummary } from '../services/imports/import-labels';
import type { ImportedAgreement, RaterFilter } from '../services/imports/imported-agreement';
import type { Gql } from './graphql-client';
import { postNdjsonFile, resolveKey } from './ingest';

interface ImportLabelsCliOptions {
  project: string;
  dataset: string;
  kind: string;
  preset?: string;
  mapping?: string;
  gzip?: boolean;
  url: string;
  key?: string;
  dataDir: string;
}

export async function importLabelsFile(file: string, options: ImportLabelsCliOptions): Promise<ImportSummary> {
  const key = await resolveKey(options);
  const url = new URL('/v1/labels', options.url);
  url.searchParams.set('projectId', options.project);
  url.searchParams.set('dataset', options.dataset);
  url.searchParams.set('kind', options.kind);
  if (options.preset) url.searchParams.set('preset', options.preset);
  if (options.mapping) {
    const text = await readFile(options.mapping, 'utf8');
    try {
      // Sent compact; the server validates the fields and says what is wrong.
      url.searchParams.set('mapping', JSON.stringify(JSON.parse(text)));
    } catch {
      throw new Error(`${options.mapping} is not valid JSON`);
    }
  }
  return postNdjsonFile<ImportSummary>(file, url, key, options.gzip ?? file.endsWith('.gz'));
}

export function formatImportSummary(summary: ImportSummary): string {
  const lines = [
    `received ${summary.received}  imported ${summary.imported}  updated ${summary.updated}  unchanged ${summary.unchanged}  rejected ${summary.rejected}`,
    ...summary.errors.slice(0, 20).map((e) => `  ${e.reason}`),
  ];
  if (summary.rejected > 20) lines.push(`  ... ${summary.rejected - 20} more rejected lines`);
  return lines.join('\n');
}

/** `judge:^gpt4_pair$`, `human:^expert_`, `human`, `any:^r1$`: a rater kind and an optional id pattern. */
function parseRaterGroup(spec: string): RaterFilter {
  const colon = spec.indexOf(':');
  const kind = (colon === -1 ? spec : spec.slice(0, colon)).trim();
  const pattern = colon === -1 ? '' : spec.slice(colon + 1);
  if (kind !== 'human' && kind !== 'judge' && kind !== 'any') throw new Error(`a rater group is KIND[:PATTERN] with KIND human, judge or any; got "${spec}"`);
  return { kind: kind === 'any' ? null : kind, raterIdPattern: pattern || null };
}

const FIGURE = 'value n ci { low high }';
const SCOPE = `group
  pairwise { agreement agreed n cohenKappa randomBaseline positionBiasRate { rate inconsistent n } }
  pointwise { n flags
    verdict { agreement { ${FIGURE} } tpr { ${FIGURE} } tnr { ${FIGURE} } kappa { ${FIGURE} } }
    dimensions { dimension exact { ${FIGURE} } withinOne { ${FIGURE} } quadraticKappa { ${FIGURE} } } }`;
const AGREEMENT_QUERY = `query($p: ID!, $d: String!, $k: String!, $a: RaterFilter!, $b: RaterFilter!, $s: AgreementSetup) {
  importedAgreement(projectId: $p, dataset: $d, kind: $k, groupA: $a, groupB: $b, setup: $s) {
    kind dataset setup rows groupARows groupBRows overall { ${SCOPE} } groups { ${SCOPE} } } }`;

interface AgreementCliOptions {
  project: string;
  dataset: string;
  kind: string;
  groupA: string;
  groupB: string;
  /** Pairwise: one setup; both S1 and S2 when absent. */
  setup?: string;
}

/** The reports the command prints: pairwise once per setup, pointwise once. */
export async function fetchImportedAgreement(gql: Gql, options: AgreementCliOptions): Promise<ImportedAgreement[]> {
  if (options.setup && options.setup !== 'S1' && options.setup !== 'S2') throw new Error(`--setup is S1 or S2, got ${options.setup}`);
  const setups = options.kind === 'pairwise' ? (options.setup ? [options.setup] : ['S1', 'S2']) : [null];
  const variables = { p: options.project, d: options.dataset, k: options.kind, a: parseRaterGroup(options.groupA), b: parseRaterGroup(options.groupB) };
  const reports: ImportedAgreement[] = [];
  for (const s of setups) reports.push((await gql<{ importedAgreement: ImportedAgreement }>(AGREEMENT_QUERY, { ...variables, s })).importedAgreement);
  return reports;
}

/** Columns padded to their widest cell; the first `leftColumns` left-aligned, numbers right-aligned. */
function table(header: string[], rows: string[][], leftColumns: number): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i < leftColumns ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ').trimEnd();
  return [line(header), ...rows.map(line)];
}

const NONE = '-';
const pct = (x: number | null) => (x === null ? NONE : `${(x * 100).toFixed(1)}%`);
const num = (x: number | null) => (x === null ? NONE : x.toFixed(3));
type FigureValue = { value: number | null; n: number; ci: { low: number; high: number } | null };
/** A share or kappa with its interval: `66.0% [63.4, 68.5]`. */
const withCi = (f: FigureValue, show: (x: number | null) => string) =>
  f.value === null ? NONE : f.ci ? `${show(f.value)} [${show(f.ci.low).replace('%', '')}, ${show(f.ci.high).replace('%', '')}]` : show(f.value);
const scopeName = (group: string | null) => group ?? 'overall';

function pairwiseLines(reports: ImportedAgreement[]): string[] {
  const rows: string[][] = [];
  const scopes = (r: ImportedAgreement) => [...r.groups, r.overall];
  // Grouped by scope, then setup, so S1 and S2 of a turn sit together as in the paper.
  for (const [i, scope] of scopes(reports[0]!).entries()) {
    for (const report of reports) {
      const s = scopes(report)[i]!.pairwise!;
      const bias = s.positionBiasRate;
      rows.push([scopeName(scope.group), report.setup ?? NONE, pct(s.agreement), String(s.agreed), String(s.n), num(s.cohenKappa), pct(s.randomBaseline), bias.n ? `${pct(bias.rate)} (${bias.inconsistent} of ${bias.n})` : NONE]);
    }
  }
  return [
    ...table(['group', 'setup', 'agreement', 'agreed', 'n', 'kappa', 'random', 'position bias (judge votes)'], rows, 2),
    '',
    'n counts vote comparisons: each vote of A against each vote of B on the same item and answer pair, never a rater',
    'with themself. S1 keeps ties as a third choice (a random rater agrees 1/3 of the time); S2 leaves out comparisons',
    'with a tie (random: 1/2). No intervals: comparisons share votes (one judge vote meets several humans), so they are',
    'not independent draws. Position bias: judge votes that flipped when the two answers were swapped (counted as ties).',
  ];
}

function pointwiseLines(report: ImportedAgreement): string[] {
  const scopes = [...report.groups, report.overall];
  const verdictRows = scopes.map((scope) => {
    const p = scope.pointwise!;
    const v = p.verdict;
    return [scopeName(scope.group), String(p.n), `${withCi(v.agreement, pct)} n=${v.agreement.n}`, withCi(v.kappa, num), `${withCi(v.tpr, pct)} n=${v.tpr.n}`, `${withCi(v.tnr, pct)} n=${v.tnr.n}`, p.flags.join(', ') || NONE];
  });
  const dimensionRows = scopes.flatMap((scope) =>
    scope.pointwise!.dimensions.filter((d) => d.exact.n > 0).map((d) => [scopeName(scope.group), d.dimension, String(d.exact.n), withCi(d.exact, pct), withCi(d.withinOne, pct), withCi(d.quadraticKappa, num)]),
  );
  return [
    'verdict (fail is the positive class; B is the reference: TPR = share of B\'s failures that A also failed)',
    ...table(['group', 'items', 'agreement', 'kappa', 'TPR', 'TNR', 'flags'], verdictRows, 1),
    '',
    'scores (1-5)',
    ...(dimensionRows.length ? table(['group', 'dimension', 'n', 'exact', 'within one', 'quadratic kappa'], dimensionRows, 2) : ['  no item has a score from both groups']),
    '',
    'Intervals are 95%: Wilson for shares, seeded bootstrap over items for kappa. items: rated by both groups',
    '(on each item the first rater of A against the first other rater of B).',
  ];
}

export function formatImportedAgreement(reports: ImportedAgreement[], options: Pick<AgreementCliOptions, 'groupA' | 'groupB'>): string {
  const first = reports[0]!;
  const lines = [`${first.dataset} (${first.kind}): ${first.rows} rows; A = ${options.groupA} (${first.groupARows} rows), B = ${options.groupB} (${first.groupBRows} rows)`];
  if (first.groupARows === 0) lines.push(`warning: group A matched no rows; check --group-a`);
  if (first.groupBRows === 0) lines.push(`warning: group B matched no rows; check --group-b`);
  lines.push('');
  lines.push(...(first.kind === 'pairwise' ? pairwiseLines(reports) : pointwiseLines(first)));
  return lines.join('\n');
}
