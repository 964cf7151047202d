// The LLM provider misbehaves during a run: 429s (with retry-after), 500s, timeouts,
// truncated JSON and replies that are not JSON. The run completes, with every failed
// judgment recorded as a failure with its reason and never as a score, or stops with a
// clear cause. Real OpenAI SDK against the local simulated provider.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createActivities } from '../../activities';
import { createApiKey } from '../../services/api-keys';
import { ingestParsedTraces, validateTraceItems } from '../../services/ingestion/ingest-traces';
import type { SimulatedProvider } from '../../simulator/llm-provider';
import { labelingProgressQuery } from '../../workflows';
import type { TestApi } from '../helpers/api';
import type { TestDatabase } from '../helpers/database';
import { syntheticTraces } from '../helpers/synthetic';
import type { TestTemporal } from '../helpers/temporal';
import { openTestbed, type SimulatedTestbed, type Testbed } from '../helpers/testbed';

const PERIOD = { periodStart: '2026-10-01T00:00:00Z', periodEnd: '2026-11-01T00:00:00Z' };
const CLEAN = { errorRate: 0, rateLimitRate: 0, timeoutRate: 0, malformedRate: 0, truncatedRate: 0, faultsOnRepair: false, latencyMs: 0 };
// A reason names what went wrong: the SDK's error after its retries, or the unparseable reply.
const FAILURE_REASON = /^(provider call failed: (RateLimitError|InternalServerError|APIConnectionTimeoutError|APIConnectionError)|not a valid judgment after a repair attempt: )/;

type RunState = { status: string; stage: string; failureCause: string | null; needsAttention: string | null; judging: Record<string, any> | null; recalibration: unknown; correlation: unknown };

describe('the LLM provider misbehaves during a run', () => {
  let database: TestDatabase;
  let temporal: TestTemporal;
  let api: TestApi;
  let sim: SimulatedProvider;
  let gql: Testbed['gql'];
  let bed: SimulatedTestbed;
  const savedEnv = { ...process.env };

  beforeAll(async () => {
    // Short client timeout (but long enough for a loaded machine's honest replies) and two
    // SDK retries: faults are met, and survived or given up, quickly.
    process.env.JUDGE_TIMEOUT_MS = '1500';
    process.env.JUDGE_MAX_RETRIES = '2';
    delete process.env.OPENAI_BASE_URL;
    bed = await openTestbed({ simulator: { seed: 'llm-faults', disagreement: 0, hangMs: 4000, retryAfterSeconds: 1 } });
    ({ database, temporal, api, sim, gql } = bed);
  });
  afterAll(async () => {
    await bed?.close();
    process.env = savedEnv;
  });

  /** A run whose reviewers label every sampled trace (fail on thumbs-down, pass otherwise); the simulator knows the same truth. */
  async function labelledRun(name: string, options: { sampleSize: number; beforeRun?: (projectId: string) => Promise<void> }): Promise<{ projectId: string; runId: string; state: RunState }> {
    const projectId = (await database.db.project.create({
      data: { name, samplingPolicy: { sampleSize: options.sampleSize, sliceFloor: 1, seed: `${name}-seed` }, labelingSettings: { doubleLabelShare: 0, minDoubleLabelled: 0 } },
    })).id;
    await ingestParsedTraces(database.db, projectId, validateTraceItems(syntheticTraces(300, { prefix: `${name}-` })));
    await options.beforeRun?.(projectId);
    const reviewer = (await createApiKey(database.db, { name: 'reviewer', role: 'reviewer', projectId })).plain;
    const run = (await gql('mutation($p: ID!, $s: DateTime, $e: DateTime) { startFlywheelRun(projectId: $p, periodStart: $s, periodEnd: $e) { id workflowId } }', { p: projectId, s: PERIOD.periodStart, e: PERIOD.periodEnd })).startFlywheelRun;
    // The queue answers its query once it has made its tasks.
    const queue = temporal.client.workflow.getHandle(`${run.workflowId}-labeling`);
    for (let i = 0; !(await queue.query(labelingProgressQuery).then((p) => p.total > 0, () => false)); i += 1) {
      if (i > 300) throw new Error('the labeling queue never opened');
      await new Promise((r) => setTimeout(r, 100));
    }
    const tasks = await database.db.labelTask.findMany({ where: { runId: run.id }, include: { sampleItem: { include: { trace: true } } } });
    sim.addToOracle(
      tasks.map((t) => {
        const failing = t.sampleItem.trace.thumb === 'down';
        return { output: t.sampleItem.trace.output, scores: failing ? { correctness: 1, relevance: 3, clarity: 3, calibration: 2, length: 3 } : { correctness: 5, relevance: 4, clarity: 4, calibration: 4, length: 4 }, verdict: failing ? ('fail' as const) : ('pass' as const) };
      }),
    );
    for (const task of tasks) {
      const failing = task.sampleItem.trace.thumb === 'down';
      const label = failing
        ? { correctness: 1, relevance: 3, clarity: 3, calibration: 2, length: 3, verdict: 'fail', failureCategory: 'hallucination' }
        : { correctness: 5, relevance: 4, clarity: 4, calibration: 4, length: 4, verdict: 'pass' };
      const result = await api.graphql('mutation($t: ID!, $l: LabelInput!) { submitLabel(taskId: $t, label: $l) { status } }', { t: task.id, l: label }, reviewer);
      expect(result.errors).toBeUndefined();
    }
    for (let i = 0; ; i += 1) {
      const state = (await gql('query($id: ID!) { flywheelRun(id: $id) { status stage failureCause needsAttention judging recalibration { decision } correlation { runId } } }', { id: run.id })).flywheelRun as RunState;
      if (state.status !== 'running') return { projectId, runId: run.id, state };
      if (i > 1200) throw new Error(`run stuck at ${state.stage}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** Every case of the run judged exactly once by the active judge, as a score equal to the truth or as a failure with a reason. */
  async function judgmentsOf(projectId: string, runId: string) {
    const cases = await database.db.evalCase.findMany({ where: { sourceRunId: runId, evalSet: { projectId, kind: 'production' } } });
    const scores = await database.db.judgeScore.findMany({ where: { evalCaseId: { in: cases.map((c) => c.id) } } });
    expect(new Set(scores.map((s) => s.evalCaseId)).size).toBe(scores.length);
    expect(scores).toHaveLength(cases.length);
    const caseById = new Map(cases.map((c) => [c.id, c]));
    for (const score of scores) {
      if (score.status === 'scored') {
        const human = (caseById.get(score.evalCaseId!)!.labels as { scores: Record<string, number>; verdict: string }[])[0]!;
        expect({ correctness: score.correctness, relevance: score.relevance, clarity: score.clarity, calibration: score.calibration, length: score.length, verdict: score.verdict }).toEqual({ ...human.scores, verdict: human.verdict });
        expect(score.failureReason).toBeNull();
      } else {
        expect(score.status).toBe('failed');
        expect(score.failureReason).toMatch(FAILURE_REASON);
        expect([score.correctness, score.relevance, score.clarity, score.calibration, score.length, score.verdict]).toEqual([null, null, null, null, null, null]);
      }
    }
    return { cases: cases.length, scored: scores.filter((s) => s.status === 'scored'), failed: scores.filter((s) => s.status === 'failed') };
  }

  it('survives 429s, 500s, timeouts, truncated and non-JSON replies: failures recorded with reasons, every score the real one', async () => {
    // Rates high enough that, whichever traces are sampled, some judgments survive their
    // faults and some do not, of both kinds (the chance that a kind is missing is below 1e-4).
    sim.configure({ ...CLEAN, rateLimitRate: 0.3, errorRate: 0.25, timeoutRate: 0.2, malformedRate: 0.25, truncatedRate: 0.25, faultsOnRepair: true });
    const before = sim.stats();
    const { projectId, runId, state } = await labelledRun('flaky', { sampleSize: 40 });
    sim.configure(CLEAN);
    expect(state).toMatchObject({ status: 'completed', failureCause: null });

    // Every kind of fault was met.
    const stats = sim.stats();
    for (const kind of ['429', '500', 'timeout', 'malformed', 'truncated']) expect(stats.byStatus[kind] ?? 0, kind).toBeGreaterThan(before.byStatus[kind] ?? 0);

    const judged = await judgmentsOf(projectId, runId);
    expect(judged.scored.length).toBeGreaterThan(0);
    expect(judged.failed.length).toBeGreaterThan(0);
    // Replies repaired or retried were kept, with their attempts counted.
    expect(judged.scored.map((s) => s.attempts)).toContain(2);
    const reasons = judged.failed.map((s) => s.failureReason!.replace(/:.*/s, ''));
    expect(reasons).toContain('not a valid judgment after a repair attempt');
    expect(reasons).toContain('provider call failed');
    // A reply cut off at the token limit says so, and is never taken for a score.
    expect(judged.failed.some((s) => /cut off at the model's token limit/.test(s.failureReason!))).toBe(true);
    // The run's summary says the same as the rows.
    expect(state.judging).toMatchObject({ cases: judged.cases, scored: judged.scored.length, failed: judged.failed.length });
    expect(state.judging!.failureReasons.length).toBeGreaterThan(0);
    for (const reason of state.judging!.failureReasons) expect(reason).toMatch(FAILURE_REASON);
    // Agreement is measured on what was judged, and says so.
    const report = await database.db.agreementReport.findFirstOrThrow({ where: { runId, scope: 'run' } });
    expect((report.report as { judged: number; judgeFailures: number })).toMatchObject({ judged: judged.scored.length, judgeFailures: judged.failed.length });

    // The same batch again, as when its worker is lost and the activity retried: nothing is
    // judged twice, and the earlier failures are reported as failures, not as scores.
    const requests = sim.stats().requests;
    const again = await createActivities(database.db).judgeEvalCases({ judgeVersionId: state.judging!.judgeVersionId, caseIds: [...judged.scored, ...judged.failed].map((s) => s.evalCaseId!) });
    expect(again).toMatchObject({ alreadyJudged: judged.cases, scored: judged.scored.length, failed: judged.failed.length, costUsd: 0 });
    expect(again.failureReasons).toHaveLength(Math.min(10, judged.failed.length));
    expect(sim.stats().requests).toBe(requests);
  });

  it('records every judgment as failed, with the cause, when the provider answers nothing but errors', async () => {
    sim.configure({ ...CLEAN, errorRate: 1 });
    const { projectId, runId, state } = await labelledRun('down', { sampleSize: 8 });
    sim.configure(CLEAN);
    expect(state).toMatchObject({ status: 'completed', failureCause: null });
    const judged = await judgmentsOf(projectId, runId);
    expect(judged.scored).toHaveLength(0);
    expect(judged.failed.every((s) => s.failureReason!.startsWith('provider call failed: InternalServerError: 500'))).toBe(true);
    // Nothing was measured, so nothing is recalibrated, and a person is told why.
    expect(state.judging!.primary).toMatchObject({ value: null, unmeasured: true, below: false });
    expect(state.recalibration).toBeNull();
    expect(state.needsAttention).toMatch(new RegExp(`^the judge failed on all ${judged.cases} cases; first cause: provider call failed: InternalServerError: 500`));
  });

  it('stops the run with a clear cause when the judge cannot be configured', async () => {
    const { state } = await labelledRun('misconfigured', {
      sampleSize: 4,
      // An OpenAI-compatible judge with no base URL anywhere: no call can be made.
      beforeRun: async (projectId) => {
        await database.db.judgePromptVersion.create({ data: { projectId, version: 1, rubric: 'judge it', fewShot: [], provider: 'openai-compatible', model: 'some-model', reason: 'test', status: 'active' } });
      },
    });
    expect(state.status).toBe('failed');
    expect(state.stage).toBe('failed');
    expect(state.failureCause).toMatch(/judge v1 \(openai-compatible\/some-model\) cannot be used: an openai-compatible judge needs a base URL/);
  });
});
