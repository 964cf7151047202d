// The sampling activity against an oracle written from the documented rules (strata by
// first signal, allocateSample, seeded md5 order per cell, over-fetch, near-duplicates),
// on data small enough that no cell is thinned, so the pick must be exactly that order.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STRATUM_SIGNALS, createSamplingActivities, prefilterBits } from '../../activities/sampling';
import { activeStrata, allocateSample, UNTAGGED_SLICE } from '../../core/sampling/allocation';
import { keepDistinctCandidates } from '../../core/sampling/near-duplicates';
import { parseSamplingPolicy, type SamplingPolicy, type StratumKind } from '../../core/sampling/policy';
import { orderBySampleKey } from '../../core/sampling/seeded-order';
import { ingestParsedTraces, validateTraceItems } from '../../services/ingestion/ingest-traces';
import { createTestDatabase, type TestDatabase } from '../helpers/database';
import { syntheticTraces } from '../helpers/synthetic';

const PERIOD = { periodStart: '2026-10-01T00:00:00.000Z', periodEnd: '2026-11-01T00:00:00.000Z' };
const TIERS = ['free', 'pro', 'team'];

function policyOf(input: object): SamplingPolicy {
  const parsed = parseSamplingPolicy(input);
  if (!parsed.ok) throw new Error(parsed.reason);
  return parsed.policy;
}

describe('sampleProductionTraces', () => {
  let database: TestDatabase;
  let projectId: string;

  beforeAll(async () => {
    database = await createTestDatabase();
    projectId = (await database.db.project.create({ data: { name: 'sampling' } })).id;
    // Several distinct slice objects per intent (tier varies), so a slice value spans
    // several trace_slice rows; one in ten traces has no slice at all.
    const traces = syntheticTraces(420, { prefix: 's-' }).map((t, i) => ({
      ...t,
      slice: i % 10 === 9 ? undefined : { ...(t.slice as object), tier: TIERS[i % 3] },
    }));
    expect((await ingestParsedTraces(database.db, projectId, validateTraceItems(traces))).accepted).toBe(420);
    // An earlier run's labels: labelled traces are never sampled again.
    const earlier = await database.db.flywheelRun.create({ data: { projectId, workflowId: 'earlier', periodStart: new Date(PERIOD.periodStart), periodEnd: new Date(PERIOD.periodEnd) } });
    const labelled = await database.db.trace.findMany({ where: { projectId }, orderBy: { externalId: 'asc' }, take: 25, select: { id: true } });
    for (const [rank, { id }] of labelled.entries()) {
      const item = await database.db.sampleItem.create({ data: { runId: earlier.id, traceId: id, stratum: 'baseline', reason: 'test', sliceValue: 'x', rank } });
      const task = await database.db.labelTask.create({ data: { runId: earlier.id, projectId, sampleItemId: item.id, traceId: id, slot: 1, status: 'done' } });
      await database.db.label.create({ data: { taskId: task.id, runId: earlier.id, traceId: id, reviewerId: '00000000-0000-4000-8000-000000000001', correctness: 3, relevance: 3, clarity: 3, calibration: 3, length: 3, verdict: 'pass' } });
    }
  });
  afterAll(async () => database?.drop());

  async function sample(policy: SamplingPolicy) {
    const run = await database.db.flywheelRun.create({ data: { projectId, workflowId: `run-${Math.random()}`, periodStart: new Date(PERIOD.periodStart), periodEnd: new Date(PERIOD.periodEnd) } });
    const report = await createSamplingActivities(database.db).sampleProductionTraces({ runId: run.id, projectId, ...PERIOD, policy });
    const items = await database.db.sampleItem.findMany({ where: { runId: run.id }, orderBy: { rank: 'asc' } });
    return { report, seed: policy.seed ?? run.id, picked: items.map((i) => `${i.traceId}/${i.stratum}/${i.sliceValue}`) };
  }

  async function oracle(policy: SamplingPolicy, seed: string) {
    const traces = await database.db.trace.findMany({ where: { projectId, timestamp: { gte: new Date(PERIOD.periodStart), lt: new Date(PERIOD.periodEnd) }, sampleItems: { none: { tasks: { some: { label: { isNot: null } } } } } } });
    const labelledIds = new Set((await database.db.label.findMany({ select: { traceId: true } })).map((l) => l.traceId));
    const strata = activeStrata(policy);
    const cellOf = (t: (typeof traces)[number]) => {
      const stratum = strata.find((s: StratumKind) => t.negativeSignals.some((x) => STRATUM_SIGNALS[s].includes(x))) ?? 'baseline';
      const value = policy.sliceDimension === null ? undefined : (t.slice as Record<string, string>)[policy.sliceDimension];
      return { stratum, slice: value ?? UNTAGGED_SLICE };
    };
    const byCell = new Map<string, typeof traces>();
    for (const t of traces.filter((x) => !labelledIds.has(x.id))) {
      const c = cellOf(t);
      const key = `${c.stratum}\u0000${c.slice}`;
      byCell.set(key, [...(byCell.get(key) ?? []), t]);
    }
    const sliceTotals = new Map<string, number>();
    for (const [key, list] of byCell) sliceTotals.set(key.split('\u0000')[1]!, (sliceTotals.get(key.split('\u0000')[1]!) ?? 0) + list.length);
    const allocation = allocateSample(policy, {
      slices: [...sliceTotals].map(([slice, total]) => ({ slice, total })),
      cells: [...byCell].filter(([key]) => !key.startsWith('baseline\u0000')).map(([key, list]) => ({ stratum: key.split('\u0000')[0] as StratumKind, slice: key.split('\u0000')[1]!, available: list.length })),
    });
    const ordered = allocation.cells
      .filter((c) => c.count > 0)
      .flatMap((cell) => {
        const list = byCell.get(`${cell.stratum}\u0000${cell.slice}`) ?? [];
        // The oracle is exact only for cells ranked whole.
        expect(prefilterBits(list.length, cell.count * 2 + 10)).toBe(0);
        const inputOf = new Map(list.map((t) => [t.id, t.input]));
        return orderBySampleKey(seed, list.map((t) => t.id))
          .slice(0, cell.count * 2 + 10)
          .map((id) => ({ traceId: id, input: inputOf.get(id)!, group: `${cell.stratum}\u0000${cell.slice}`, quota: cell.count, cell }));
      });
    return keepDistinctCandidates(ordered).kept.map((k) => `${k.traceId}/${k.cell.stratum}/${k.cell.slice}`);
  }

  it('picks exactly the seeded order of each cell, skipping labelled traces', async () => {
    const policy = policyOf({ sampleSize: 40, sliceFloor: 1, seed: 'oracle-seed' });
    const { report, picked } = await sample(policy);
    expect(report.sampled).toBe(40);
    expect(report.excluded.alreadyLabelled).toBe(25);
    expect(picked).toEqual(await oracle(policy, 'oracle-seed'));
    expect(report.bySlice[UNTAGGED_SLICE]).toBeGreaterThan(0);
  });

  it('works without a slice dimension, and with strata switched off', async () => {
    for (const policy of [policyOf({ sampleSize: 30, sliceDimension: null, seed: 'no-slices' }), policyOf({ sampleSize: 30, seed: 'no-strata', strata: { negative_feedback: 0, rephrase: 0, abandoned: 0, long_session: 0, high_latency: 0, guardrail_flagged: 0 } })]) {
      const { report, picked, seed } = await sample(policy);
      expect(report.sampled).toBe(30);
      expect(picked).toEqual(await oracle(policy, seed));
    }
  });

  it('is reproducible and differs with the seed', async () => {
    const a = await sample(policyOf({ sampleSize: 20, seed: 'same' }));
    const b = await sample(policyOf({ sampleSize: 20, seed: 'same' }));
    const c = await sample(policyOf({ sampleSize: 20, seed: 'other' }));
    expect(b.picked).toEqual(a.picked);
    expect(c.picked).not.toEqual(a.picked);
  });
});
