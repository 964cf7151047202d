// Labelled runs grow versioned eval sets: merge, dedupe, adjudication flags, retries that
// add nothing, retirement that deletes nothing, diff, export and import round trip.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createActivities } from '../../activities';
import { exportEvalSetVersion } from '../../cli/export';
import { parseEvalSetJsonl } from '../../core/evalsets/export-formats';
import { createApiKey } from '../../services/api-keys';
import { ingestParsedTraces, validateTraceItems } from '../../services/ingestion/ingest-traces';
import type { TestApi } from '../helpers/api';
import type { TestDatabase } from '../helpers/database';
import { syntheticTraces } from '../helpers/synthetic';
import { openTestbed, type Testbed } from '../helpers/testbed';

const PERIOD = { periodStart: '2026-10-01T00:00:00Z', periodEnd: '2026-11-01T00:00:00Z' };
const pass = { correctness: 4, relevance: 5, clarity: 4, calibration: 4, length: 4, verdict: 'pass' };
const fail = { correctness: 1, relevance: 3, clarity: 4, calibration: 1, length: 3, verdict: 'fail', failureCategory: 'hallucination', expected: 'say the refund takes 5 days' };

describe('versioned eval sets', () => {
  let database: TestDatabase;
  let api: TestApi;
  let admin: string;
  let gql: Testbed['gql'];
  let bed: Testbed;
  let projectId: string;
  let reviewers: { id: string; key: string }[];
  const runs: string[] = [];

  async function runAndLabel(decide: (index: number, slot: number, doubled: boolean) => object) {
    const started = await gql('mutation($p: ID!, $s: DateTime, $e: DateTime) { startFlywheelRun(projectId: $p, periodStart: $s, periodEnd: $e) { id } }', { p: projectId, s: PERIOD.periodStart, e: PERIOD.periodEnd });
    const runId = started.startFlywheelRun.id as string;
    runs.push(runId);
    for (let i = 0; ; i += 1) {
      const state = await gql('query($id: ID!) { flywheelRun(id: $id) { labelingProgress { total } status } }', { id: runId });
      if (state.flywheelRun.labelingProgress?.total > 0) break;
      if (i > 200) throw new Error('no labeling queue');
      await new Promise((r) => setTimeout(r, 100));
    }
    const tasks = await database.db.labelTask.findMany({ where: { runId }, orderBy: [{ createdAt: 'asc' }, { sampleItemId: 'asc' }, { slot: 'asc' }] });
    const itemIndex = new Map<string, number>();
    for (const task of tasks) if (!itemIndex.has(task.sampleItemId)) itemIndex.set(task.sampleItemId, itemIndex.size);
    const doubled = new Set(tasks.filter((t) => t.slot === 2).map((t) => t.sampleItemId));
    for (const task of tasks) {
      const label = decide(itemIndex.get(task.sampleItemId)!, task.slot, doubled.has(task.sampleItemId));
      const result = await api.graphql('mutation($t: ID!, $l: LabelInput!) { submitLabel(taskId: $t, label: $l) { status } }', { t: task.id, l: label }, reviewers[task.slot - 1]!.key);
      expect(result.errors).toBeUndefined();
    }
    for (let i = 0; ; i += 1) {
      const state = await gql('query($id: ID!) { flywheelRun(id: $id) { status mergeReport } }', { id: runId });
      if (state.flywheelRun.status !== 'running') return { runId, ...state.flywheelRun };
      if (i > 300) throw new Error('run did not finish');
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  beforeAll(async () => {
    bed = await openTestbed();
    ({ database, api, admin, gql } = bed);
    projectId = (await database.db.project.create({ data: { name: 'sets', samplingPolicy: { sampleSize: 6, sliceFloor: 1 }, labelingSettings: { doubleLabelShare: 0, minDoubleLabelled: 2 } } })).id;
    await ingestParsedTraces(database.db, projectId, validateTraceItems(syntheticTraces(300, { prefix: 'es-' })));
    reviewers = await Promise.all([1, 2].map(async (i) => {
      const key = await createApiKey(database.db, { name: `reviewer ${i}`, role: 'reviewer', projectId });
      return { id: key.id, key: key.plain };
    }));
  });
  afterAll(async () => {
    await bed?.close();
  });

  it('merges a run into production and regression versions, flagging disagreements with both labels kept', async () => {
    // On double-labelled traces the reviewers disagree; of the others, the first two fail.
    const run = await runAndLabel((i, slot, doubled) => (doubled ? (slot === 2 ? fail : pass) : i < 2 ? fail : pass));
    expect(run.status).toBe('completed');
    const sets = (await gql('query($p: ID!) { evalSets(projectId: $p) { id name kind latestVersion { id version caseCount changelog counts runId } } }', { p: projectId })).evalSets;
    const production = sets.find((s: any) => s.kind === 'production');
    const regression = sets.find((s: any) => s.kind === 'regression');
    expect(production.latestVersion).toMatchObject({ version: 1, caseCount: 6, runId: run.runId });
    expect(production.latestVersion.changelog.added).toHaveLength(6);
    // Every trace with a failing label is a regression case, disputed ones included.
    const items = await database.db.sampleItem.findMany({ where: { runId: run.runId }, include: { tasks: { include: { label: true } } } });
    const failing = items.filter((item) => item.tasks.some((t) => t.label?.verdict === 'fail')).length;
    const doubled = items.filter((item) => item.tasks.length === 2).length;
    expect(doubled).toBe(2);
    expect(regression.latestVersion.caseCount).toBe(failing);
    expect(run.mergeReport.needsAdjudication).toBe(doubled);

    const cases = (await gql('query($v: ID!) { evalSetVersion(id: $v) { cases(first: 50) { totalCount edges { node { caseKey verdict needsAdjudication labels failureCategory expected sourceTraceId sourceRunId slice } } } } }', { v: production.latestVersion.id })).evalSetVersion.cases;
    expect(cases.totalCount).toBe(6);
    const disputed = cases.edges.map((e: any) => e.node).filter((c: any) => c.needsAdjudication);
    expect(disputed).toHaveLength(2);
    expect(disputed[0].verdict).toBeNull();
    expect(disputed[0].labels).toHaveLength(2);
    expect(cases.edges.every((e: any) => e.node.sourceRunId === run.runId && e.node.sourceTraceId)).toBe(true);

    // A retried merge makes no second version.
    const activities = createActivities(database.db);
    const again = await activities.mergeLabelsIntoEvalSets({ runId: run.runId, projectId, sliceDimension: 'intent' });
    expect(again.sets.find((s) => s.kind === 'production')!.versionId).toBe(production.latestVersion.id);
    expect(await database.db.evalSetVersion.count()).toBe(2);
    expect(await database.db.evalCase.count()).toBe(6 + failing);
  });

  it('grows the production set with the next run; old versions read exactly as they were', async () => {
    const [production] = (await gql('query($p: ID!) { evalSets(projectId: $p) { id kind latestVersion { id version } } }', { p: projectId })).evalSets.filter((s: any) => s.kind === 'production');
    const v1 = production.latestVersion;
    const v1Cases = (await gql('query($v: ID!) { evalSetVersion(id: $v) { contentHash cases(first: 50) { edges { node { id contentHash } } } } }', { v: v1.id })).evalSetVersion;

    await runAndLabel(() => pass);
    const versions = (await gql('query($p: ID!) { evalSets(projectId: $p) { kind versions { id version parentId caseCount changelog } } }', { p: projectId })).evalSets.find((s: any) => s.kind === 'production').versions;
    expect(versions.map((v: any) => v.version)).toEqual([1, 2]);
    expect(versions[1].parentId).toBe(v1.id);
    expect(versions[1].caseCount).toBe(6 + versions[1].changelog.added.length);
    expect(versions[1].changelog.added.length).toBeGreaterThan(0);

    const v1Again = (await gql('query($v: ID!) { evalSetVersion(id: $v) { contentHash cases(first: 50) { edges { node { id contentHash } } } } }', { v: v1.id })).evalSetVersion;
    expect(v1Again).toEqual(v1Cases);

    const diff = (await gql('query($a: ID!, $b: ID!) { diffEvalSetVersions(a: $a, b: $b) { added retired changed unchanged } }', { a: v1.id, b: versions[1].id })).diffEvalSetVersions;
    expect(diff).toEqual({ added: versions[1].changelog.added, retired: [], changed: [], unchanged: 6 });
  });

  it('retires a case by hand into a new version without deleting it', async () => {
    const production = (await gql('query($p: ID!) { evalSets(projectId: $p) { kind latestVersion { id version caseCount cases(first: 1) { edges { node { id caseKey } } } } } }', { p: projectId })).evalSets.find((s: any) => s.kind === 'production');
    const before = production.latestVersion;
    const target = before.cases.edges[0].node;
    const retired = (await gql('mutation($c: ID!) { retireEvalCase(caseId: $c, reason: "policy changed") { id version caseCount parentId changelog } }', { c: target.id })).retireEvalCase;
    expect(retired).toMatchObject({ version: before.version + 1, caseCount: before.caseCount - 1, parentId: before.id });
    expect(retired.changelog.retired).toEqual([target.caseKey]);
    expect(retired.changelog.retiredReasons[target.caseKey]).toBe('policy changed');
    const still = await database.db.evalCase.findUniqueOrThrow({ where: { id: target.id } });
    expect(still.retiredReason).toBe('policy changed');
    const old = (await gql('query($v: ID!) { evalSetVersion(id: $v) { cases(first: 100) { totalCount } } }', { v: before.id })).evalSetVersion;
    expect(old.cases.totalCount).toBe(before.caseCount);
    const twice = await api.graphql('mutation($c: ID!) { retireEvalCase(caseId: $c, reason: "again") { id } }', { c: target.id }, admin);
    expect(twice.errors?.[0]?.extensions?.code).toBe('CONFLICT');
    const viewer = (await createApiKey(database.db, { name: 'viewer', role: 'viewer', projectId })).plain;
    expect((await api.graphql('mutation($c: ID!) { retireEvalCase(caseId: $c, reason: "x") { id } }', { c: target.id }, viewer)).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });

  it('exports a version as JSONL, promptfoo tests and OpenAI Evals samples, and imports the JSONL back', async () => {
    const production = (await gql('query($p: ID!) { evalSets(projectId: $p) { kind latestVersion { id caseCount } } }', { p: projectId })).evalSets.find((s: any) => s.kind === 'production').latestVersion;
    const jsonl = await exportEvalSetVersion(production.id, { format: 'jsonl', url: api.baseUrl, key: admin, dataDir: '/nonexistent' });
    expect(jsonl.trim().split('\n')).toHaveLength(production.caseCount);
    const promptfoo = JSON.parse(await exportEvalSetVersion(production.id, { format: 'promptfoo', url: api.baseUrl, key: admin, dataDir: '/nonexistent' }));
    expect(promptfoo).toHaveLength(production.caseCount);
    expect(promptfoo[0].vars.input).toEqual(expect.any(String));
    const openai = (await exportEvalSetVersion(production.id, { format: 'openai-evals', url: api.baseUrl, key: admin, dataDir: '/nonexistent' })).trim().split('\n').map((l) => JSON.parse(l));
    expect(openai[0].input.at(-1)).toMatchObject({ role: 'user' });
    expect(openai[0]).toHaveProperty('ideal');

    const response = await fetch(`${api.baseUrl}/v1/eval-set-versions/${production.id}/export?format=csv`, { headers: { authorization: `Bearer ${admin}` } });
    expect(response.status).toBe(400);
    expect((await fetch(`${api.baseUrl}/v1/eval-set-versions/${production.id}/export`)).status).toBe(401);

    const imported = (await gql('mutation($p: ID!, $j: String!) { importEvalSet(projectId: $p, name: "imported", jsonl: $j) { evalSet { kind name } version { version caseCount contentHash } } }', { p: projectId, j: jsonl })).importEvalSet;
    expect(imported).toMatchObject({ evalSet: { kind: 'custom', name: 'imported' }, version: { version: 1, caseCount: production.caseCount } });
    const original = (await gql('query($v: ID!) { evalSetVersion(id: $v) { contentHash } }', { v: production.id })).evalSetVersion;
    expect(imported.version.contentHash).toBe(original.contentHash);
    const reExported = parseEvalSetJsonl(await exportEvalSetVersion(production.id, { format: 'jsonl', url: api.baseUrl, key: admin, dataDir: '/x' })).cases;
    expect(reExported).toEqual(parseEvalSetJsonl(jsonl).cases);

    const broken = await api.graphql('mutation($p: ID!, $j: String!) { importEvalSet(projectId: $p, name: "broken", jsonl: $j) { version { id } } }', { p: projectId, j: `${jsonl.split('\n')[0]}\n{"nope": 1}\n` }, admin);
    expect(broken.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(await database.db.evalSet.count({ where: { name: 'broken' } })).toBe(0);
    const duplicateName = await api.graphql('mutation($p: ID!) { createEvalSet(projectId: $p, name: "imported") { id } }', { p: projectId }, admin);
    expect(duplicateName.errors?.[0]?.extensions?.code).toBe('CONFLICT');
  });

  it('retires by policy: old cases whose slice is no longer seen in production', async () => {
    const { applyRetirementPolicy } = await import('../../services/evalsets/eval-sets');
    const { authenticate } = await import('../../services/api-keys');
    const principal = await authenticate(database.db, `Bearer ${admin}`);
    const set = await database.db.evalSet.findFirstOrThrow({ where: { projectId, kind: 'production' } });
    // Months later, only billing traffic is still seen.
    await ingestParsedTraces(database.db, projectId, validateTraceItems([{ id: 'late-billing', sessionId: 'late', timestamp: '2027-05-10T10:00:00Z', input: 'a billing question', output: 'ok', slice: { intent: 'billing' } }]));
    const latest = await database.db.evalSetVersion.findFirstOrThrow({ where: { evalSetId: set.id }, orderBy: { version: 'desc' } });
    const active = await database.db.evalCase.findMany({ where: { versions: { some: { versionId: latest.id } } } });
    const notBilling = active.filter((c) => (c.slice as { intent?: string }).intent !== 'billing');
    const result = await applyRetirementPolicy(database.db, principal, set.id, 3, new Date('2027-06-01T00:00:00Z'));
    expect(result.retired.map((r) => r.caseKey).sort()).toEqual(notBilling.map((c) => c.caseKey).sort());
    expect(result.version!.caseCount).toBe(active.length - notBilling.length);
    // Nothing is deleted: the cases are still there, marked retired, and older versions list them.
    expect(await database.db.evalCase.count({ where: { id: { in: notBilling.map((c) => c.id) }, retiredAt: { not: null } } })).toBe(notBilling.length);
    expect(await database.db.evalSetVersionCase.count({ where: { versionId: latest.id } })).toBe(active.length);
    // Not yet old enough: nothing to retire.
    expect((await applyRetirementPolicy(database.db, principal, set.id, 3, new Date('2026-12-01T00:00:00Z'))).retired).toEqual([]);
  });
});
