// A release's supplied answers scored by the active judge on the current production and
// regression set versions (reported apart), and shadow evaluation of candidates against
// production answers by a pairwise judge in both orders, through the real OpenAI and
// Anthropic SDKs against the local simulated provider, on the real Temporal dev server.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createActivities } from '../../activities';
import { createApiKey } from '../../services/api-keys';
import { ingestParsedTraces, validateTraceItems } from '../../services/ingestion/ingest-traces';
import type { OracleEntry, SimulatedProvider } from '../../simulator/llm-provider';
import type { TestApi } from '../helpers/api';
import type { TestDatabase } from '../helpers/database';
import { syntheticTraces } from '../helpers/synthetic';
import { openTestbed, type SimulatedTestbed, type Testbed } from '../helpers/testbed';

const PERIOD = { periodStart: '2026-10-01T00:00:00Z', periodEnd: '2026-11-01T00:00:00Z' };
const GOOD = { correctness: 5, relevance: 5, clarity: 5, calibration: 5, length: 5 };
const FINE = { correctness: 5, relevance: 4, clarity: 4, calibration: 4, length: 4 };
const MIDDLING = { correctness: 3, relevance: 3, clarity: 3, calibration: 3, length: 3 };
const BAD = { correctness: 1, relevance: 3, clarity: 3, calibration: 2, length: 3 };
const BAD_WORST = { correctness: 1, relevance: 1, clarity: 1, calibration: 1, length: 1 };

const oracle = (output: string, scores: OracleEntry['scores'], verdict: 'pass' | 'fail'): OracleEntry => ({ output, scores, verdict });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('release evaluation and shadow evaluation', () => {
  let database: TestDatabase;
  let api: TestApi;
  let sim: SimulatedProvider;
  let admin: string;
  let gql: Testbed['gql'];
  let bed: SimulatedTestbed;
  let projectId: string;
  let runId: string;
  let productionCases: { id: string; sourceTraceId: string | null }[];
  let regressionCases: { id: string; sourceTraceId: string | null }[];

  const postJsonl = async (path: string, release: string, lines: unknown[]) => {
    const response = await fetch(`${api.baseUrl}${path}?projectId=${projectId}&release=${encodeURIComponent(release)}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/x-ndjson' },
      body: lines.map((l) => (typeof l === 'string' ? l : JSON.stringify(l))).join('\n'),
    });
    return { status: response.status, body: (await response.json()) as Record<string, any> };
  };

  const EVALUATION_FIELDS = `id release status judgeVersionId failureCause
    production { evalSetVersionId cases answers { fromTraces supplied missing } judged judgeFailures reading
                 scores { correctness { value n ci { low high } } passRate { value n ci { low high } } }
                 bySlice { slice cases judged scores { passRate { value n } } } }
    regression { evalSetVersionId cases answers { fromTraces supplied missing } judged judgeFailures reading scores { passRate { value n } } bySlice { slice judged } }`;
  async function evaluate(release: string) {
    const started = (await gql(`mutation($p: ID!, $r: String!) { evaluateRelease(projectId: $p, release: $r) { id status } }`, { p: projectId, r: release })).evaluateRelease;
    expect(started.status).toBe('running');
    for (let i = 0; ; i += 1) {
      const state = (await gql(`query($p: ID!, $r: String!, $id: ID) { releaseEvaluation(projectId: $p, release: $r, id: $id) { ${EVALUATION_FIELDS} } }`, { p: projectId, r: release, id: started.id })).releaseEvaluation;
      if (state.status !== 'running') return state;
      if (i > 600) throw new Error('release evaluation stuck');
      await sleep(100);
    }
  }

  const SHADOW_FIELDS = `id candidate status judgeVersionId pairCount judgedPairs incompletePairs failureCause
    overall { pairs wins ties losses inconsistent verdict reading winRate { value n ci { low high } } decisiveWinShare { value ci { low high } } flipRate { value n } }
    bySlice { slice result { pairs wins losses verdict } }
    byProductionRelease { release result { pairs } }
    positionBias { flipRate { value n ci { low high } } flipped reversed firstPositionShare { value n } reading }`;
  async function shadow(candidate: string) {
    const started = (await gql(`mutation($p: ID!, $c: String!) { startShadowEvaluation(projectId: $p, candidate: $c) { id status } }`, { p: projectId, c: candidate })).startShadowEvaluation;
    for (let i = 0; ; i += 1) {
      const state = (await gql(`query($p: ID!, $c: String!, $id: ID) { shadowEvaluation(projectId: $p, candidate: $c, id: $id) { ${SHADOW_FIELDS} } }`, { p: projectId, c: candidate, id: started.id })).shadowEvaluation;
      if (state.status !== 'running') return state;
      if (i > 600) throw new Error('shadow evaluation stuck');
      await sleep(100);
    }
  }

  beforeAll(async () => {
    bed = await openTestbed({ simulator: { latencyMs: 2, disagreement: 0, seed: 'release-eval-test' } });
    ({ database, api, sim, admin, gql } = bed);

    // A labelled run: reviewers fail answers to thumbs-down or rephrased traces (they become
    // the regression set) and pass the rest; the simulator's oracle knows the same truth.
    projectId = (await database.db.project.create({
      data: { name: 'release-eval', samplingPolicy: { sampleSize: 30, sliceFloor: 1, seed: 'release-eval-seed' }, labelingSettings: { doubleLabelShare: 0, minDoubleLabelled: 0 } },
    })).id;
    await ingestParsedTraces(database.db, projectId, validateTraceItems(syntheticTraces(300, { prefix: 're-' })));
    const reviewer = (await createApiKey(database.db, { name: 'reviewer', role: 'reviewer', projectId })).plain;
    runId = (await gql('mutation($p: ID!, $s: DateTime, $e: DateTime) { startFlywheelRun(projectId: $p, periodStart: $s, periodEnd: $e) { id } }', { p: projectId, s: PERIOD.periodStart, e: PERIOD.periodEnd })).startFlywheelRun.id;
    for (let i = 0; !(await database.db.labelTask.count({ where: { runId } })); i += 1) {
      if (i > 300) throw new Error('no tasks');
      await sleep(100);
    }
    const tasks = await database.db.labelTask.findMany({ where: { runId }, include: { sampleItem: { include: { trace: true } } } });
    const truth = tasks.map((t) => {
      const failing = t.sampleItem.trace.thumb === 'down' || t.sampleItem.trace.negativeSignals.includes('rephrase');
      return { task: t, output: t.sampleItem.trace.output, scores: failing ? BAD : FINE, verdict: failing ? ('fail' as const) : ('pass' as const) };
    });
    sim.setOracle(truth.map(({ output, scores, verdict }) => oracle(output, scores, verdict)));
    for (const { task, scores, verdict } of truth) {
      const label = { ...scores, verdict, ...(verdict === 'fail' ? { failureCategory: 'hallucination' } : {}) };
      const result = await api.graphql('mutation($t: ID!, $l: LabelInput!) { submitLabel(taskId: $t, label: $l) { status } }', { t: task.id, l: label }, reviewer);
      expect(result.errors).toBeUndefined();
    }
    for (let i = 0; ; i += 1) {
      const state = (await gql('query($id: ID!) { flywheelRun(id: $id) { status stage failureCause } }', { id: runId })).flywheelRun;
      if (state.status !== 'running') {
        expect(state, JSON.stringify(state)).toMatchObject({ status: 'completed' });
        break;
      }
      if (i > 900) throw new Error(`run stuck at ${state.stage}`);
      await sleep(100);
    }
    const latestCases = async (kind: 'production' | 'regression') => {
      const version = await database.db.evalSetVersion.findFirstOrThrow({ where: { evalSet: { projectId, kind } }, orderBy: { version: 'desc' } });
      return (await database.db.evalSetVersionCase.findMany({ where: { versionId: version.id }, include: { evalCase: true }, orderBy: { caseId: 'asc' } })).map((r) => r.evalCase);
    };
    productionCases = await latestCases('production');
    regressionCases = await latestCases('regression');
  });
  afterAll(async () => {
    await bed?.close();
  });

  it("carries the regression set's offline scores in the run's correlation report, apart from production", async () => {
    expect(regressionCases.length).toBeGreaterThan(1);
    const report = (await gql('query($p: ID!, $r: ID) { correlationReport(projectId: $p, runId: $r) { report } }', { p: projectId, r: runId })).correlationReport.report;
    const production = Object.fromEntries(report.releases.map((r: any) => [r.release, r]));
    const regression = Object.fromEntries(report.regression.releases.map((r: any) => [r.release, r]));
    expect(Object.keys(regression).sort()).toEqual(['v1', 'v2']);
    const regressionJudged = report.regression.releases.reduce((sum: number, r: any) => sum + r.judgedCases, 0);
    expect(regressionJudged).toBe(regressionCases.length);
    // Reviewers failed every regression case and the judge agrees with them; production mixes passes in.
    for (const release of ['v1', 'v2']) {
      if (regression[release].judgedCases > 0) expect(regression[release].offline.pass_rate.value).toBe(0);
      expect(production[release].judgedCases).toBeGreaterThan(regression[release].judgedCases);
    }
    expect(report.regression.cells.length).toBeGreaterThan(0);
  });

  it('judges supplied answers of a candidate on both sets and reports production and regression separately', async () => {
    // Candidate v3 has no traces: every answer is supplied. Good answers on production (but two
    // cases left unanswered); on regression it fixes the first half of the known failures.
    const answered = productionCases.slice(2);
    const fixes = regressionCases.filter((_, i) => i % 2 === 0);
    sim.addToOracle([
      ...answered.map((c) => oracle(`v3 answers case ${c.id}`, GOOD, 'pass')),
      ...regressionCases.map((c, i) => (i % 2 === 0 ? oracle(`v3 answers case ${c.id}`, GOOD, 'pass') : oracle(`v3 answers case ${c.id}`, BAD, 'fail'))),
    ]);
    const upload = await postJsonl('/v1/releases/answers', 'v3', answered.map((c) => ({ caseId: c.id, output: `v3 answers case ${c.id}` })));
    expect(upload.status).toBe(200);
    expect(upload.body).toMatchObject({ received: answered.length, stored: answered.length, updated: 0, rejected: 0 });
    const viaGraphql = (await gql('mutation($p: ID!, $a: [CaseAnswerInput!]!) { supplyReleaseAnswers(projectId: $p, release: "v3", answers: $a) { received stored unchanged rejected } }', {
      p: projectId,
      a: regressionCases.map((c) => ({ caseId: c.id, output: `v3 answers case ${c.id}` })),
    })).supplyReleaseAnswers;
    expect(viaGraphql).toMatchObject({ received: regressionCases.length, stored: regressionCases.length, rejected: 0 });

    const caseScoresBefore = await database.db.judgeScore.count({ where: { evalCaseId: { not: null } } });
    const v3 = await evaluate('v3');
    expect(v3.status, v3.failureCause).toBe('completed');
    expect(v3.production).toMatchObject({ cases: productionCases.length, answers: { fromTraces: 0, supplied: answered.length, missing: 2 }, judged: answered.length, judgeFailures: 0 });
    expect(v3.production.scores.passRate).toMatchObject({ value: 1, n: answered.length });
    expect(v3.production.scores.correctness.value).toBe(5);
    expect(v3.production.reading).toMatch(/2 without an answer/);
    expect(v3.production.bySlice.reduce((sum: number, s: any) => sum + s.cases, 0)).toBe(productionCases.length);
    expect(v3.regression).toMatchObject({ cases: regressionCases.length, answers: { supplied: regressionCases.length, missing: 0 }, judged: regressionCases.length });
    expect(v3.regression.scores.passRate.value).toBeCloseTo(fixes.length / regressionCases.length, 12);
    expect(v3.regression.reading).toMatch(/of known failures now passed/);
    expect(v3.production.evalSetVersionId).not.toBe(v3.regression.evalSetVersionId);

    // A supplied answer is its own subject: the cases' own scores are untouched, agreement and correlation never see it.
    const supplied = await database.db.judgeScore.findMany({ where: { judgeVersionId: v3.judgeVersionId, subjectKey: { startsWith: 'answer:' } } });
    expect(supplied).toHaveLength(answered.length + regressionCases.length);
    expect(supplied.every((s) => s.evalCaseId === null)).toBe(true);
    expect(await database.db.judgeScore.count({ where: { evalCaseId: { not: null } } })).toBe(caseScoresBefore);
  });

  it("scores an existing release's own production answers where it served the case's source trace", async () => {
    const v1 = await evaluate('v1');
    expect(v1.status).toBe('completed');
    const sources = await database.db.trace.findMany({ where: { id: { in: productionCases.map((c) => c.sourceTraceId!) } }, select: { release: { select: { name: true } } } });
    const servedByV1 = sources.filter((t) => t.release?.name === 'v1').length;
    expect(servedByV1).toBeGreaterThan(0);
    // No answers were supplied for v1: what it served is judged, the rest has no answer.
    expect(v1.production.answers).toEqual({ fromTraces: servedByV1, supplied: 0, missing: productionCases.length - servedByV1 });
    // The same judge on the same answers: the correlation report's offline score of v1.
    const report = (await gql('query($p: ID!, $r: ID) { correlationReport(projectId: $p, runId: $r) { report } }', { p: projectId, r: runId })).correlationReport.report;
    const inReport = report.releases.find((r: any) => r.release === 'v1').offline.pass_rate;
    expect(v1.production.scores.passRate).toMatchObject({ value: inReport.value, n: inReport.n });
  });

  it('is idempotent: a re-send stores nothing, a changed answer is updated and judged afresh, retried steps add nothing', async () => {
    const target = productionCases[5]!;
    const lines = productionCases.slice(2).map((c) => ({ caseId: c.id, output: `v3 answers case ${c.id}` }));
    const again = await postJsonl('/v1/releases/answers', 'v3', lines);
    expect(again.body).toMatchObject({ received: lines.length, stored: 0, updated: 0, unchanged: lines.length });
    const changedLines = lines.map((l) => (l.caseId === target.id ? { ...l, output: `v3 answers case ${target.id}, revised` } : l));
    const changed = await postJsonl('/v1/releases/answers', 'v3', changedLines);
    expect(changed.body).toMatchObject({ stored: 0, updated: 1, unchanged: lines.length - 1, updatedAnswers: [{ line: 4, key: target.id }] });
    expect(await database.db.releaseCaseAnswer.count({ where: { release: { name: 'v3', projectId } } })).toBe(lines.length + regressionCases.length);

    const before = await database.db.judgeScore.count({ where: { subjectKey: { startsWith: 'answer:' } } });
    const v3 = await evaluate('v3');
    expect(v3.status).toBe('completed');
    // Only the revised answer is new to the judge; the old score stays with its own subject.
    expect(await database.db.judgeScore.count({ where: { subjectKey: { startsWith: 'answer:' } } })).toBe(before + 1);

    // Retried activities find their work done.
    const activities = createActivities(database.db);
    const items = await database.db.releaseEvaluationItem.count({ where: { evaluationId: v3.id } });
    await activities.prepareReleaseEvaluation({ evaluationId: v3.id });
    expect(await database.db.releaseEvaluationItem.count({ where: { evaluationId: v3.id } })).toBe(items);
    expect(await activities.judgeReleaseEvaluationBatch({ evaluationId: v3.id, limit: 100 })).toEqual({ scored: 0, failed: 0, remaining: 0 });
    const report = await activities.completeReleaseEvaluation({ evaluationId: v3.id });
    expect(report.production.judged).toBe(v3.production.judged);
  });

  describe('shadow evaluation', () => {
    let sample: { id: string; externalId: string; output: string }[];

    beforeAll(async () => {
      sample = await database.db.trace.findMany({ where: { projectId }, orderBy: { externalId: 'asc' }, take: 16, select: { id: true, externalId: true, output: true } });
      sim.addToOracle([
        ...sample.map((t) => oracle(t.output, MIDDLING, 'pass')),
        ...sample.map((t) => oracle(`a better answer for ${t.externalId}`, GOOD, 'pass')),
        ...sample.map((t) => oracle(`a worse answer for ${t.externalId}`, BAD_WORST, 'fail')),
      ]);
      const better = (await gql('mutation($p: ID!, $a: [ShadowAnswerInput!]!) { supplyShadowAnswers(projectId: $p, candidate: "cand-better", answers: $a) { stored rejected } }', {
        p: projectId,
        a: sample.map((t) => ({ traceId: t.externalId, output: `a better answer for ${t.externalId}` })),
      })).supplyShadowAnswers;
      expect(better).toEqual({ stored: sample.length, rejected: 0 });
      const worse = await postJsonl('/v1/releases/shadow-answers', 'cand-worse', sample.map((t) => ({ traceId: t.externalId, output: `a worse answer for ${t.externalId}` })));
      expect(worse.body).toMatchObject({ stored: sample.length, rejected: 0 });
    });

    it('a better candidate wins and a worse one loses, every pair judged in both orders', async () => {
      sim.configure({ positionBias: 0 });
      const calls = sim.stats().pairwiseJudgments;
      const better = await shadow('cand-better');
      expect(better.status, better.failureCause).toBe('completed');
      expect(better).toMatchObject({ pairCount: sample.length, judgedPairs: sample.length, incompletePairs: 0 });
      expect(better.overall).toMatchObject({ pairs: sample.length, wins: sample.length, ties: 0, losses: 0, inconsistent: 0, verdict: 'candidate_better' });
      expect(better.overall.winRate.value).toBe(1);
      expect(better.overall.decisiveWinShare.ci.low).toBeGreaterThan(0.5);
      expect(better.positionBias).toMatchObject({ flipped: 0, flipRate: { value: 0, n: sample.length } });
      expect(better.bySlice.reduce((sum: number, s: any) => sum + s.result.pairs, 0)).toBe(sample.length);
      expect(better.byProductionRelease.every((r: any) => ['v1', 'v2'].includes(r.release))).toBe(true);
      expect(better.byProductionRelease.reduce((sum: number, r: any) => sum + r.result.pairs, 0)).toBe(sample.length);
      expect(sim.stats().pairwiseJudgments - calls).toBe(2 * sample.length);
      const rows = await database.db.shadowComparison.groupBy({ by: ['candidatePosition'], where: { evaluationId: better.id }, _count: { _all: true } });
      expect(rows.map((r) => [r.candidatePosition, r._count._all]).sort()).toEqual([['A', sample.length], ['B', sample.length]]);

      const worse = await shadow('cand-worse');
      expect(worse.overall).toMatchObject({ wins: 0, losses: sample.length, verdict: 'candidate_worse' });
      expect(worse.overall.reading).toMatch(/^candidate worse: 0 wins, 0 ties, 16 losses in 16 pairs/);

      // Retried steps add no comparison and change no figure.
      const activities = createActivities(database.db);
      expect(await activities.prepareShadowEvaluation({ evaluationId: better.id })).toMatchObject({ pairs: sample.length });
      expect(await activities.judgeShadowBatch({ evaluationId: better.id, limit: 100 })).toEqual({ judged: 0, failed: 0, remaining: 0 });
      expect(await database.db.shadowComparison.count({ where: { evaluationId: better.id } })).toBe(2 * sample.length);
      expect((await activities.completeShadowEvaluation({ evaluationId: better.id })).overall.wins).toBe(sample.length);
    });

    it('with a position-biased judge reports a high flip rate and does not count flipped pairs as wins', async () => {
      sim.configure({ positionBias: 0.9 });
      try {
        const biased = await shadow('cand-better');
        expect(biased.status).toBe('completed');
        expect(biased.positionBias.flipRate.value).toBeGreaterThan(0.6);
        expect(biased.positionBias.flipped).toBe(biased.overall.inconsistent);
        expect(biased.positionBias.reversed).toBe(biased.positionBias.flipped);
        expect(biased.positionBias.firstPositionShare.value).toBeGreaterThan(0.8);
        expect(biased.positionBias.reading).toMatch(/flipped with the order in \d+ of 16 pairs/);
        // Each flipped pair is a tie: wins are only the pairs both orders gave to the candidate.
        expect(biased.overall.wins).toBe(sample.length - biased.overall.inconsistent);
        expect(biased.overall.ties).toBe(biased.overall.inconsistent);
        expect(biased.overall.losses).toBe(0);
        expect(biased.overall.wins).toBeLessThan(sample.length / 2);
      } finally {
        sim.configure({ positionBias: 0 });
      }
    });

    it('runs through the Anthropic SDK when the active judge is an Anthropic model', async () => {
      const created = (await gql(`mutation($p: ID!, $i: JudgeVersionInput!) { createJudgeVersion(projectId: $p, input: $i) { id } }`, {
        p: projectId,
        i: { provider: 'anthropic', model: 'claude-haiku-4-5', baseUrl: sim.url, reason: 'pairwise through the Anthropic SDK' },
      })).createJudgeVersion;
      await gql('mutation($id: ID!) { activateJudgeVersion(id: $id) { status } }', { id: created.id });
      const before = sim.stats().byApi.anthropic;
      const result = await shadow('cand-worse');
      expect(result.judgeVersionId).toBe(created.id);
      expect(result.overall).toMatchObject({ losses: sample.length, verdict: 'candidate_worse' });
      expect(sim.stats().byApi.anthropic - before).toBe(2 * sample.length);
    });

    it('keeps candidate answers apart from traces: production data and its reads are unchanged', async () => {
      const traces = await database.db.trace.findMany({ where: { id: { in: sample.map((t) => t.id) } }, select: { id: true, output: true } });
      expect(Object.fromEntries(traces.map((t) => [t.id, t.output]))).toEqual(Object.fromEntries(sample.map((t) => [t.id, t.output])));
      expect(await database.db.trace.count({ where: { projectId } })).toBe(300);
      const page = (await gql('query($p: ID!) { traces(projectId: $p, filter: { text: "better answer" }) { totalCount } }', { p: projectId })).traces;
      expect(page.totalCount).toBe(0);
    });
  });
});
