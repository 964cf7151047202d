// Bad input to supplied and shadow answers and to the evaluations: each refusal is clear,
// valid data is kept, and nothing is stored twice on a re-send.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey } from '../../services/api-keys';
import { ingestParsedTraces, validateTraceItems } from '../../services/ingestion/ingest-traces';
import type { TestApi } from '../helpers/api';
import type { TestDatabase } from '../helpers/database';
import { openTestbed, type Testbed } from '../helpers/testbed';

const trace = (id: string, release: string) => ({ id, sessionId: `s-${id}`, timestamp: '2026-10-03T10:00:00Z', input: `question ${id}`, output: `answer ${id}`, release });

describe('release answers: bad input', () => {
  let database: TestDatabase;
  let api: TestApi;
  let bed: Testbed;
  let keys: { admin: string; ingest: string; viewer: string; reviewer: string; otherIngest: string };
  let project: string;
  let other: string;
  let cases: string[];
  let servedByV1: string;
  let otherCase: string;

  const post = async (path: string, params: Record<string, string>, body: string, key: string | null = keys.admin, headers: Record<string, string> = {}) => {
    const response = await fetch(`${api.baseUrl}${path}?${new URLSearchParams(params)}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-ndjson', ...(key ? { authorization: `Bearer ${key}` } : {}), ...headers },
      body,
    });
    return { status: response.status, body: (await response.json()) as Record<string, any> };
  };
  const supply = (release: string, answers: unknown[], key = keys.admin) =>
    api.graphql('mutation($p: ID!, $r: String!, $a: [CaseAnswerInput!]!) { supplyReleaseAnswers(projectId: $p, release: $r, answers: $a) { received stored updated unchanged superseded rejected errors { line reason } updatedAnswers { line key } } }', { p: project, r: release, a: answers }, key);

  beforeAll(async () => {
    bed = await openTestbed({ worker: false });
    ({ database, api } = bed);
    project = (await database.db.project.create({ data: { name: 'answers' } })).id;
    other = (await database.db.project.create({ data: { name: 'someone-else' } })).id;
    keys = {
      admin: bed.admin,
      ingest: (await createApiKey(database.db, { name: 'ci', role: 'ingest', projectId: project })).plain,
      viewer: (await createApiKey(database.db, { name: 'viewer', role: 'viewer', projectId: project })).plain,
      reviewer: (await createApiKey(database.db, { name: 'reviewer', role: 'reviewer', projectId: project })).plain,
      otherIngest: (await createApiKey(database.db, { name: 'other-ci', role: 'ingest', projectId: other })).plain,
    };
    await ingestParsedTraces(database.db, project, validateTraceItems([trace('t1', 'v1'), trace('t2', 'v1'), trace('t3', 'v2'), trace('t4', 'cand')]));
    await ingestParsedTraces(database.db, other, validateTraceItems([trace('x1', 'v1')]));
    // Cases made by hand (a custom set): three without a source trace, one from a v1 trace.
    const set = await database.db.evalSet.create({ data: { projectId: project, name: 'hand-made', kind: 'custom' } });
    const t1 = await database.db.trace.findFirstOrThrow({ where: { projectId: project, externalId: 't1' } });
    const made = [];
    for (const [i, source] of [null, null, null, t1.id].entries()) {
      made.push(await database.db.evalCase.create({ data: { evalSetId: set.id, caseKey: `k${i}`, contentHash: `h${i}`, input: `q${i}`, output: source ? t1.output : null, sessionContext: [], retrievedContext: [], labels: [], slice: {}, sourceTraceId: source } }));
    }
    cases = made.slice(0, 3).map((c) => c.id);
    servedByV1 = made[3]!.id;
    const otherSet = await database.db.evalSet.create({ data: { projectId: other, name: 'theirs', kind: 'custom' } });
    otherCase = (await database.db.evalCase.create({ data: { evalSetId: otherSet.id, caseKey: 'o', contentHash: 'o', input: 'q', sessionContext: [], retrievedContext: [], labels: [], slice: {} } })).id;
  });
  afterAll(async () => {
    await bed?.close();
  });

  it('JSONL: reports bad lines by number, keeps the valid ones, and refuses unknown, foreign and production-answered cases', async () => {
    const lines = [
      JSON.stringify({ caseId: cases[0], output: 'first' }),
      '{"caseId": "broken',
      JSON.stringify({ caseId: cases[1], output: 'second', score: 5 }),
      '',
      JSON.stringify({ caseId: randomUUID(), output: 'nobody asked' }),
      JSON.stringify({ caseId: otherCase, output: 'not yours' }),
      JSON.stringify({ caseId: servedByV1, output: 'v1 already answered this in production' }),
      JSON.stringify({ caseId: "x' OR 1=1 --", output: 'sql' }),
      JSON.stringify({ caseId: cases[2], output: 'third' }),
    ].join('\n');
    const result = await post('/v1/releases/answers', { projectId: project, release: 'v1' }, lines);
    expect(result.status).toBe(200);
    expect(result.body).toMatchObject({ received: 8, stored: 2, updated: 0, unchanged: 0, rejected: 6, errorsTruncated: false });
    const byLine = Object.fromEntries(result.body.errors.map((e: { line: number; reason: string }) => [e.line, e.reason]));
    expect(Object.keys(byLine).map(Number).sort((a, b) => a - b)).toEqual([2, 3, 5, 6, 7, 8]);
    expect(byLine[2]).toMatch(/^line 2: invalid JSON/);
    expect(byLine[3]).toBe('line 3: unknown field `score` (expected caseId and output)');
    expect(byLine[5]).toMatch(/^line 5: no eval case .* in this project$/);
    // Another project's case reads exactly like an unknown one: ids do not leak.
    expect(byLine[6]).toBe(`line 6: no eval case ${otherCase} in this project`);
    expect(byLine[7]).toMatch(/^line 7: case .* was answered by this release in production \(trace t1\); that answer is the one evaluated$/);
    expect(byLine[8]).toBe('line 8: caseId must be an eval case id (a UUID)');
    expect(await database.db.releaseCaseAnswer.count()).toBe(2);
  });

  it('re-sending is idempotent: unchanged stores nothing, a changed output updates and says which, repeats keep the later line', async () => {
    const body = (third: string) => [{ caseId: cases[0], output: 'first' }, { caseId: cases[2], output: third }].map((l) => JSON.stringify(l)).join('\n');
    expect((await post('/v1/releases/answers', { projectId: project, release: 'v1' }, body('third'))).body).toMatchObject({ received: 2, stored: 0, updated: 0, unchanged: 2, rejected: 0 });
    expect((await post('/v1/releases/answers', { projectId: project, release: 'v1' }, body('third, better'))).body).toMatchObject({ stored: 0, updated: 1, unchanged: 1, updatedAnswers: [{ line: 2, key: cases[2] }] });
    const repeated = await supply('v1', [{ caseId: cases[1], output: 'draft' }, { caseId: cases[1], output: 'final' }]);
    expect(repeated.data!.supplyReleaseAnswers).toMatchObject({ received: 2, stored: 1, superseded: 1, rejected: 0 });
    const rows = await database.db.releaseCaseAnswer.findMany({ where: { release: { name: 'v1', projectId: project } }, orderBy: { output: 'asc' } });
    expect(rows.map((r) => r.output)).toEqual(['final', 'first', 'third, better']);
  });

  it('GraphQL: item numbers, one bad item does not lose the others, more than 1000 is refused', async () => {
    const result = await supply('v9', [{ caseId: cases[0], output: 'v9 one' }, { caseId: 'not-a-uuid', output: 'x' }, { caseId: cases[1], output: '' }]);
    expect(result.data!.supplyReleaseAnswers).toMatchObject({ received: 3, stored: 1, rejected: 2 });
    expect(result.data!.supplyReleaseAnswers.errors).toEqual([
      { line: 2, reason: 'item 2: caseId must be an eval case id (a UUID)' },
      { line: 3, reason: 'item 3: output must not be empty' },
    ]);
    const tooMany = await supply('v9', Array.from({ length: 1001 }, () => ({ caseId: cases[0], output: 'x' })));
    expect(tooMany.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(tooMany.errors?.[0]?.message).toMatch(/at most 1000 answers per call/);
    const badName = await supply(' ', [{ caseId: cases[0], output: 'x' }]);
    expect(badName.errors?.[0]?.message).toMatch(/release must be 1 to 200 characters/);
  });

  it('roles and projects: only ingest and admin keys of the project may supply answers; nothing is stored otherwise', async () => {
    const before = await database.db.releaseCaseAnswer.count();
    const line = JSON.stringify({ caseId: cases[0], output: 'from someone' });
    for (const key of [keys.viewer, keys.reviewer]) {
      expect((await supply('v7', [{ caseId: cases[0], output: 'x' }], key)).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
      expect((await post('/v1/releases/answers', { projectId: project, release: 'v7' }, line, key)).status).toBe(403);
    }
    const foreign = await post('/v1/releases/answers', { projectId: project, release: 'v7' }, line, keys.otherIngest);
    expect(foreign).toMatchObject({ status: 403, body: { error: { code: 'FORBIDDEN', message: 'this key belongs to another project' } } });
    expect((await post('/v1/releases/answers', { projectId: project, release: 'v7' }, line, null)).status).toBe(401);
    expect((await post('/v1/releases/answers', { projectId: project }, line)).body.error.message).toMatch(/which release\?/);
    expect((await post('/v1/releases/answers', { projectId: project, release: 'v7' }, '<answers/>', keys.admin, { 'content-type': 'application/xml' })).status).toBe(415);
    expect(await database.db.releaseCaseAnswer.count()).toBe(before);
    // An upload with nothing valid creates no release.
    expect((await post('/v1/releases/answers', { projectId: project, release: 'v8' }, JSON.stringify({ caseId: randomUUID(), output: 'x' }))).body).toMatchObject({ stored: 0, rejected: 1 });
    expect(await database.db.release.count({ where: { projectId: project, name: { in: ['v7', 'v8'] } } })).toBe(0);
    // The project's own ingest key may (a CI job uploading a candidate's answers).
    expect((await post('/v1/releases/answers', { projectId: project, release: 'v7' }, line, keys.ingest)).body).toMatchObject({ stored: 1 });
  });

  it('shadow answers: unknown traces, another project\'s traces and the candidate\'s own traces are refused by line; re-sends change nothing', async () => {
    const lines = [
      { traceId: 't1', output: 'cand on t1' },
      { traceId: 'nope', output: 'x' },
      { traceId: 'x1', output: 'their trace' },
      { traceId: 't4', output: 'cand answered t4 itself' },
      { traceId: 't3', output: 'cand on t3' },
      { caseId: cases[0], output: 'wrong kind of line' },
    ].map((l) => JSON.stringify(l)).join('\n');
    const first = await post('/v1/releases/shadow-answers', { projectId: project, release: 'cand' }, lines);
    expect(first.body).toMatchObject({ received: 6, stored: 2, rejected: 4 });
    expect(first.body.errors.map((e: { reason: string }) => e.reason)).toEqual([
      'line 2: no trace nope in this project',
      'line 3: no trace x1 in this project',
      "line 4: trace t4 was answered by this release itself; a shadow answer compares a candidate with another release's answer",
      'line 6: missing required field `traceId`; unknown field `caseId` (expected traceId and output)',
    ]);
    expect((await post('/v1/releases/shadow-answers', { projectId: project, release: 'cand' }, lines)).body).toMatchObject({ stored: 0, unchanged: 2, rejected: 4 });
    expect(await database.db.shadowAnswer.count()).toBe(2);
    const viewer = await api.graphql('mutation($p: ID!) { supplyShadowAnswers(projectId: $p, candidate: "cand", answers: [{traceId: "t1", output: "y"}]) { stored } }', { p: project }, keys.viewer);
    expect(viewer.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    // Candidate answers never become traces.
    expect(await database.db.trace.count({ where: { projectId: project } })).toBe(4);
  });

  it('evaluations: unknown releases, missing set versions, missing shadow answers, wrong role and foreign ids are clear errors', async () => {
    const code = (r: { errors?: { extensions?: { code?: string }; message: string }[] }) => r.errors?.[0]?.extensions?.code;
    const evaluate = (release: string, key = keys.admin) => api.graphql('mutation($p: ID!, $r: String!) { evaluateRelease(projectId: $p, release: $r) { id } }', { p: project, r: release }, key);
    const unknown = await evaluate('v404');
    expect(code(unknown)).toBe('NOT_FOUND');
    expect(unknown.errors?.[0]?.message).toMatch(/release v404 not found/);
    // Only a custom set exists: there is nothing current to score on.
    const noVersions = await evaluate('v1');
    expect(code(noVersions)).toBe('CONFLICT');
    expect(noVersions.errors?.[0]?.message).toMatch(/no production or regression set version yet/);
    expect(code(await evaluate('v1', keys.ingest))).toBe('FORBIDDEN');
    expect(await database.db.releaseEvaluation.count()).toBe(0);

    const startShadow = (candidate: string, key = keys.admin) => api.graphql('mutation($p: ID!, $c: String!) { startShadowEvaluation(projectId: $p, candidate: $c) { id } }', { p: project, c: candidate }, key);
    const noAnswers = await startShadow('v2');
    expect(code(noAnswers)).toBe('BAD_USER_INPUT');
    expect(noAnswers.errors?.[0]?.message).toMatch(/candidate v2 has no shadow answers/);
    expect(code(await startShadow('cand', keys.viewer))).toBe('FORBIDDEN');

    const read = (id: string, key = keys.admin) => api.graphql('query($p: ID!, $id: ID) { releaseEvaluation(projectId: $p, release: "v1", id: $id) { id } shadowEvaluation(projectId: $p, candidate: "cand") { id } }', { p: project, id }, key);
    const none = await read(randomUUID(), keys.viewer);
    expect(code(none)).toBe('NOT_FOUND');
    expect(none.data?.shadowEvaluation ?? null).toBeNull();
    expect(code(await read('1 OR 1=1'))).toBe('BAD_USER_INPUT');
    const foreign = await api.graphql('query($p: ID!) { releaseEvaluation(projectId: $p, release: "v1") { id } }', { p: project }, keys.otherIngest);
    expect(code(foreign)).toBe('FORBIDDEN');
  });
});
