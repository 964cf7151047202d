// The judging activity's batched score writes, on the real database and the simulated
// provider: rows go out in batches, a failed write fails the activity, and the retried
// activity stores the rest, nothing twice. The one stand-in is a wrapper that makes the
// second batch write fail, as a dropped connection would.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { judgeCasesWith } from '../../activities/judging';
import { DEFAULT_RUBRIC } from '../../core/judge/judge-prompt';
import type { Db } from '../../db/client';
import { startSimulatedProvider, type SimulatedProvider } from '../../simulator/llm-provider';
import { createTestDatabase, type TestDatabase } from '../helpers/database';

/** The client with judgeScore.createMany counted per call, failing on call number `failOn` (0: never). */
function countingWrites(db: Db) {
  const state = { batches: [] as number[], failOn: 0 };
  const judgeScore = new Proxy(db.judgeScore, {
    get(target, prop) {
      const value = Reflect.get(target, prop, target) as unknown;
      if (prop !== 'createMany' || typeof value !== 'function') return value;
      return async (args: { data: unknown[] }) => {
        state.batches.push(args.data.length);
        if (state.batches.length === state.failOn) throw new Error('the database went away');
        return (value as (a: unknown) => Promise<unknown>).call(target, args);
      };
    },
  });
  return { db: new Proxy(db, { get: (target, prop) => (prop === 'judgeScore' ? judgeScore : Reflect.get(target, prop, target)) }), state };
}

describe('judging activity: score writes', () => {
  let sim: SimulatedProvider;
  let database: TestDatabase;
  let judgeVersionId: string;
  let caseIds: string[];

  beforeAll(async () => {
    sim = await startSimulatedProvider({ seed: 'judging-writes' });
    database = await createTestDatabase();
    const db = database.db;
    const project = await db.project.create({ data: { name: 'judging-writes' } });
    const set = await db.evalSet.create({ data: { projectId: project.id, name: 'production', kind: 'production' } });
    await db.evalCase.createMany({
      data: Array.from({ length: 180 }, (_, i) => ({
        evalSetId: set.id,
        caseKey: `case-${String(i).padStart(3, '0')}`,
        contentHash: `hash-${i}`,
        input: `question ${i}`,
        output: `answer ${i}`,
        sessionContext: [],
        retrievedContext: [],
        expected: null,
        labels: [],
        slice: {},
      })),
    });
    caseIds = (await db.evalCase.findMany({ where: { evalSetId: set.id }, orderBy: { caseKey: 'asc' }, select: { id: true } })).map((c) => c.id);
    judgeVersionId = (
      await db.judgePromptVersion.create({
        data: { projectId: project.id, version: 1, rubric: DEFAULT_RUBRIC, fewShot: [], provider: 'simulated', model: 'sim-judge-1', baseUrl: sim.url, reason: 'test', status: 'active' },
      })
    ).id;
  });
  afterAll(async () => {
    await database?.drop();
    await sim?.stop();
  });

  it('writes scores in batches of at most 50, and a retry after a failed write stores the rest exactly once', async () => {
    const { db, state } = countingWrites(database.db);
    const stored = () => database.db.judgeScore.count({ where: { judgeVersionId } });
    state.failOn = 2;
    await expect(judgeCasesWith(db, judgeVersionId, caseIds)).rejects.toThrow('the database went away');
    // The first batch (full, or what 250 ms gathered) is stored; after the failure nothing more is written.
    expect(state.batches.length).toBe(2);
    const first = state.batches[0]!;
    expect(first).toBeGreaterThan(0);
    expect(await stored()).toBe(first);

    state.failOn = 0;
    const retry = await judgeCasesWith(db, judgeVersionId, caseIds);
    // scored counts the batch's subjects with a score, judged now or by the failed attempt.
    expect(retry).toMatchObject({ requested: 180, alreadyJudged: first, scored: 180, failed: 0 });
    expect(await stored()).toBe(180);
    expect(Math.max(...state.batches)).toBeLessThanOrEqual(50);
    // Far fewer statements than scores: 180 rows in a handful of writes.
    expect(state.batches.length).toBeLessThan(20);
    // A third run has nothing left to judge or write.
    const before = sim.stats().requests;
    const writesBefore = state.batches.length;
    const again = await judgeCasesWith(db, judgeVersionId, caseIds);
    expect(again).toMatchObject({ requested: 180, alreadyJudged: 180, scored: 180, failed: 0 });
    expect(sim.stats().requests).toBe(before);
    expect(state.batches.length).toBe(writesBefore);
  });
});
