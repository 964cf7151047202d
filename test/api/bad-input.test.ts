// The rows of README "Limits and bad input" that limits.test.ts and ingestion.test.ts do not
// cover: each bad request gets a clear error, the service still answers the next request,
// and the data stored before is unchanged.
import { buildSchema, getNamedType, getNullableType, isEnumType, isInputObjectType, isListType, isNonNullType, isScalarType, type GraphQLInputObjectType, type GraphQLInputType } from 'graphql';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey } from '../../services/api-keys';
import { ingestParsedTraces, validateTraceItems } from '../../services/ingestion/ingest-traces';
import type { TestApi } from '../helpers/api';
import type { TestDatabase } from '../helpers/database';
import { syntheticTraces } from '../helpers/synthetic';
import { openTestbed, type Testbed } from '../helpers/testbed';

const SCHEMA = buildSchema(readFileSync(path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../api/schema.graphql'), 'utf8'));
const BAD_ID = "1' OR '1'='1";
const UNKNOWN_ID = '00000000-0000-4000-8000-000000000000';
const LABEL = { correctness: 4, relevance: 4, clarity: 4, calibration: 4, length: 3, verdict: 'pass' };

describe('bad input', () => {
  let database: TestDatabase;
  let api: TestApi;
  let admin: string;
  let bed: Testbed;
  let projectId: string;
  let reviewer: string;
  let openTasks: string[];

  const code = (result: { errors?: { extensions?: { code?: string } }[] }) => result.errors?.[0]?.extensions?.code;
  const post = (body: string | Uint8Array, key = admin) =>
    fetch(`${api.baseUrl}/v1/traces?projectId=${projectId}`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/x-ndjson' }, body: typeof body === 'string' ? body : new Blob([new Uint8Array(body)]) });
  const traceCount = () => database.db.trace.count({ where: { projectId } });

  /** The service answers the next request and the stored traces are still all there. */
  async function expectStillUp(tracesBefore?: number) {
    const next = await api.graphql('query($p: ID!) { traces(projectId: $p, first: 1) { totalCount } }', { p: projectId }, admin);
    expect(next.errors).toBeUndefined();
    if (tracesBefore !== undefined) expect(next.data!.traces.totalCount).toBe(tracesBefore);
    expect((await fetch(`${api.baseUrl}/healthz`)).status).toBe(200);
  }

  beforeAll(async () => {
    process.env.FLYWHEEL_RATE_LIMIT_PER_MINUTE = '100000';
    bed = await openTestbed();
    ({ database, api, admin } = bed);
    projectId = (await database.db.project.create({ data: { name: 'bad-input' } })).id;
    reviewer = (await createApiKey(database.db, { name: 'reviewer', role: 'reviewer', projectId })).plain;
    await ingestParsedTraces(database.db, projectId, validateTraceItems(syntheticTraces(60, { prefix: 'bad-', month: '2025-01' })));
    const settings = await api.graphql('mutation($p: ID!) { setSamplingPolicy(projectId: $p, policy: { sampleSize: 8, sliceFloor: 1 }) setLabelingSettings(projectId: $p, settings: { doubleLabelShare: 0, minDoubleLabelled: 0 }) }', { p: projectId }, admin);
    expect(settings.errors).toBeUndefined();
    const run = await api.graphql('mutation($p: ID!) { startFlywheelRun(projectId: $p, periodStart: "2025-01-01T00:00:00Z", periodEnd: "2025-02-01T00:00:00Z") { id } }', { p: projectId }, admin);
    const runId = run.data!.startFlywheelRun.id as string;
    const deadline = Date.now() + 60_000;
    for (;;) {
      const state = await database.db.flywheelRun.findUniqueOrThrow({ where: { id: runId } });
      openTasks = (await database.db.labelTask.findMany({ where: { runId, status: 'open' }, select: { id: true } })).map((t) => t.id);
      if (state.stage === 'labeling' && openTasks.length === 8) break;
      if (Date.now() > deadline) throw new Error('the run did not reach labeling');
      await new Promise((r) => setTimeout(r, 200));
    }
  }, 120_000);
  afterAll(async () => {
    await bed?.close();
  });

  describe('malformed and mistyped GraphQL', () => {
    it('answers a body that is not JSON, and a query that does not parse, with 400 and a reason', async () => {
      const before = await traceCount();
      const notJson = await fetch(`${api.baseUrl}/graphql`, { method: 'POST', headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' }, body: '{"query": "{ viewer { id } }"' });
      expect(notJson.status).toBe(400);
      // graphql-yoga answers documents that do not parse or validate with 200 and errors, as GraphQL over HTTP allows for JSON.
      const syntax = await api.graphql('{ viewer { id }', {}, admin);
      expect(syntax.data ?? null).toBeNull();
      expect(syntax.errors?.[0]?.message).toMatch(/Syntax Error/);
      const unknownField = await api.graphql('{ viewer { password } }', {}, admin);
      expect(unknownField.data ?? null).toBeNull();
      expect(unknownField.errors?.[0]?.message).toMatch(/Cannot query field "password"/);
      await expectStillUp(before);
    });

    it('refuses variables of the wrong type before running anything', async () => {
      const before = await traceCount();
      const wrongInt = await api.graphql('query($p: ID!, $n: Int) { traces(projectId: $p, first: $n) { totalCount } }', { p: projectId, n: 'ten' }, admin);
      expect(wrongInt.status).toBe(400);
      expect(wrongInt.errors?.[0]?.message).toMatch(/\$n.*Int/);
      const wrongEnum = await api.graphql('mutation($t: ID!, $l: LabelInput!) { submitLabel(taskId: $t, label: $l) { status } }', { t: openTasks[0], l: { ...LABEL, verdict: 'maybe' } }, reviewer);
      expect(wrongEnum.status).toBe(400);
      expect(wrongEnum.errors?.[0]?.message).toMatch(/verdict/);
      const notAnObject = await api.graphql('mutation($p: ID!) { setSamplingPolicy(projectId: $p, policy: "everything") }', { p: projectId }, admin);
      expect(code(notAnObject)).toBe('BAD_USER_INPUT');
      const badDate = await api.graphql('query($p: ID!) { traces(projectId: $p, filter: { since: "last tuesday" }) { totalCount } }', { p: projectId }, admin);
      expect(badDate.errors?.[0]?.message).toMatch(/ISO 8601/);
      await expectStillUp(before);
    });

    it('refuses page sizes out of range and bad cursors', async () => {
      for (const first of [0, -1, 201, 1_000_000]) {
        const result = await api.graphql('query($p: ID!, $n: Int) { traces(projectId: $p, first: $n) { totalCount } }', { p: projectId, n: first }, admin);
        expect(result.errors?.[0]?.message).toMatch(/first must be between 1 and 200/);
      }
      // A large `first` on a list is priced by the cost limit before the page-size check runs.
      const tooMany = await api.graphql('query($p: ID!) { agreementReports(projectId: $p, first: 100000) { id } }', { p: projectId }, admin);
      expect(tooMany.errors?.[0]?.message).toMatch(/Cost limit of 5000 exceeded/);
      const justOver = await api.graphql('query($p: ID!) { agreementReports(projectId: $p, first: 501) { id } }', { p: projectId }, admin);
      expect(justOver.errors?.[0]?.message).toMatch(/first must be between 1 and 500|Cost limit/);
      await expectStillUp();
    });
  });

  describe('expensive GraphQL', () => {
    it('refuses a query over the token limit', async () => {
      const fields = Array.from({ length: 6000 }, () => 'id').join(' ');
      const result = await api.graphql(`{ viewer { ${fields} } }`, {}, admin);
      expect(result.errors?.[0]?.message).toMatch(/token/i);
      await expectStillUp();
    });

    it('refuses a query over the cost limit though within depth and aliases', async () => {
      // Lists inside lists: cost multiplies with each level while depth stays under 10.
      const query = `{ projects(first: 200) { edges { node { flywheelRuns(first: 200) { edges { node { id stage status traceCount project { id name flywheelRuns(first: 200) { edges { node { id } } } } } } } } } } }`;
      const result = await api.graphql(query, {}, admin);
      expect(result.errors?.[0]?.message).toMatch(/cost/i);
      expect(result.data ?? null).toBeNull();
      await expectStillUp();
    });

    it('refuses too many directives', async () => {
      const result = await api.graphql(`{ viewer { id ${Array.from({ length: 30 }, () => '@include(if: true)').join(' ')} } }`, {}, admin);
      expect(result.errors?.[0]?.message).toMatch(/directive/i);
      await expectStillUp();
    });

    it('refuses JSON arguments nested deeper than 64 levels', async () => {
      let deep: unknown = 1;
      for (let i = 0; i < 1000; i += 1) deep = { a: deep };
      const result = await api.graphql('mutation($p: ID!, $v: JSON!) { setJudgeSettings(projectId: $p, settings: $v) }', { p: projectId, v: deep }, admin);
      expect(code(result)).toBe('BAD_USER_INPUT');
      expect(result.errors?.[0]?.message).toMatch(/nested more than 64 levels/);
      await expectStillUp();
    });
  });

  describe('ids', () => {
    const PER_ITEM_ID_ARGUMENTS = new Set(['supplyReleaseAnswers(answers.caseId)']);
    // Every ID argument of every root field (and ID fields of input objects), given something
    // that is not a UUID, alone: the answer is BAD_USER_INPUT naming it, never a masked error.
    const cases: { field: string; kind: 'query' | 'mutation'; arg: string }[] = [];
    for (const [kind, type] of [['query', SCHEMA.getQueryType()!], ['mutation', SCHEMA.getMutationType()!]] as const) {
      for (const field of Object.values(type.getFields())) {
        for (const arg of field.args) {
          const named = getNamedType(arg.type);
          if (named.name === 'ID' && arg.name !== 'projectId') cases.push({ field: field.name, kind, arg: arg.name });
          if (isInputObjectType(named)) for (const inner of Object.values(named.getFields())) if (getNamedType(inner.type).name === 'ID') cases.push({ field: field.name, kind, arg: `${arg.name}.${inner.name}` });
        }
        if (field.args.some((a) => a.name === 'projectId')) cases.push({ field: field.name, kind, arg: 'projectId' });
      }
    }

    /** A valid-looking value for an input type; `ID`s are this project's id or an unknown UUID. */
    function valueFor(type: GraphQLInputType, name: string): unknown {
      const inner = getNullableType(type);
      if (isListType(inner)) return [valueFor(inner.ofType, name)];
      if (isEnumType(inner)) return inner.getValues()[0]!.value;
      if (isInputObjectType(inner)) {
        if (inner.name === 'LabelInput') return LABEL;
        return Object.fromEntries(Object.values(inner.getFields()).filter((f) => isNonNullType(f.type)).map((f) => [f.name, valueFor(f.type, f.name)]));
      }
      if (isScalarType(inner)) {
        if (inner.name === 'ID') return name === 'projectId' ? projectId : UNKNOWN_ID;
        if (inner.name === 'Int') return 1;
        if (inner.name === 'Float') return 1;
        if (inner.name === 'Boolean') return true;
        if (inner.name === 'DateTime') return '2025-01-01T00:00:00Z';
        if (inner.name === 'JSON') return {};
        if (name === 'kind') return 'pairwise';
        if (name === 'jsonl') return '{"caseKey":"k","input":"q"}';
        return 'x';
      }
      return null;
    }

    it('covers every ID argument', () => {
      expect(cases.length).toBeGreaterThan(40);
    });

    it.each(cases.map((c) => [`${c.field}(${c.arg})`, c] as const))('%s', async (_, { field, kind, arg }) => {
      const definition = (kind === 'query' ? SCHEMA.getQueryType()! : SCHEMA.getMutationType()!).getFields()[field]!;
      const [outer, nested] = arg.split('.') as [string, string | undefined];
      const variables: Record<string, unknown> = {};
      // Required arguments, the one under test, and those that decide how far the call gets.
      const used = definition.args.filter((a) => isNonNullType(a.type) || a.name === outer || a.name === 'projectId' || a.name === 'jsonl');
      for (const a of used) variables[a.name] = valueFor(a.type, a.name);
      const outerArg = definition.args.find((a) => a.name === outer)!;
      const target = nested ? (getNamedType(outerArg.type) as GraphQLInputObjectType).getFields()[nested]!.type : outerArg.type;
      const bad = isListType(getNullableType(target)) ? [BAD_ID] : BAD_ID;
      if (nested) {
        const holder = variables[outer];
        (Array.isArray(holder) ? (holder[0] as Record<string, unknown>) : (holder as Record<string, unknown>))[nested] = bad;
      }
      else variables[outer] = bad;
      const signature = used.map((a) => `$${a.name}: ${a.type.toString()}`).join(', ');
      const call = used.map((a) => `${a.name}: $${a.name}`).join(', ');
      const returns = getNamedType(definition.type);
      // Batches of answers report a bad item by its number and keep the others, as uploads do.
      const perItem = PER_ITEM_ID_ARGUMENTS.has(`${field}(${arg})`);
      const selection = perItem ? '{ rejected errors { line reason } }' : isScalarType(returns) || isEnumType(returns) ? '' : `{ __typename }`;
      const document = `${kind}${signature ? `(${signature})` : ''} { ${field}${call ? `(${call})` : ''} ${selection} }`;
      const result = await api.graphql(document, variables, admin);
      if (perItem) {
        expect(result.errors).toBeUndefined();
        expect(result.data?.[field]).toMatchObject({ rejected: 1, errors: [{ line: 1, reason: expect.stringMatching(/UUID/) }] });
        return;
      }
      expect({ code: code(result), message: result.errors?.[0]?.message }).toMatchObject({ code: 'BAD_USER_INPUT', message: expect.stringMatching(/must be a UUID/) });
      expect(result.data?.[field] ?? null).toBeNull();
    });

    it('refuses a non-UUID id in the export route with 400 and keeps answering', async () => {
      const response = await fetch(`${api.baseUrl}/v1/eval-set-versions/${encodeURIComponent(BAD_ID)}/export`, { headers: { authorization: `Bearer ${admin}` } });
      expect(response.status).toBe(400);
      expect((await response.json()).error.message).toMatch(/must be a UUID/);
      await expectStillUp();
    });
  });

  describe('NDJSON bodies', () => {
    it('refuses an unsupported Content-Encoding with 415 and stores nothing from it', async () => {
      const before = await traceCount();
      const response = await fetch(`${api.baseUrl}/v1/traces?projectId=${projectId}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/x-ndjson', 'content-encoding': 'br' },
        body: JSON.stringify({ id: 'brotli', sessionId: 's', timestamp: '2025-03-01T00:00:00Z', input: 'i', output: 'o' }),
      });
      expect(response.status).toBe(415);
      expect((await response.json()).error.message).toMatch(/Content-Encoding br/);
      await expectStillUp(before);
    });
  });

  describe('unicode edge cases', () => {
    const kept = {
      rtl: 'مرحبا \u202Egnp.exe\u202C שלום',
      zeroWidth: 'pass\u200Bword\u200D\uFEFF',
      emoji: '👍🏽 👩‍👩‍👧‍👦 🏳️‍🌈',
      combining: `e${'\u0301'.repeat(10_000)}`,
      astral: '𝕳𝖊𝖑𝖑𝖔 \u{10FFFF}',
    };

    it('stores RTL, zero-width, emoji, astral and very long combining sequences exactly, and finds them', async () => {
      const rows = Object.entries(kept).map(([name, text]) => JSON.stringify({ id: `uni-${name}`, sessionId: 'uni', timestamp: '2025-03-01T00:00:00Z', input: text, output: `${name}: ${text}`, slice: { [text.slice(0, 50)]: text.slice(0, 50) } }));
      const summary = await (await post(rows.join('\n'))).json();
      expect(summary).toMatchObject({ accepted: 5, rejected: 0 });
      for (const [name, text] of Object.entries(kept)) {
        const stored = await database.db.trace.findFirstOrThrow({ where: { projectId, externalId: `uni-${name}` } });
        expect(stored.input).toBe(text);
        const found = await api.graphql('query($p: ID!, $t: String) { traces(projectId: $p, filter: { text: $t }) { edges { node { externalId input } } } }', { p: projectId, t: text.slice(0, 200) }, admin);
        expect(found.data!.traces.edges.map((e: { node: { externalId: string } }) => e.node.externalId)).toContain(`uni-${name}`);
      }
    });

    it('rejects NUL and lone surrogates by line in NDJSON, in raw and escaped form, keeping the other lines', async () => {
      const before = await traceCount();
      const base = { sessionId: 'uni-bad', timestamp: '2025-03-01T00:00:00Z', output: 'o' };
      const body = [
        JSON.stringify({ ...base, id: 'nul-escaped', input: 'a\u0000b' }),
        JSON.stringify({ ...base, id: 'lone-escaped', input: 'a\uD800b' }),
        `{"id":"lone-raw-low","sessionId":"s","timestamp":"2025-03-01T00:00:00Z","input":"x\\udfff","output":"o"}`,
        JSON.stringify({ ...base, id: 'fine-between', input: 'ok' }),
        JSON.stringify({ ...base, id: 'nul-in-key', input: 'k', metadata: { 'a\u0000': 1 } }),
      ].join('\n');
      const summary = await (await post(body)).json();
      expect(summary).toMatchObject({ accepted: 1, rejected: 4 });
      expect(summary.errors.map((e: { line: number }) => e.line)).toEqual([1, 2, 3, 5]);
      expect(summary.errors.map((e: { reason: string }) => e.reason).join('\n')).toMatch(/NUL[\s\S]*lone surrogate[\s\S]*lone surrogate[\s\S]*NUL/);
      // Bytes that are not UTF-8 at all become U+FFFD on reading (a lone surrogate cannot be encoded in UTF-8).
      const invalidUtf8 = Buffer.concat([Buffer.from('{"id":"bytes","sessionId":"s","timestamp":"2025-03-01T00:00:00Z","input":"a'), Buffer.from([0xff, 0xed, 0xa0, 0x80]), Buffer.from('b","output":"o"}\n')]);
      expect(await (await post(invalidUtf8)).json()).toMatchObject({ accepted: 1 });
      expect((await database.db.trace.findFirstOrThrow({ where: { projectId, externalId: 'bytes' } })).input).toMatch(/^a\uFFFD+b$/);
      await expectStillUp(before + 2);
    });

    it('refuses NUL and lone surrogates anywhere in a GraphQL request, naming where, before anything runs', async () => {
      const before = await traceCount();
      const task = openTasks.shift()!;
      const attempts = [
        api.graphql('query($p: ID!, $t: String) { traces(projectId: $p, filter: { text: $t }) { totalCount } }', { p: projectId, t: 'a\u0000' }, admin),
        api.graphql('mutation($t: ID!, $l: LabelInput!) { submitLabel(taskId: $t, label: $l) { status } }', { t: task, l: { ...LABEL, notes: 'bad \u0000 note' } }, reviewer),
        api.graphql('mutation($t: ID!, $l: LabelInput!) { submitLabel(taskId: $t, label: $l) { status } }', { t: task, l: { ...LABEL, expected: 'lone \uDC00' } }, reviewer),
        api.graphql('mutation($t: ID!) { skipTask(taskId: $t, reason: "nul \\u0000 in a literal") { status } }', { t: task }, reviewer),
        api.graphql('mutation($p: ID!, $c: String) { recordFeedback(projectId: $p, feedback: { traceId: "bad-1", comment: $c }) { id } }', { p: projectId, c: 'x\uD800' }, admin),
        api.graphql('mutation($p: ID!, $v: JSON!) { setSamplingPolicy(projectId: $p, policy: $v) }', { p: projectId, v: { sliceDimension: 'in\u0000tent' } }, admin),
        api.graphql('mutation { createProject(name: "nul\\u0000name") { id } }', {}, admin),
      ];
      // A lone surrogate escaped in a query literal does not even parse.
      const literal = await api.graphql('mutation($p: ID!) { recordFeedback(projectId: $p, feedback: { traceId: "bad-1", comment: "x\\ud800" }) { id } }', { p: projectId }, admin);
      expect(literal.errors?.[0]?.message).toMatch(/Invalid Unicode escape sequence/);
      for (const result of await Promise.all(attempts)) {
        expect(code(result)).toBe('BAD_USER_INPUT');
        expect(result.errors?.[0]?.message).toMatch(/NUL|lone surrogate/);
      }
      // The task was not touched and takes a proper label at once (the queue did not retry a failing write).
      expect(await database.db.labelTask.findUniqueOrThrow({ where: { id: task } })).toMatchObject({ status: 'open' });
      const labelled = await api.graphql('mutation($t: ID!, $l: LabelInput!) { submitLabel(taskId: $t, label: $l) { status duplicate } }', { t: task, l: { ...LABEL, notes: 'emoji fine 👍🏽' } }, reviewer);
      expect(labelled.data!.submitLabel).toEqual({ status: 'done', duplicate: false });
      await expectStillUp(before);
    });

    it('rejects NUL and lone surrogates inside uploaded JSONL (eval sets by line, imported labels by row)', async () => {
      const sets = await database.db.evalSet.count();
      const jsonl = ['{"caseKey":"ok","input":"fine"}', '{"caseKey":"bad","input":"a\\u0000b"}', '{"caseKey":"lone","input":"\\ud83d"}'].join('\n');
      const evalSet = await api.graphql('mutation($p: ID!, $j: String!) { importEvalSet(projectId: $p, name: "unicode", jsonl: $j) { version { id } } }', { p: projectId, j: jsonl }, admin);
      expect(code(evalSet)).toBe('BAD_USER_INPUT');
      expect(JSON.stringify(evalSet.errors?.[0]?.extensions)).toMatch(/"line":2.*NUL.*"line":3.*lone surrogate/);
      expect(await database.db.evalSet.count()).toBe(sets);
      const rows = [
        { itemId: 'q1', answerA: 'm1', answerB: 'm2', raterId: 'r1', raterKind: 'human', winner: 'A' },
        { itemId: 'q\u00002', answerA: 'm1', answerB: 'm2', raterId: 'r1', raterKind: 'human', winner: 'A' },
        { itemId: 'q3', answerA: 'm1', answerB: 'm2', raterId: 'r\uD800', raterKind: 'human', winner: 'B' },
      ].map((r) => JSON.stringify(r)).join('\n');
      const imported = await api.graphql('mutation($p: ID!, $j: String!) { importLabels(projectId: $p, dataset: "unicode", kind: "pairwise", jsonl: $j) { imported rejected errors { line reason } } }', { p: projectId, j: rows }, admin);
      expect(imported.errors).toBeUndefined();
      expect(imported.data!.importLabels).toMatchObject({ imported: 1, rejected: 2 });
      expect(imported.data!.importLabels.errors.map((e: { line: number }) => e.line)).toEqual([2, 3]);
      await expectStillUp();
    });
  });

  describe('injection attempts', () => {
    it('treats SQL and LIKE wildcards in text, slice, release and session filters as text', async () => {
      const rows = [
        { id: 'pct', input: 'discount 100% off', output: 'o' },
        { id: 'underscore', input: 'snake_case name', output: 'o' },
        { id: 'plain', input: 'discount 100 percent', output: 'o' },
      ].map((r) => JSON.stringify({ ...r, sessionId: 'inj', timestamp: '2025-03-02T00:00:00Z', slice: { intent: 'billing' }, release: "v1'; DROP TABLE trace; --" }));
      expect(await (await post(rows.join('\n'))).json()).toMatchObject({ accepted: 3 });
      const before = await traceCount();
      const q = 'query($p: ID!, $f: TraceFilter) { traces(projectId: $p, filter: $f) { totalCount edges { node { externalId } } } }';
      const ids = async (filter: Record<string, unknown>) => {
        const result = await api.graphql(q, { p: projectId, f: filter }, admin);
        expect(result.errors).toBeUndefined();
        return result.data!.traces.edges.map((e: { node: { externalId: string } }) => e.node.externalId).sort();
      };
      expect(await ids({ text: '100%' })).toEqual(['pct']);
      expect(await ids({ text: '%' })).toEqual(['pct']);
      expect(await ids({ text: 'e_c' })).toEqual(['underscore']);
      expect(await ids({ text: '_' })).toEqual(['underscore']);
      expect(await ids({ text: "' OR '1'='1" })).toEqual([]);
      expect(await ids({ text: '\\' })).toEqual([]);
      expect(await ids({ release: "v1'; DROP TABLE trace; --" })).toEqual(['pct', 'plain', 'underscore']);
      expect(await ids({ sessionId: "inj' OR 1=1 --" })).toEqual([]);
      expect(await ids({ slice: [{ key: "intent') OR 1=1 --", value: 'billing' }] })).toEqual([]);
      expect(await ids({ slice: [{ key: 'intent', value: "billing' OR '1'='1" }] })).toEqual([]);
      const dist = await api.graphql('query($p: ID!) { sliceDistribution(projectId: $p, since: "2025-03-02T00:00:00Z", until: "2025-03-03T00:00:00Z") { totalTraces } }', { p: projectId }, admin);
      expect(dist.data!.sliceDistribution.totalTraces).toBe(3);
      const agreement = await api.graphql('query($p: ID!) { importedAgreement(projectId: $p, dataset: "x\' OR 1=1 --", kind: "pairwise", groupA: { kind: human }, groupB: { kind: judge }) { rows } }', { p: projectId }, admin);
      expect(agreement.data!.importedAgreement).toMatchObject({ rows: 0 });
      await expectStillUp(before);
    });
  });

  describe('regular expressions', () => {
    it('runs a catastrophic raterIdPattern over many rows in linear time, and refuses invalid or non-RE2 ones', async () => {
      const evil = 'a'.repeat(60);
      const rows = Array.from({ length: 2000 }, (_, i) => JSON.stringify({ itemId: `q${i}`, answerA: 'm1', answerB: 'm2', raterId: `${evil}${i}!`, raterKind: i % 2 ? 'human' : 'judge', winner: 'A' })).join('\n');
      const imported = await api.graphql('mutation($p: ID!, $j: String!) { importLabels(projectId: $p, dataset: "redos", kind: "pairwise", jsonl: $j) { imported } }', { p: projectId, j: rows }, admin);
      expect(imported.data!.importLabels.imported).toBe(2000);
      const agreement = (pattern: string) =>
        api.graphql('query($p: ID!, $a: RaterFilter!) { importedAgreement(projectId: $p, dataset: "redos", kind: "pairwise", groupA: $a, groupB: { kind: judge }) { rows } }', { p: projectId, a: { kind: 'human', raterIdPattern: pattern } }, admin);
      // A backtracking engine needs ~2^60 steps per row for this pattern; RE2 finishes at once.
      const evilResult = await agreement('^(a+)+$');
      expect(evilResult.errors).toBeUndefined();
      expect(evilResult.data!.importedAgreement.rows).toBe(2000);
      for (const bad of ['(unclosed', '(?<=a)b', '(a)\\1', 'x'.repeat(501)]) {
        const refused = await agreement(bad);
        expect(code(refused)).toBe('BAD_USER_INPUT');
        expect(refused.errors?.[0]?.message).toMatch(/raterIdPattern/);
      }
      const badMapping = await api.graphql('mutation($p: ID!, $m: JSON) { importLabels(projectId: $p, dataset: "redos", kind: "pairwise", mapping: $m, jsonl: "{}") { imported } }', { p: projectId, m: { itemId: 'i', raterId: 'r', raterKind: { field: 'k', humanPattern: '(?<!x)y' }, answerA: 'a', answerB: 'b', winner: { field: 'w', A: ['A'], B: ['B'] } } }, admin);
      expect(code(badMapping)).toBe('BAD_USER_INPUT');
      expect(badMapping.errors?.[0]?.message).toMatch(/humanPattern/);
      await expectStillUp();
    });

    it('accepts a catastrophic custom redaction pattern and ingests long texts with it at once', async () => {
      const project = (await database.db.project.create({ data: { name: 'redos-redaction' } })).id;
      const set = await api.graphql('mutation($p: ID!) { setRedaction(projectId: $p, redaction: { enabled: true, custom: ["(a+)+b", "(x|xx)+y"] }) }', { p: project }, admin);
      expect(set.errors).toBeUndefined();
      const refused = await api.graphql('mutation($p: ID!) { setRedaction(projectId: $p, redaction: { enabled: true, custom: ["(?<=secret)\\\\d+"] }) }', { p: project }, admin);
      expect(code(refused)).toBe('BAD_USER_INPUT');
      const text = `${'a'.repeat(200_000)}!`;
      const response = await fetch(`${api.baseUrl}/v1/traces?projectId=${project}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/x-ndjson' },
        body: [JSON.stringify({ id: 'long', sessionId: 's', timestamp: '2025-03-01T00:00:00Z', input: text, output: 'aaab' })].join('\n'),
      });
      expect(await response.json()).toMatchObject({ accepted: 1 });
      const stored = await database.db.trace.findFirstOrThrow({ where: { projectId: project, externalId: 'long' } });
      expect(stored.input).toBe(text);
      expect(stored.output).toBe('[REDACTED]');
      await expectStillUp();
    });
  });
});
