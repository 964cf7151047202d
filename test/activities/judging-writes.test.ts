// The judging activity's batched score writes, against the simulated provider and an
// in-memory stand-in for the three tables it touches: rows go out in batches, a failed
// write fails the activity, and the retried activity stores the rest, nothing twice.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { judgeCasesWith } from '../../activities/judging';
import { DEFAULT_RUBRIC } from '../../core/judge/judge-prompt';
import type { Db } from '../../db/client';
import { startSimulatedProvider, type SimulatedProvider } from '../../simulator/llm-provider';

interface StoredScore {
  subjectKey: string;
  status: string;
}

function fakeDb(simulatorUrl: string, caseCount: number) {
  const stored = new Map<string, StoredScore>();
  const batches: number[] = [];
  const state = { failWriteNumber: 0 };
  const cases = Array.from({ length: caseCount }, (_, i) => ({ id: `case-${i}`, input: `question ${i}`, output: `answer ${i}`, sessionContext: [], retrievedContext: [], expected: null }));
  const db = {
    judgePromptVersion: {
      findUniqueOrThrow: async () => ({ id: 'v1', version: 1, rubric: DEFAULT_RUBRIC, fewShot: [], provider: 'simulated', model: 'sim-judge-1', baseUrl: simulatorUrl, temperature: 0 }),
    },
    judgeScore: {
      findMany: async ({ where }: { where: { subjectKey: { in: string[] } } }) => where.subjectKey.in.filter((k) => stored.has(k)).map((subjectKey) => ({ subjectKey })),
      createMany: async ({ data }: { data: StoredScore[] }) => {
        batches.push(data.length);
        if (batches.length === state.failWriteNumber) throw new Error('the database went away');
        let count = 0;
        for (const row of data) {
          if (stored.has(row.subjectKey)) continue;
          stored.set(row.subjectKey, row);
          count += 1;
        }
        return { count };
      },
    },
    evalCase: { findMany: async ({ where }: { where: { id: { in: string[] } } }) => cases.filter((c) => where.id.in.includes(c.id)) },
  };
  return { db: db as unknown as Db, stored, batches, state, caseIds: cases.map((c) => c.id) };
}

describe('judging activity: score writes', () => {
  let sim: SimulatedProvider;
  beforeAll(async () => {
    sim = await startSimulatedProvider({ seed: 'judging-writes' });
  });
  afterAll(() => sim?.stop());

  it('writes scores in batches of at most 50, and a retry after a failed write stores the rest exactly once', async () => {
    const fake = fakeDb(sim.url, 180);
    fake.state.failWriteNumber = 2;
    await expect(judgeCasesWith(fake.db, 'v1', fake.caseIds)).rejects.toThrow('the database went away');
    // The first batch (full, or what 250 ms gathered) is stored; after the failure nothing more is written.
    expect(fake.batches.length).toBe(2);
    const first = fake.batches[0]!;
    expect(fake.stored.size).toBe(first);
    expect(first).toBeGreaterThan(0);

    fake.state.failWriteNumber = 0;
    const retry = await judgeCasesWith(fake.db, 'v1', fake.caseIds);
    expect(retry).toMatchObject({ requested: 180, alreadyJudged: first, scored: 180 - first, failed: 0 });
    expect(fake.stored.size).toBe(180);
    expect(Math.max(...fake.batches)).toBeLessThanOrEqual(50);
    // Far fewer statements than scores: 180 rows in a handful of writes.
    expect(fake.batches.length).toBeLessThan(20);
    // A third run has nothing left to judge or write.
    const before = sim.stats().requests;
    const again = await judgeCasesWith(fake.db, 'v1', fake.caseIds);
    expect(again).toMatchObject({ alreadyJudged: 180, scored: 0, failed: 0 });
    expect(sim.stats().requests).toBe(before);
  });
});
