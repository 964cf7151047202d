// Bring your own labels: the real MT-Bench expert and GPT-4 votes imported through the
// public GraphQL API reproduce the paper's agreement table (Zheng et al. 2023, Table 5).
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey } from '../../services/api-keys';
import type { TestApi } from '../helpers/api';
import type { TestDatabase } from '../helpers/database';
import { openTestbed, type Testbed } from '../helpers/testbed';

const DATA = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../shared/data/mt_bench_human_judgments');
const HAVE_DATA = existsSync(path.join(DATA, 'human.jsonl'));

// Table 5 of the paper (agreement %, rounded as published, and number of vote comparisons).
const TABLE_5 = {
  '1': { gpt4VsHuman: { S1: [66, 1343], S2: [85, 859] }, humanVsHuman: { S1: [63, 721], S2: [81, 479] } },
  '2': { gpt4VsHuman: { S1: [66, 1325], S2: [85, 864] }, humanVsHuman: { S1: [67, 707], S2: [82, 474] } },
} as const;

describe('imported labels and their agreement', () => {
  let database: TestDatabase;
  let api: TestApi;
  let admin: string;
  let bed: Testbed;
  let projectId: string;

  const importLabels = (vars: Record<string, unknown>, key = admin) =>
    api.graphql('mutation($p: ID!, $d: String!, $k: String!, $preset: String, $m: JSON, $j: String, $u: String) { importLabels(projectId: $p, dataset: $d, kind: $k, preset: $preset, mapping: $m, jsonl: $j, url: $u) { received imported updated unchanged rejected errors { line reason } } }', { p: projectId, ...vars }, key);
  const SCOPE = `group pairwise { agreement agreed n cohenKappa randomBaseline positionBiasRate { rate inconsistent n } }
    pointwise { n flags verdict { agreement { value n ci { low high } } tpr { value n } tnr { value n } kappa { value n } confusion { tp fn fp tn } }
                dimensions { dimension exact { value n ci { low high } } withinOne { value n } quadraticKappa { value n } } }`;
  const agreement = (vars: Record<string, unknown>) =>
    api.graphql(
      `query($p: ID!, $d: String!, $k: String!, $a: RaterFilter!, $b: RaterFilter!, $s: AgreementSetup) {
         importedAgreement(projectId: $p, dataset: $d, kind: $k, groupA: $a, groupB: $b, setup: $s) {
           kind setup rows groupARows groupBRows positionBiasRate { rate inconsistent n } overall { ${SCOPE} } groups { ${SCOPE} } } }`,
      { p: projectId, ...vars },
      admin,
    );
  type Scope = { group: string | null; pairwise: { n: number; agreement: number; cohenKappa: number | null } };
  const inGroup = (report: { groups: Scope[] }, group: string): Scope => report.groups.find((g) => g.group === group)!;

  beforeAll(async () => {
    bed = await openTestbed({ worker: false });
    ({ database, api, admin } = bed);
    projectId = (await database.db.project.create({ data: { name: 'byol' } })).id;
  });
  afterAll(async () => {
    await bed?.close();
  });

  describe.skipIf(!HAVE_DATA)(`MT-Bench human judgments (skipped: ${DATA} is absent)`, () => {
    it('imports the real votes and reproduces Table 5: GPT-4 pair vs human and human vs human, S1 and S2, both turns', async () => {
      for (const file of ['human.jsonl', 'gpt4_pair.jsonl']) {
        const result = await importLabels({ d: 'mt-bench', k: 'pairwise', preset: 'mt-bench', j: readFileSync(path.join(DATA, file), 'utf8') });
        expect(result.errors).toBeUndefined();
        expect(result.data!.importLabels).toMatchObject({ rejected: 0, imported: file === 'human.jsonl' ? 3355 : 2400 });
      }
      const experts = { kind: 'human', raterIdPattern: '^expert_' };
      const gpt4 = { kind: 'judge', raterIdPattern: '^gpt4_pair$' };
      for (const setup of ['S1', 'S2'] as const) {
        const judgeHuman = (await agreement({ d: 'mt-bench', k: 'pairwise', a: gpt4, b: experts, s: setup })).data!.importedAgreement;
        const humanHuman = (await agreement({ d: 'mt-bench', k: 'pairwise', a: experts, b: experts, s: setup })).data!.importedAgreement;
        expect(judgeHuman).toMatchObject({ kind: 'pairwise', setup, rows: 3355 + 2400, groupARows: 2400 });
        expect(judgeHuman.groups.map((g: { group: string }) => g.group)).toEqual(['1', '2']);
        for (const turn of ['1', '2'] as const) {
          const [pct, n] = TABLE_5[turn].gpt4VsHuman[setup];
          expect(inGroup(judgeHuman, turn).pairwise.n).toBe(n);
          expect(Math.round(inGroup(judgeHuman, turn).pairwise.agreement * 100)).toBe(pct);
          expect(inGroup(judgeHuman, turn).pairwise.cohenKappa).toEqual(expect.any(Number));
          const [hpct, hn] = TABLE_5[turn].humanVsHuman[setup];
          expect(inGroup(humanHuman, turn).pairwise.n).toBe(hn);
          expect(Math.round(inGroup(humanHuman, turn).pairwise.agreement * 100)).toBe(hpct);
        }
        // Overall is both turns together (votes of different turns are never compared).
        const [n1, n2] = [TABLE_5['1'].gpt4VsHuman[setup][1], TABLE_5['2'].gpt4VsHuman[setup][1]];
        expect(judgeHuman.overall).toMatchObject({ group: null, pointwise: null, pairwise: { n: n1 + n2 } });
        // Position bias from GPT-4's "tie (inconsistent)" marks: 380 of 2400 votes.
        expect(judgeHuman.positionBiasRate).toMatchObject({ inconsistent: 380, n: 2400 });
        expect(humanHuman.positionBiasRate).toMatchObject({ n: 0, rate: null });
      }
      // Re-import is idempotent.
      const again = await importLabels({ d: 'mt-bench', k: 'pairwise', preset: 'mt-bench', j: readFileSync(path.join(DATA, 'gpt4_pair.jsonl'), 'utf8') });
      expect(again.data!.importLabels).toMatchObject({ received: 2400, imported: 0, updated: 0, unchanged: 2400 });
      expect(await database.db.importedJudgment.count({ where: { dataset: 'mt-bench' } })).toBe(3355 + 2400);
    });
  });

  it('reports bad rows by line, keeps the valid ones, maps custom shapes, and scores pointwise agreement', async () => {
    const lines = [
      { item: 'q1', who: 'ann', kind: 'human', verdict: 'pass', correct: 4 },
      { item: 'q1', who: 'gpt', kind: 'judge', verdict: 'pass', correct: 4 },
      'not json',
      { item: 'q2', who: 'ann', kind: 'human', verdict: 'maybe' },
      { item: 'q2', who: 'ann', kind: 'human', verdict: 'fail', correct: 9 },
      { who: 'gpt', kind: 'judge', verdict: 'fail' },
      { item: 'q2', who: 'ann', kind: 'human', verdict: 'fail', correct: 1 },
      { item: 'q2', who: 'gpt', kind: 'judge', verdict: 'pass', correct: 3 },
    ].map((l) => (typeof l === 'string' ? l : JSON.stringify(l))).join('\n');
    const mapping = { itemId: 'item', raterId: 'who', raterKind: { field: 'kind', humanPattern: '^human$', judgePattern: '^judge$' }, scores: { correctness: 'correct' }, verdict: { field: 'verdict', pass: ['pass'], fail: ['fail'] } };
    const result = (await importLabels({ d: 'mine', k: 'pointwise', m: mapping, j: lines })).data!.importLabels;
    expect(result).toMatchObject({ received: 8, imported: 4, rejected: 4 });
    expect(result.errors.map((e: { line: number }) => e.line)).toEqual([3, 4, 5, 6]);
    expect(result.errors[1].reason).toMatch(/"maybe" is neither pass nor fail/);
    expect(result.errors[2].reason).toMatch(/whole number from 1 to 5/);
    expect(result.errors[3].reason).toMatch(/missing field `item`/);
    const report = (await agreement({ d: 'mine', k: 'pointwise', a: { kind: 'judge' }, b: { kind: 'human' } })).data!.importedAgreement;
    expect(report).toMatchObject({ kind: 'pointwise', setup: null, rows: 4, groupARows: 2, groupBRows: 2, positionBiasRate: null, groups: [] });
    const overall = report.overall.pointwise;
    expect(overall.n).toBe(2);
    expect(overall.verdict.agreement).toMatchObject({ value: 0.5, n: 2, ci: { low: expect.any(Number), high: expect.any(Number) } });
    // Group B (human) is the reference: its one failure (q2) the judge passed, so TPR 0 of 1.
    expect(overall.verdict.confusion).toEqual({ tp: 0, fn: 1, fp: 0, tn: 1 });
    expect(overall.verdict.tpr).toMatchObject({ value: 0, n: 1 });
    expect(overall.flags).toEqual(['low_tpr']);
    expect(overall.dimensions.map((d: { dimension: string }) => d.dimension)).toEqual(['correctness', 'relevance', 'clarity', 'calibration', 'length']);
    expect(overall.dimensions[0]).toMatchObject({ dimension: 'correctness', exact: { value: 0.5, n: 2 }, withinOne: { value: 0.5, n: 2 } });
    expect(overall.dimensions[1].exact).toMatchObject({ value: null, n: 0 });
  });

  it('streams JSONL to POST /v1/labels (gzip too) with the same summary, and refuses bad requests', async () => {
    const post = (query: Record<string, string>, body: string | Uint8Array<ArrayBuffer>, headers: Record<string, string> = {}, key: string | null = admin) =>
      fetch(`${api.baseUrl}/v1/labels?${new URLSearchParams({ projectId, ...query })}`, { method: 'POST', headers: { 'content-type': 'application/x-ndjson', ...(key ? { authorization: `Bearer ${key}` } : {}), ...headers }, body });
    const rows = [
      { itemId: 'q1', answerA: 'm1', answerB: 'm2', raterId: 'r1', raterKind: 'human', winner: 'A', group: 't1' },
      { itemId: 'q1', answerA: 'm2', answerB: 'm1', raterId: 'j1', raterKind: 'judge', winner: 'B', group: 't1' },
      { itemId: 'q2', answerA: 'm1', answerB: 'm2', raterId: 'r1', raterKind: 'human', winner: 'maybe' },
    ].map((r) => JSON.stringify(r)).join('\n');
    const plain = await post({ dataset: 'stream', kind: 'pairwise' }, rows);
    expect(plain.status).toBe(200);
    expect(await plain.json()).toMatchObject({ received: 3, imported: 2, rejected: 1, errorsTruncated: false, errors: [{ line: 3, reason: expect.stringMatching(/"maybe" is not a known winner/) }] });
    const gzipped = await post({ dataset: 'stream', kind: 'pairwise', preset: 'default' }, new Uint8Array(gzipSync(rows)), { 'content-encoding': 'gzip' });
    expect(await gzipped.json()).toMatchObject({ received: 3, imported: 0, unchanged: 2, rejected: 1 });
    const mapping = JSON.stringify({ itemId: 'itemId', raterId: 'raterId', raterKind: 'human', answerA: 'answerA', answerB: 'answerB', winner: { field: 'winner', A: ['A'], B: ['B'] } });
    expect(await (await post({ dataset: 'stream-mapped', kind: 'pairwise', mapping }, rows)).json()).toMatchObject({ imported: 2, rejected: 1 });

    expect((await post({ dataset: 'stream', kind: 'pairwise' }, rows, {}, null)).status).toBe(401);
    const badMapping = await post({ dataset: 'stream', kind: 'pairwise', mapping: '{not json' }, rows);
    expect(badMapping.status).toBe(400);
    expect((await badMapping.json()).error.message).toMatch(/mapping is not valid JSON/);
    expect((await post({ dataset: 'stream', kind: 'ranking' }, rows)).status).toBe(400);
    expect((await post({ kind: 'pairwise' }, rows)).status).toBe(400);
    expect((await post({ dataset: 'stream', kind: 'pairwise' }, rows, { 'content-type': 'application/xml' })).status).toBe(415);
    expect((await post({ dataset: 'stream', kind: 'pairwise' }, new TextEncoder().encode('not gzip at all'), { 'content-encoding': 'gzip' })).status).toBe(400);
    const viewer = (await createApiKey(database.db, { name: 'stream-viewer', role: 'viewer', projectId })).plain;
    expect((await post({ dataset: 'stream', kind: 'pairwise' }, rows, {}, viewer)).status).toBe(403);
    expect(await database.db.importedJudgment.count({ where: { projectId, dataset: 'stream' } })).toBe(2);
  });

  it('imports from a loopback URL only, and keeps keys and projects apart', async () => {
    const body = JSON.stringify({ itemId: 'x', answerA: 'm1', answerB: 'm2', raterId: 'r1', raterKind: 'human', winner: 'A' });
    const server = createServer((_, res) => res.end(body));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/labels.jsonl`;
    // An ingest key may send rows, but not make the service fetch a URL (admins only).
    const ingest = (await createApiKey(database.db, { name: 'i', role: 'ingest', projectId })).plain;
    expect((await importLabels({ d: 'url', k: 'pairwise', u: url }, ingest)).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect(await database.db.importedJudgment.count({ where: { dataset: 'url' } })).toBe(0);
    const fromUrl = await importLabels({ d: 'url', k: 'pairwise', u: url });
    server.close();
    expect(fromUrl.data!.importLabels).toMatchObject({ imported: 1 });
    expect((await importLabels({ d: 'url-text', k: 'pairwise', j: body }, ingest)).data!.importLabels).toMatchObject({ imported: 1 });
    const remote = await importLabels({ d: 'url', k: 'pairwise', u: 'http://10.0.0.5/labels.jsonl' });
    expect(remote.errors?.[0]?.message).toMatch(/only http\(s\) URLs on loopback/);
    const viewer = (await createApiKey(database.db, { name: 'v', role: 'viewer', projectId })).plain;
    expect((await importLabels({ d: 'url', k: 'pairwise', j: body }, viewer)).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const other = (await database.db.project.create({ data: { name: 'other-byol' } })).id;
    const otherKey = (await createApiKey(database.db, { name: 'o', role: 'admin', projectId: other })).plain;
    const cross = await api.graphql('query($p: ID!) { importedAgreement(projectId: $p, dataset: "url", kind: "pairwise", groupA: { kind: human }, groupB: { kind: human }) { rows } }', { p: projectId }, otherKey);
    expect(cross.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });
});
