import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { formatIngestSummary, ingestFile } from '../../cli/ingest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey } from '../../services/api-keys';
import type { TestApi } from '../helpers/api';
import type { TestDatabase } from '../helpers/database';
import { openTestbed, type Testbed } from '../helpers/testbed';

const trace = (id: string, overrides: Record<string, unknown> = {}) => ({
  id,
  sessionId: 'sess-1',
  timestamp: '2026-10-05T10:00:00Z',
  input: `question ${id}`,
  output: `answer ${id}`,
  ...overrides,
});
const ndjson = (rows: unknown[]) => rows.map((r) => (typeof r === 'string' ? r : JSON.stringify(r))).join('\n') + '\n';

describe('trace ingestion (POST /v1/traces and GraphQL)', () => {
  let database: TestDatabase;
  let api: TestApi;
  let adminKey: string;
  let bed: Testbed;
  let projectId: string;
  let ingestKey: string;

  const post = (body: string | Uint8Array, opts: { key?: string | null; projectId?: string | null; headers?: Record<string, string> } = {}) => {
    const key = opts.key === undefined ? ingestKey : opts.key;
    const pid = opts.projectId === undefined ? projectId : opts.projectId;
    return fetch(`${api.baseUrl}/v1/traces${pid ? `?projectId=${pid}` : ''}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-ndjson', ...(key ? { authorization: `Bearer ${key}` } : {}), ...opts.headers },
      body: typeof body === 'string' ? body : new Blob([new Uint8Array(body)]),
    });
  };

  beforeAll(async () => {
    bed = await openTestbed({ worker: false });
    ({ database, api, admin: adminKey } = bed);
    projectId = (await database.db.project.create({ data: { name: 'ingest' } })).id;
    ingestKey = (await createApiKey(database.db, { name: 'ingest', role: 'ingest', projectId })).plain;
  });
  afterAll(async () => {
    await bed?.close();
  });

  it('stores valid lines, rejects bad ones with line number and reason, in one upload', async () => {
    const body = ndjson([
      trace('t1', { release: 'v1', slice: { intent: 'billing' }, latencyMs: 120, context: [{ id: 'doc1', text: 'refund policy' }] }),
      '{"id": "broken", ',
      trace('t2', { release: 'v1', turn: 1, slice: { intent: 'billing' } }),
      { sessionId: 's', timestamp: '2026-10-05T10:00:00Z', input: 'x', output: 'y' },
      trace('t3', { latencyMs: 'slow' }),
      '[1,2,3]',
      trace('t4', { sesionId: 'typo' }),
      '',
      trace('t5', { timestamp: 'yesterday' }),
    ]);
    const response = await post(body);
    expect(response.status).toBe(200);
    const summary = await response.json();
    expect(summary).toMatchObject({ received: 8, accepted: 2, updated: 0, duplicates: 0, rejected: 6, errorsTruncated: false });
    expect(summary.errors.map((e: { line: number }) => e.line)).toEqual([2, 4, 5, 6, 7, 9]);
    const reasons = summary.errors.map((e: { reason: string }) => e.reason).join('\n');
    expect(reasons).toMatch(/line 2: invalid JSON/);
    expect(reasons).toMatch(/line 4: .*`id`/);
    expect(reasons).toMatch(/line 5: .*latencyMs/);
    expect(reasons).toMatch(/line 6: .*object/);
    expect(reasons).toMatch(/line 7: .*sesionId/);
    expect(reasons).toMatch(/line 9: .*timestamp/);
    const stored = await database.db.trace.findMany({ where: { projectId }, orderBy: { externalId: 'asc' }, include: { release: true } });
    expect(stored.map((t) => t.externalId)).toEqual(['t1', 't2']);
    expect(stored[0]!.release?.name).toBe('v1');
    expect(stored[0]!.context).toEqual([{ id: 'doc1', text: 'refund policy' }]);
  });

  it('is idempotent: the same ids again are duplicates, a changed trace is an update, never a second row', async () => {
    const again = await (await post(ndjson([trace('t1', { release: 'v1', slice: { intent: 'billing' }, latencyMs: 120, context: [{ id: 'doc1', text: 'refund policy' }] })]))).json();
    expect(again).toMatchObject({ accepted: 0, updated: 0, duplicates: 1, rejected: 0 });
    const changed = await (await post(ndjson([trace('t2', { release: 'v2', turn: 1, slice: { intent: 'billing' }, output: 'better answer' })]))).json();
    expect(changed).toMatchObject({ accepted: 0, updated: 1, duplicates: 0 });
    const row = await database.db.trace.findUniqueOrThrow({ where: { projectId_externalId: { projectId, externalId: 't2' } }, include: { release: true } });
    expect(row.output).toBe('better answer');
    expect(row.release?.name).toBe('v2');
    // The same id twice in one upload: one row, the later version.
    const twice = await (await post(ndjson([trace('t6', { output: 'first' }), trace('t6', { output: 'second' })]))).json();
    expect(twice).toMatchObject({ accepted: 1, duplicates: 1 });
    expect((await database.db.trace.findFirstOrThrow({ where: { projectId, externalId: 't6' } })).output).toBe('second');
    expect(await database.db.trace.count({ where: { projectId } })).toBe(3);
  });

  it('accepts gzip, refuses a broken gzip body and non-NDJSON media types', async () => {
    const gz = await post(gzipSync(ndjson([trace('g1'), trace('g2')])), { headers: { 'content-encoding': 'gzip' } });
    expect(await gz.json()).toMatchObject({ accepted: 2, rejected: 0 });
    const broken = await post(Buffer.from('definitely not gzip'), { headers: { 'content-encoding': 'gzip' } });
    expect(broken.status).toBe(400);
    expect((await broken.json()).error.message).toMatch(/could not be read/);
    const xml = await post('<traces/>', { headers: { 'content-type': 'application/xml' } });
    expect(xml.status).toBe(415);
  });

  it('rejects an oversized line by number and keeps the lines around it', async () => {
    const huge = trace('big', { input: 'x'.repeat(1_200_000) });
    const summary = await (await post(ndjson([trace('before'), huge, trace('after')]))).json();
    expect(summary).toMatchObject({ accepted: 2, rejected: 1 });
    expect(summary.errors[0]).toMatchObject({ line: 2 });
    expect(summary.errors[0].reason).toMatch(/over the 1\.0 MB limit/);
  });

  it('checks the key, its role and its project', async () => {
    const other = (await database.db.project.create({ data: { name: 'other' } })).id;
    const viewer = (await createApiKey(database.db, { name: 'v', role: 'viewer', projectId })).plain;
    const reviewer = (await createApiKey(database.db, { name: 'r', role: 'reviewer', projectId })).plain;
    const before = await database.db.trace.count();
    const body = ndjson([trace('sneaky')]);
    expect((await post(body, { key: null })).status).toBe(401);
    expect((await post(body, { key: 'efw_wrong' })).status).toBe(401);
    expect((await post(body, { key: viewer })).status).toBe(403);
    expect((await post(body, { key: reviewer })).status).toBe(403);
    expect((await post(body, { projectId: other })).status).toBe(403);
    const unknown = await post(body, { key: adminKey, projectId: '00000000-0000-4000-8000-000000000000' });
    expect(unknown.status).toBe(404);
    const badId = await post(body, { key: adminKey, projectId: "x' OR 1=1 --" });
    expect(badId.status).toBe(400);
    expect(await database.db.trace.count()).toBe(before);
    // A project-scoped key needs no projectId.
    expect(await (await post(ndjson([trace('scoped')]), { projectId: null })).json()).toMatchObject({ accepted: 1 });
  });

  it('derives signals from the session and re-derives them when later turns and feedback arrive', async () => {
    const s = (id: string, turn: number, input: string, extra: Record<string, unknown> = {}) =>
      trace(id, { sessionId: 'sig-1', turn, input, timestamp: `2026-10-06T10:0${turn}:00Z`, ...extra });
    await post(ndjson([s('q1', 1, 'how do I reset my password'), s('q2', 2, 'how can I reset my password??')]));
    const signalsOf = async (externalId: string) => {
      const row = await database.db.trace.findFirstOrThrow({ where: { projectId, externalId }, include: { signals: true } });
      return { kinds: row.signals.map((x) => x.kind).sort(), negative: row.negativeSignals.sort(), signals: row.signals };
    };
    let q1 = await signalsOf('q1');
    expect(q1.kinds).toContain('rephrase');
    expect(q1.signals.find((x) => x.kind === 'rephrase')!.derivation).toMatch(/similarity/);
    expect((await signalsOf('q2')).kinds).toContain('abandoned');

    // A later turn arrives: q2 is no longer the session's last turn.
    await post(ndjson([s('q3', 3, 'thanks, and how do I change my email?', { feedback: { thumb: 'up' } })]));
    expect((await signalsOf('q2')).kinds).not.toContain('abandoned');
    expect((await signalsOf('q2')).kinds).toContain('follow_up');
    expect((await signalsOf('q3')).kinds).toEqual(['thumbs_up']);

    const fb = await api.graphql(
      'mutation($p: ID!) { recordFeedback(projectId: $p, feedback: { traceId: "q1", thumb: down, rating: 1, comment: "wrong steps", events: { escalated: true } }) { externalId feedback { thumb rating comment } events { escalated } negativeSignals signals { kind derivation } } }',
      { p: projectId },
      ingestKey,
    );
    expect(fb.errors).toBeUndefined();
    expect(fb.data!.recordFeedback.feedback).toEqual({ thumb: 'down', rating: 1, comment: 'wrong steps' });
    expect(fb.data!.recordFeedback.negativeSignals.sort()).toEqual(['escalated', 'low_rating', 'rephrase', 'thumbs_down']);
    q1 = await signalsOf('q1');
    expect(q1.negative).toEqual(['escalated', 'low_rating', 'rephrase', 'thumbs_down']);
    // Re-sending q1 without feedback keeps the feedback recorded later.
    await post(ndjson([s('q1', 1, 'how do I reset my password', { output: 'a changed answer' })]));
    expect((await database.db.trace.findFirstOrThrow({ where: { projectId, externalId: 'q1' } })).thumb).toBe('down');

    const bad = await api.graphql('mutation($p: ID!) { recordFeedback(projectId: $p, feedback: { traceId: "q1", rating: 9 }) { id } }', { p: projectId }, ingestKey);
    expect(bad.errors?.[0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT' } });
    expect(bad.errors?.[0]?.message).toMatch(/rating/);
    const none = await api.graphql('mutation($p: ID!) { recordFeedback(projectId: $p, feedback: { traceId: "nope", thumb: up }) { id } }', { p: projectId }, ingestKey);
    expect(none.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
  });

  it('ingests small batches through GraphQL with the same validation', async () => {
    const result = await api.graphql(
      'mutation($p: ID!, $t: [JSON!]!) { ingestTraces(projectId: $p, traces: $t) { received accepted duplicates rejected errors { line reason } } }',
      { p: projectId, t: [trace('gql1', { release: 'v3', slice: { intent: 'shipping', tier: 'free' } }), { id: 'gql2' }, trace('gql1', { release: 'v3', slice: { intent: 'shipping', tier: 'free' } })] },
      ingestKey,
    );
    expect(result.data!.ingestTraces).toMatchObject({ received: 3, accepted: 1, duplicates: 1, rejected: 1 });
    expect(result.data!.ingestTraces.errors[0].reason).toMatch(/item 2: .*sessionId/);
    const tooMany = await api.graphql('mutation($p: ID!, $t: [JSON!]!) { ingestTraces(projectId: $p, traces: $t) { accepted } }', { p: projectId, t: Array.from({ length: 1001 }, (_, i) => trace(`m${i}`)) }, ingestKey);
    expect(tooMany.errors?.[0]?.message).toMatch(/at most 1000/);
  });

  it('queries traces with filters and cursors, slices and releases', async () => {
    const q = `query($p: ID!, $f: TraceFilter, $first: Int, $after: String) { traces(projectId: $p, filter: $f, first: $first, after: $after) { totalCount pageInfo { hasNextPage endCursor } edges { node { externalId release } } } }`;
    const all = await api.graphql(q, { p: projectId, first: 3 }, adminKey);
    const total = all.data!.traces.totalCount as number;
    expect(total).toBe(await database.db.trace.count({ where: { projectId } }));
    const seen: string[] = [];
    let after: string | null = null;
    for (;;) {
      const page: any = await api.graphql(q, { p: projectId, first: 3, after }, adminKey);
      seen.push(...page.data.traces.edges.map((e: { node: { externalId: string } }) => e.node.externalId));
      if (!page.data.traces.pageInfo.hasNextPage) break;
      after = page.data.traces.pageInfo.endCursor;
    }
    expect(new Set(seen).size).toBe(total);
    expect(seen.length).toBe(total);

    const byRelease = await api.graphql(q, { p: projectId, f: { release: 'v3' } }, adminKey);
    expect(byRelease.data!.traces.edges.map((e: any) => e.node.externalId)).toEqual(['gql1']);
    const bySlice = await api.graphql(q, { p: projectId, f: { slice: [{ key: 'intent', value: 'billing' }] } }, adminKey);
    expect(bySlice.data!.traces.edges.map((e: any) => e.node.externalId).sort()).toEqual(['t1', 't2']);
    const bySignal = await api.graphql(q, { p: projectId, f: { signals: ['thumbs_down', 'rephrase'] } }, adminKey);
    expect(bySignal.data!.traces.edges.map((e: any) => e.node.externalId)).toEqual(['q1']);
    const byText = await api.graphql(q, { p: projectId, f: { text: "PASSWORD%' OR 1=1" } }, adminKey);
    expect(byText.data!.traces.totalCount).toBe(0);
    const byText2 = await api.graphql(q, { p: projectId, f: { text: 'PASSWORD' } }, adminKey);
    expect(byText2.data!.traces.totalCount).toBe(2);
    const byTime = await api.graphql(q, { p: projectId, f: { since: '2026-10-06T00:00:00Z', until: '2026-10-07T00:00:00Z' } }, adminKey);
    expect(byTime.data!.traces.totalCount).toBe(3);
    const badSignal = await api.graphql(q, { p: projectId, f: { signals: ['nonsense'] } }, adminKey);
    expect(badSignal.errors?.[0]?.message).toMatch(/unknown signal/);
    const badCursor = await api.graphql(q, { p: projectId, after: 'garbage' }, adminKey);
    expect(badCursor.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');

    const dist = await api.graphql('query($p: ID!) { sliceDistribution(projectId: $p) { totalTraces dimensions { key untagged values { value count share } } } }', { p: projectId }, adminKey);
    const intent = dist.data!.sliceDistribution.dimensions.find((d: any) => d.key === 'intent');
    expect(intent.values).toEqual([
      { value: 'billing', count: 2, share: 2 / total },
      { value: 'shipping', count: 1, share: 1 / total },
    ]);
    expect(intent.untagged).toBe(total - 3);
    const releases = await api.graphql('query($p: ID!) { releases(projectId: $p) { name traceCount } }', { p: projectId }, adminKey);
    expect(releases.data!.releases).toEqual([
      { name: 'v1', traceCount: 1 },
      { name: 'v2', traceCount: 1 },
      { name: 'v3', traceCount: 1 },
    ]);
  });

  it('ingests a gzip file through the CLI path and prints the same summary', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'cli-ingest-'));
    const file = path.join(dir, 'traces.ndjson.gz');
    await writeFile(file, gzipSync(ndjson([trace('cli1', { sessionId: 'cli' }), '{"oops"', trace('cli2', { sessionId: 'cli', turn: 2 })])));
    const summary = await ingestFile(file, { project: projectId, url: api.baseUrl, key: ingestKey, dataDir: dir });
    expect(summary).toMatchObject({ received: 3, accepted: 2, rejected: 1 });
    expect(formatIngestSummary(summary)).toMatch(/accepted 2 .*rejected 1\n  line 2: invalid JSON/);
    await expect(ingestFile(file, { project: projectId, url: api.baseUrl, key: 'efw_bad', dataDir: dir })).rejects.toThrow(/401 UNAUTHENTICATED/);
  });

  it('redacts PII before anything is stored when the project asks for it', async () => {
    const project = (await database.db.project.create({ data: { name: 'pii' } })).id;
    const key = (await createApiKey(database.db, { name: 'pii-ingest', role: 'ingest', projectId: project })).plain;
    const set = await api.graphql('mutation($p: ID!) { setRedaction(projectId: $p, redaction: { enabled: true }) }', { p: project }, adminKey);
    expect(set.data!.setRedaction).toMatchObject({ enabled: true, patterns: ['email', 'phone', 'card'] });
    const bad = await api.graphql('mutation($p: ID!) { setRedaction(projectId: $p, redaction: { enabled: true, custom: ["(oops"] }) }', { p: project }, adminKey);
    expect(bad.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    const response = await post(
      ndjson([trace('pii1', { input: 'I am jane@example.com, card 4111 1111 1111 1111', output: 'Call us on +1 (555) 123-4567', context: [{ id: 'd', text: 'owner: bob@example.org' }], feedback: { comment: 'reach me at x@y.io' } })]),
      { key, projectId: project },
    );
    expect(await response.json()).toMatchObject({ accepted: 1 });
    const row = await database.db.trace.findFirstOrThrow({ where: { projectId: project, externalId: 'pii1' } });
    expect(row.input).toBe('I am [EMAIL], card [CARD]');
    expect(row.output).toBe('Call us on [PHONE]');
    expect(row.context).toEqual([{ id: 'd', text: 'owner: [EMAIL]' }]);
    expect(row.feedbackComment).toBe('reach me at [EMAIL]');
    const stored = JSON.stringify(await database.db.trace.findMany({ where: { projectId: project } }));
    expect(stored).not.toMatch(/jane@example|4111 1111|555\) 123/);
    await api.graphql('mutation($p: ID!) { recordFeedback(projectId: $p, feedback: { traceId: "pii1", comment: "mail z@z.org" }) { id } }', { p: project }, key);
    expect((await database.db.trace.findFirstOrThrow({ where: { projectId: project, externalId: 'pii1' } })).feedbackComment).toBe('mail [EMAIL]');
  });

  it('keeps whole batches when the client disconnects mid-upload, and a re-send completes it without duplicates', async () => {
    const project = (await database.db.project.create({ data: { name: 'interrupted' } })).id;
    const key = (await createApiKey(database.db, { name: 'int-ingest', role: 'ingest', projectId: project })).plain;
    const lines = Array.from({ length: 2600 }, (_, i) => JSON.stringify(trace(`cut-${i}`, { sessionId: `cut-s${Math.floor(i / 3)}` })) + '\n');
    const { request } = await import('node:http');
    const url = new URL(`${api.baseUrl}/v1/traces?projectId=${project}`);
    await new Promise<void>((resolve) => {
      const req = request(url, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/x-ndjson' } });
      req.on('error', () => resolve());
      req.on('close', () => resolve());
      // 2,300 lines: two full batches of 1000 and a partial third, then the client goes away.
      req.write(lines.slice(0, 2300).join(''));
      setTimeout(() => req.destroy(), 1500);
    });
    // Committed batches are whole; the partial one is not half-written.
    let stored = 0;
    for (let i = 0; i < 50; i += 1) {
      stored = await database.db.trace.count({ where: { projectId: project } });
      await new Promise((r) => setTimeout(r, 100));
      if (stored === (await database.db.trace.count({ where: { projectId: project } })) && i > 5) break;
    }
    expect(stored % 1000).toBe(0);
    expect(stored).toBeLessThanOrEqual(2000);
    const resent = await (await post(lines.join(''), { key, projectId: project })).json();
    expect(resent).toMatchObject({ received: 2600, accepted: 2600 - stored, duplicates: stored, rejected: 0 });
    expect(await database.db.trace.count({ where: { projectId: project } })).toBe(2600);
  });
});
