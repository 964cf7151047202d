import { describe, expect, it } from 'vitest';
import { buildCorrelationReport } from '../../../core/correlation/correlation-report';
import { formatCorrelationReport } from '../../../core/correlation/correlation-table';
import type { Cell } from '../../../core/correlation/types';
import { fixedWidthTable } from '../../../core/text/fixed-width-table';

const counts = (traces: number, thumbsDown: number) => ({ traces, thumbsDown, rephrased: 0, abandoned: 2 * thumbsDown, escalated: 0, regenerated: 0, ratingSum: 0, ratings: 0 });
const judged = (passes: number, fails: number) => ({
  cases: [
    ...Array.from({ length: passes }, () => ({ correctness: 5, relevance: 4, clarity: 4, calibration: 4, length: 4, verdict: 'pass' as const })),
    ...Array.from({ length: fails }, () => ({ correctness: 1, relevance: 3, clarity: 3, calibration: 2, length: 3, verdict: 'fail' as const })),
  ],
});
const releases = (names: string[]): Cell[] => names.map((release, i) => ({ release, slice: null, production: counts(400, 10 + 30 * i), offline: judged(40 - 5 * i, 5 * i) }));

describe('fixed-width table', () => {
  it('pads columns to the widest cell, right-aligns numbers, cuts long cells and neutralises control characters', () => {
    const lines = fixedWidthTable(
      [
        { header: 'name', value: (r: { name: string; n: number }) => r.name, max: 8 },
        { header: 'n', value: (r) => String(r.n), align: 'right' },
      ],
      [
        { name: 'a', n: 5 },
        { name: 'a-very-long-name', n: 120 },
        { name: 'red\u001b[31m!', n: 7 },
      ],
    );
    expect(lines).toEqual(['name        n', '--------  ---', 'a           5', 'a-very-…  120', 'red\uFFFD[31…    7']);
  });
});

describe('correlation table', () => {
  it('prints one row per offline measure x production metric with n, interval, verdict and reading, headline first and marked', () => {
    const lines = formatCorrelationReport(buildCorrelationReport({ releaseCells: releases(['v1', 'v2', 'v3', 'v4', 'v5', 'v6']), sliceCells: [], judgedTraces: [], minReleases: 5, seed: 's', driftMargin: 0.2 }), 'releases');
    expect(lines[0]).toBe('Correlation (headline pass_rate x thumbs_down_rate, across releases): Spearman -1.00, n=6: strong negative (-1.00, interval -1.00 to -1.00, n=6)');
    const start = lines.findIndex((l) => l.startsWith('Across releases'));
    const header = lines[start + 1]!;
    expect(header.trim().split(/\s{2,}/)).toEqual(['offline', 'production', 'n', 'Spearman', 'interval', 'Kendall', 'Pearson', 'expected', 'verdict', 'reading']);
    const rows = lines.slice(start + 3, start + 3 + 36);
    expect(rows).toHaveLength(36);
    expect(rows[0]).toMatch(/^ {2}pass_rate\s+thumbs_down_rate \*\s+6\s+-1\.00\s+\[-1\.00, -1\.00\]\s+-1\.00\s+-1\.00\s+negative\s+tracks production\s+strong negative$/);
    // Every row's verdict starts under the header's: the columns line up.
    const verdictAt = header.indexOf('verdict');
    for (const row of rows) expect(row.slice(verdictAt)).toMatch(/^(tracks production|cannot tell|contradicts production)/);
    // Rephrase rate is 0 for every release: undefined, said so, never printed as 0.
    const rephrase = rows.find((r) => r.includes('rephrase_rate'))!;
    expect(rephrase).toMatch(/rephrase_rate\s+6\s+undefined\s+undefined\s+undefined\s+negative\s+cannot tell\s+no correlation can be computed \(one series is constant\)$/);
    expect(rows.filter((r) => /\s0\.00\s/.test(r))).toEqual([]);
    expect(lines.at(-2)).toMatch(/^Across release x slice cells: pass_rate x thumbs_down_rate Spearman undefined, n=0, cannot tell/);
    expect(lines.at(-1)).toMatch(/^Trace level: not measurable/);
  });

  it('shows too few releases and drift in words, and the release table with intervals', () => {
    const previous = { releases: { value: -0.9, n: 6 }, cells: null };
    const drifted = releases(['v1', 'v2', 'v3', 'v4', 'v5', 'v6']).map((c, i) => ({ ...c, offline: judged(10 + 5 * i, 40 - 5 * i) }));
    const lines = formatCorrelationReport(buildCorrelationReport({ releaseCells: drifted, sliceCells: [], judgedTraces: [], minReleases: 5, seed: 's', previous, driftMargin: 0.2 }), 'both');
    expect(lines[1]).toMatch(/^ {2}DRIFT WARNING: the eval set has drifted from production: pass_rate x thumbs_down_rate correlation across releases moved from -0.90 to 1.00/);
    expect(lines.find((l) => l.startsWith('  v1 '))).toMatch(/^ {2}v1\s+400\s+50\s+20\.0%\s+1\.80\s+2\.5% \[1\.4, 4\.5\]\s+0\.0%\s+5\.0%\s+0\.0%\s+n\/a$/);
    expect(lines.some((l) => /pass_rate\s+thumbs_down_rate \*\s+6\s+1\.00 .*contradicts production/.test(l))).toBe(true);
    expect(lines.some((l) => l.startsWith('Across release x slice cells (n: cells with both values'))).toBe(true);

    const few = formatCorrelationReport(buildCorrelationReport({ releaseCells: releases(['v1', 'v2', 'v3']), sliceCells: [], judgedTraces: [], minReleases: 5, seed: 's', driftMargin: 0.2 }), 'releases');
    expect(few[0]).toMatch(/too few releases to tell \(n=3, need 5\)$/);
    expect(few.find((l) => l.includes('thumbs_down_rate *'))).toMatch(/cannot tell\s+too few releases to tell \(n=3, need 5\)$/);
  });
});
