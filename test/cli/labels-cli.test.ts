// The real `flywheel import-labels` and `flywheel agreement` commands (tsx cli/index.ts in
// a child process) against the API server started here: the MT-Bench votes reproduce the
// paper's Table 5 in the printed table, re-import changes nothing, bad rows come back by
// line with exit code 2, and a file over GraphQL's 8 MB body limit imports in full.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestApi } from '../helpers/api';
import type { TestDatabase } from '../helpers/database';
import { openTestbed, type Testbed } from '../helpers/testbed';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const DATA = path.resolve(ROOT, '../shared/data/mt_bench_human_judgments');
const HAVE_DATA = existsSync(path.join(DATA, 'human.jsonl')) && existsSync(path.join(DATA, 'gpt4_pair.jsonl'));

// Table 5 of Zheng et al. 2023 (agreement %, as published, and vote comparisons), per turn.
const TABLE_5 = {
  gpt4VsHuman: { '1': { S1: [66, 1343], S2: [85, 859] }, '2': { S1: [66, 1325], S2: [85, 864] } },
  humanVsHuman: { '1': { S1: [63, 721], S2: [81, 479] }, '2': { S1: [67, 707], S2: [82, 474] } },
} as const;

interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

describe('flywheel import-labels and agreement (the CLI)', () => {
  let database: TestDatabase;
  let api: TestApi;
  let admin: string;
  let bed: Testbed;
  let projectId: string;
  let scratch: string;

  const cli = (args: string[]): Promise<CliRun> =>
    new Promise((resolve, reject) => {
      const child = spawn(path.join(ROOT, 'node_modules', '.bin', 'tsx'), ['cli/index.ts', ...args], {
        cwd: ROOT,
        env: { ...process.env, FLYWHEEL_URL: api.baseUrl, FLYWHEEL_API_KEY: admin },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, stdout, stderr }));
    });
  const importFile = (file: string, dataset: string, kind: string, ...extra: string[]) => cli(['import-labels', file, '--project', projectId, '--dataset', dataset, '--kind', kind, ...extra]);

  /** The table's rows as cells (columns are separated by two or more spaces). */
  const rowsOf = (stdout: string) => stdout.split('\n').map((line) => line.trim().split(/\s{2,}/));
  const pairwiseRow = (stdout: string, group: string, setup: string) => {
    const row = rowsOf(stdout).find((cells) => cells[0] === group && cells[1] === setup);
    if (!row) throw new Error(`no row for group ${group} ${setup} in:\n${stdout}`);
    const [, , agreement, agreed, n, kappa, random, bias] = row;
    return { agreement: Number(agreement!.replace('%', '')), agreed: Number(agreed), n: Number(n), kappa, random, bias };
  };

  beforeAll(async () => {
    bed = await openTestbed({ worker: false });
    ({ database, api, admin } = bed);
    projectId = (await database.db.project.create({ data: { name: 'byol-cli' } })).id;
    scratch = await mkdtemp(path.join(os.tmpdir(), 'flywheel-labels-cli-'));
  });
  afterAll(async () => {
    await bed?.close();
    if (scratch) await rm(scratch, { recursive: true, force: true });
  });

  it('explains both commands with --help', async () => {
    const [importHelp, agreementHelp] = await Promise.all([cli(['import-labels', '--help']), cli(['agreement', '--help'])]);
    expect(importHelp.code).toBe(0);
    for (const option of ['--project', '--dataset', '--kind', '--preset', '--mapping']) expect(importHelp.stdout).toContain(option);
    expect(agreementHelp.code).toBe(0);
    for (const option of ['--group-a', '--group-b', '--setup', 'KIND[:PATTERN]']) expect(agreementHelp.stdout).toContain(option);
  });

  describe.skipIf(!HAVE_DATA)(`MT-Bench human judgments (skipped: ${DATA} is absent)`, () => {
    it('imports the real votes and prints the paper\'s Table 5 for GPT-4 vs experts and experts vs experts; re-import changes nothing', async () => {
      const human = await importFile(path.join(DATA, 'human.jsonl'), 'mt-bench', 'pairwise', '--preset', 'mt-bench');
      expect(human.stderr).not.toMatch(/flywheel:/);
      expect(human.code).toBe(0);
      expect(human.stdout).toContain('received 3355  imported 3355  updated 0  unchanged 0  rejected 0');
      const gpt4 = await importFile(path.join(DATA, 'gpt4_pair.jsonl'), 'mt-bench', 'pairwise', '--preset', 'mt-bench');
      expect(gpt4.code).toBe(0);
      expect(gpt4.stdout).toContain('received 2400  imported 2400  updated 0  unchanged 0  rejected 0');

      const judgeVsHuman = await cli(['agreement', '--project', projectId, '--dataset', 'mt-bench', '--kind', 'pairwise', '--group-a', 'judge:^gpt4_pair$', '--group-b', 'human:^expert_']);
      expect(judgeVsHuman.code).toBe(0);
      expect(judgeVsHuman.stdout).toContain('A = judge:^gpt4_pair$ (2400 rows)');
      const humanVsHuman = await cli(['agreement', '--project', projectId, '--dataset', 'mt-bench', '--kind', 'pairwise', '--group-a', 'human:^expert_', '--group-b', 'human:^expert_']);
      expect(humanVsHuman.code).toBe(0);
      for (const turn of ['1', '2'] as const) {
        for (const setup of ['S1', 'S2'] as const) {
          const [pct, n] = TABLE_5.gpt4VsHuman[turn][setup];
          const row = pairwiseRow(judgeVsHuman.stdout, turn, setup);
          expect({ turn, setup, agreement: Math.round(row.agreement), n: row.n }).toEqual({ turn, setup, agreement: pct, n });
          expect(row.kappa).toMatch(/^0\.\d{3}$/);
          expect(row.random).toBe(setup === 'S1' ? '33.3%' : '50.0%');
          // GPT-4's position-inconsistent votes, per turn (1200 votes each).
          expect(row.bias).toMatch(/^\d+\.\d% \(\d+ of 1200\)$/);
          const [hpct, hn] = TABLE_5.humanVsHuman[turn][setup];
          const hrow = pairwiseRow(humanVsHuman.stdout, turn, setup);
          expect({ turn, setup, agreement: Math.round(hrow.agreement), n: hrow.n }).toEqual({ turn, setup, agreement: hpct, n: hn });
          expect(hrow.bias).toBe('-');
        }
      }
      // Overall: both turns together, and 380 of GPT-4's 2400 votes position-inconsistent.
      const overall = pairwiseRow(judgeVsHuman.stdout, 'overall', 'S1');
      expect(overall.n).toBe(1343 + 1325);
      expect(overall.bias).toBe('15.8% (380 of 2400)');

      const one = await cli(['agreement', '--project', projectId, '--dataset', 'mt-bench', '--kind', 'pairwise', '--group-a', 'judge:^gpt4_pair$', '--group-b', 'human:^expert_', '--setup', 'S2']);
      expect(rowsOf(one.stdout).filter((cells) => cells[1] === 'S1')).toEqual([]);
      expect(pairwiseRow(one.stdout, '1', 'S2').n).toBe(859);

      const again = await importFile(path.join(DATA, 'gpt4_pair.jsonl'), 'mt-bench', 'pairwise', '--preset', 'mt-bench');
      expect(again.code).toBe(0);
      expect(again.stdout).toContain('received 2400  imported 0  updated 0  unchanged 2400  rejected 0');
      expect(await database.db.importedJudgment.count({ where: { projectId, dataset: 'mt-bench' } })).toBe(3355 + 2400);
    });
  });

  it('reports bad rows by line with exit code 2, keeps the valid ones, and prints pointwise agreement with intervals', async () => {
    const file = path.join(scratch, 'mine.jsonl');
    const lines = [
      { item: 'q1', who: 'ann', kind: 'human', verdict: 'pass', correct: 4 },
      { item: 'q1', who: 'gpt', kind: 'judge', verdict: 'pass', correct: 4 },
      'not json',
      { item: 'q2', who: 'ann', kind: 'human', verdict: 'maybe' },
      { item: 'q2', who: 'ann', kind: 'human', verdict: 'fail', correct: 1 },
      { item: 'q2', who: 'gpt', kind: 'judge', verdict: 'pass', correct: 3 },
    ];
    await writeFile(file, lines.map((l) => (typeof l === 'string' ? l : JSON.stringify(l))).join('\n'));
    const mapping = path.join(scratch, 'mapping.json');
    await writeFile(mapping, JSON.stringify({ itemId: 'item', raterId: 'who', raterKind: { field: 'kind', humanPattern: '^human$', judgePattern: '^judge$' }, scores: { correctness: 'correct' }, verdict: { field: 'verdict', pass: ['pass'], fail: ['fail'] } }));
    const result = await importFile(file, 'mine', 'pointwise', '--mapping', mapping);
    expect(result.code).toBe(2);
    expect(result.stdout).toContain('received 6  imported 4  updated 0  unchanged 0  rejected 2');
    expect(result.stdout).toMatch(/line 3: invalid JSON/);
    expect(result.stdout).toMatch(/line 4: `verdict` = "maybe" is neither pass nor fail/);

    const report = await cli(['agreement', '--project', projectId, '--dataset', 'mine', '--kind', 'pointwise', '--group-a', 'judge', '--group-b', 'human']);
    expect(report.code).toBe(0);
    const verdictRow = rowsOf(report.stdout).find((cells) => cells[0] === 'overall' && cells.length === 7)!;
    // Items 2; verdict agreement 1 of 2 with its Wilson interval; the human failure on q2 missed.
    expect(verdictRow.slice(0, 3)).toEqual(['overall', '2', '50.0% [9.5, 90.5] n=2']);
    expect(verdictRow[4]).toMatch(/^0\.0% \[0\.0, \d+\.\d\] n=1$/);
    expect(verdictRow[6]).toBe('low_tpr');
    expect(report.stdout).toMatch(/overall\s{2,}correctness\s{2,}2\s{2,}50\.0% \[9\.5, 90\.5\]/);

    const wrongKind = await importFile(file, 'mine', 'ranking');
    expect(wrongKind.code).toBe(1);
    expect(wrongKind.stderr).toContain('--kind is pairwise or pointwise');
    const badGroup = await cli(['agreement', '--project', projectId, '--dataset', 'mine', '--kind', 'pointwise', '--group-a', 'robot:^x', '--group-b', 'human']);
    expect(badGroup.code).toBe(1);
    expect(badGroup.stderr).toContain('KIND[:PATTERN]');
  });

  it('imports a file larger than the 8 MB GraphQL body limit in full, streamed', async () => {
    const file = path.join(scratch, 'large.jsonl');
    const rows = 90_000;
    const text = Array.from({ length: rows }, (_, i) => JSON.stringify({ itemId: `item-${i}`, answerA: 'model-one', answerB: 'model-two', raterId: `rater-${i % 7}`, raterKind: i % 2 ? 'judge' : 'human', winner: ['A', 'B', 'tie'][i % 3], group: `g${i % 4}` })).join('\n');
    await writeFile(file, text);
    expect(Buffer.byteLength(text)).toBeGreaterThan(8 * 1024 * 1024);
    // The same text through GraphQL is refused by the body limit.
    const graphql = await api.graphql('mutation($p: ID!, $j: String) { importLabels(projectId: $p, dataset: "large", kind: "pairwise", jsonl: $j) { received } }', { p: projectId, j: text }, admin);
    expect(graphql.status).toBe(413);
    const result = await importFile(file, 'large', 'pairwise');
    expect(result.stderr).not.toMatch(/flywheel:/);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`received ${rows}  imported ${rows}  updated 0  unchanged 0  rejected 0`);
    expect(await database.db.importedJudgment.count({ where: { projectId, dataset: 'large' } })).toBe(rows);
  });
});
