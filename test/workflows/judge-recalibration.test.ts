// The judge scores a run's new cases through the real OpenAI SDK against the local
// simulated provider; agreement under 80% starts recalibration, which promotes a better
// prompt only when one beats the active judge on validation cases it did not learn from.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey } from '../../services/api-keys';
import { ingestParsedTraces, validateTraceItems } from '../../services/ingestion/ingest-traces';
import type { SimulatedProvider } from '../../simulator/llm-provider';
import type { TestApi } from '../helpers/api';
import type { TestDatabase } from '../helpers/database';
import { syntheticTraces } from '../helpers/synthetic';
import { openTestbed, type SimulatedTestbed, type Testbed } from '../helpers/testbed';

const PERIOD = { periodStart: '2026-10-01T00:00:00Z', periodEnd: '2026-11-01T00:00:00Z' };

describe('LLM judge, agreement and recalibration', () => {
  let database: TestDatabase;
  let api: TestApi;
  let sim: SimulatedProvider;
  let admin: string;
  let gql: Testbed['gql'];
  let bed: SimulatedTestbed;

  beforeAll(async () => {
    bed = await openTestbed({ simulator: { latencyMs: 5, disagreement: 0, seed: 'judge-test' } });
    ({ database, api, sim, admin, gql } = bed);
  });
  afterAll(async () => {
    await bed?.close();
  });

  /** Reviewers fail answers to thumbs-down traces (hallucination) and pass the rest; the simulator's oracle knows the same truth. */
  async function labelledRun(name: string, sampleSize: number) {
    const projectId = (await database.db.project.create({
      data: { name, samplingPolicy: { sampleSize, sliceFloor: 1, seed: `${name}-seed` }, labelingSettings: { doubleLabelShare: 0, minDoubleLabelled: 0 } },
    })).id;
    await ingestParsedTraces(database.db, projectId, validateTraceItems(syntheticTraces(400, { prefix: `${name}-` })));
    const reviewer = (await createApiKey(database.db, { name: 'reviewer', role: 'reviewer', projectId })).plain;
    const run = (await gql('mutation($p: ID!, $s: DateTime, $e: DateTime) { startFlywheelRun(projectId: $p, periodStart: $s, periodEnd: $e) { id } }', { p: projectId, s: PERIOD.periodStart, e: PERIOD.periodEnd })).startFlywheelRun;
    for (let i = 0; !(await database.db.labelTask.count({ where: { runId: run.id } })); i += 1) {
      if (i > 300) throw new Error('no tasks');
      await new Promise((r) => setTimeout(r, 100));
    }
    const tasks = await database.db.labelTask.findMany({ where: { runId: run.id }, include: { sampleItem: { include: { trace: true } } } });
    const truth = tasks.map((t) => {
      const failing = t.sampleItem.trace.thumb === 'down' || t.sampleItem.trace.negativeSignals.includes('rephrase');
      const scores = failing ? { correctness: 1, relevance: 3, clarity: 3, calibration: 2, length: 3 } : { correctness: 5, relevance: 4, clarity: 4, calibration: 4, length: 4 };
      return { task: t, output: t.sampleItem.trace.output, scores, verdict: failing ? ('fail' as const) : ('pass' as const) };
    });
    sim.setOracle(truth.map(({ output, scores, verdict }) => ({ output, scores, verdict })));
    for (const { task, scores, verdict } of truth) {
      const label = { ...scores, verdict, ...(verdict === 'fail' ? { failureCategory: 'hallucination', notes: 'states a refund rule that does not exist' } : {}) };
      const result = await api.graphql('mutation($t: ID!, $l: LabelInput!) { submitLabel(taskId: $t, label: $l) { status } }', { t: task.id, l: label }, reviewer);
      expect(result.errors).toBeUndefined();
    }
    for (let i = 0; ; i += 1) {
      const state = (await gql('query($id: ID!) { flywheelRun(id: $id) { status stage failureCause needsAttention judging recalibration { decision reason promotedVersionId candidates split } } }', { id: run.id })).flywheelRun;
      if (state.status !== 'running') return { projectId, runId: run.id, state };
      if (i > 600) throw new Error(`run stuck at ${state.stage}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  it('judges the new cases through the real SDK and stores agreement; a faithful judge needs no recalibration', async () => {
    sim.configure({ disagreement: 0, fewShotHelps: false, errorRate: 0, malformedRate: 0 });
    const { projectId, runId, state } = await labelledRun('faithful', 20);
    expect(state.status).toBe('completed');
    expect(state.judging).toMatchObject({ judgeVersion: 1, failed: 0, primary: { metric: 'verdict_agreement', value: 1, below: false } });
    expect(state.judging.scored).toBe(state.judging.cases);
    expect(state.recalibration).toBeNull();
    const versions = (await gql('query($p: ID!) { judgeVersions(projectId: $p) { version status provider model reason agreementReports { scope primaryValue report } } }', { p: projectId })).judgeVersions;
    expect(versions).toHaveLength(1);
    expect(versions[0]).toMatchObject({ status: 'active', provider: 'simulated', model: 'sim-judge-1', reason: 'default judge' });
    const report = versions[0].agreementReports[0].report;
    expect(report.judgeHuman.overall.verdict.agreement).toMatchObject({ value: 1, n: state.judging.cases });
    expect(report.judgeHuman.overall.dimensions.correctness.exact.value).toBe(1);
    expect(Object.keys(report.judgeHuman.bySlice).length).toBeGreaterThan(0);
    expect(report.verbosity.reading).toEqual(expect.any(String));
    const runCases = await database.db.evalCase.findMany({ where: { sourceRunId: runId, evalSet: { kind: 'production' } }, select: { id: true } });
    const scores = await database.db.judgeScore.findMany({ where: { evalCaseId: { in: runCases.map((c) => c.id) } } });
    expect(scores).toHaveLength(runCases.length);
    expect(scores.every((s) => s.status === 'scored' && s.latencyMs >= 0 && s.inputTokens! > 0)).toBe(true);
    expect(sim.stats().byApi.openai).toBeGreaterThan(0);

    // The run stores its eval-to-production correlation: two releases are too few to tell.
    const correlation = (await gql('query($p: ID!, $r: ID) { correlationReport(projectId: $p, runId: $r) { runId driftWarning report } correlationHistory(projectId: $p) { runId } }', { p: projectId, r: runId }));
    const correlationReport = correlation.correlationReport.report;
    expect(correlationReport.releases.map((r: { release: string }) => r.release).sort()).toEqual(['v1', 'v2']);
    const v1 = correlationReport.releases.find((r: { release: string }) => r.release === 'v1');
    expect(v1.production.thumbs_down_rate.n).toBe(v1.traces);
    expect(v1.offline.pass_rate.n).toBe(v1.judgedCases);
    expect(correlationReport.acrossReleases.find((p: any) => p.offline === 'pass_rate' && p.production === 'thumbs_down_rate').reading).toMatch(/too few releases to tell \(n=2, need 5\)/);
    expect(correlationReport.cells.length).toBeGreaterThan(2);
    expect(correlationReport.traceLevel.dimensions).toHaveLength(5);
    expect(correlation.correlationHistory.map((h: { runId: string }) => h.runId)).toContain(runId);
  });

  it('recalibrates when agreement falls under 80% and promotes a prompt that beats the active one on validation', async () => {
    sim.configure({ disagreement: 0.4, fewShotHelps: true });
    const { projectId, state } = await labelledRun('drifting', 60);
    expect(state.status).toBe('completed');
    expect(state.judging.primary.below).toBe(true);
    expect(state.judging.primary.value).toBeLessThan(0.8);
    expect(state.recalibration.decision, JSON.stringify(state.recalibration)).toBe('promoted');
    expect(state.recalibration.split.validation).toBeGreaterThan(10);
    expect(state.needsAttention).toBeNull();
    const versions = (await gql('query($p: ID!) { judgeVersions(projectId: $p) { id version status reason parent { version } fewShot } }', { p: projectId })).judgeVersions;
    const active = versions.filter((v: any) => v.status === 'active');
    expect(active).toHaveLength(1);
    expect(active[0].id).toBe(state.recalibration.promotedVersionId);
    expect(active[0].parent.version).toBe(1);
    expect(active[0].reason).toMatch(/recalibration/);
    const figures = state.recalibration.candidates as { role: string; value: number; versionId: string }[];
    const promoted = figures.find((f) => f.versionId === active[0].id)!;
    const before = figures.find((f) => f.role === 'active')!;
    expect(promoted.value).toBeGreaterThanOrEqual(0.8);
    expect(promoted.value).toBeGreaterThan(before.value);
    // Few-shot examples come only from tuning cases outside the regression set.
    const regressionInputs = new Set((await database.db.evalCase.findMany({ where: { evalSet: { projectId, kind: 'regression' } }, select: { input: true } })).map((c) => c.input));
    for (const example of active[0].fewShot as { input: string }[]) expect(regressionInputs.has(example.input)).toBe(false);
  });

  it('keeps the active judge and flags the run when no candidate helps', async () => {
    sim.configure({ disagreement: 0.4, fewShotHelps: false });
    const { projectId, state } = await labelledRun('stubborn', 60);
    expect(state.status).toBe('completed');
    expect(state.recalibration.decision).toBe('kept_active');
    expect(state.recalibration.reason).toMatch(/threshold|does not beat/);
    expect(state.needsAttention).toMatch(/no better prompt/);
    const versions = await database.db.judgePromptVersion.findMany({ where: { projectId }, orderBy: { version: 'asc' } });
    expect(versions[0]!.status).toBe('active');
    expect(versions.slice(1).every((v) => v.status === 'retired')).toBe(true);
  });

  it('refuses to tune a judge on the regression set, loudly', async () => {
    const project = await database.db.project.findFirstOrThrow({ where: { name: 'drifting' } });
    const regressionCase = await database.db.evalCase.findFirstOrThrow({ where: { evalSet: { projectId: project.id, kind: 'regression' } } });
    const result = await api.graphql('mutation($p: ID!, $c: [ID!]) { createJudgeVersion(projectId: $p, input: { reason: "try", fewShotCaseIds: $c }) { id } }', { p: project.id, c: [regressionCase.id] }, admin);
    expect(result.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect(result.errors?.[0]?.message).toMatch(/held out/);
    const productionCase = await database.db.evalCase.findFirstOrThrow({ where: { evalSet: { projectId: project.id, kind: 'production' }, verdict: 'pass' } });
    const ok = await api.graphql('mutation($p: ID!, $c: [ID!]) { createJudgeVersion(projectId: $p, input: { reason: "one more example", fewShotCaseIds: $c }) { status fewShot } }', { p: project.id, c: [productionCase.id] }, admin);
    expect(ok.errors).toBeUndefined();
    expect(ok.data!.createJudgeVersion.status).toBe('candidate');
  });
});
