// Every root Query and Mutation field of api/schema.graphql, and every HTTP route, called
// with each role's key of the project, a key of another project (with its own ids and with
// this project's ids), the service admin key, a revoked key and no key; the outcome of each
// call is checked against the table below. A field added to the schema without a row here
// fails the first test. Denied calls must change nothing: a fingerprint of the database is
// taken before and after each of them.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildSchema } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey } from '../../services/api-keys';
import { ingestParsedTraces, validateTraceItems } from '../../services/ingestion/ingest-traces';
import { scheduleIdFor } from '../../services/schedules';
import type { GraphqlResult, TestApi } from '../helpers/api';
import type { TestDatabase } from '../helpers/database';
import { syntheticTraces } from '../helpers/synthetic';
import type { TestTemporal } from '../helpers/temporal';
import { openTestbed, type Testbed } from '../helpers/testbed';
import { waitFor } from '../helpers/wait';

const SCHEMA = buildSchema(readFileSync(path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../api/schema.graphql'), 'utf8'));

// Outcomes: the call succeeds, or fails with this code before anything is read or changed.
const A = 'allowed';
const F = 'FORBIDDEN';
const N = 'NOT_FOUND';
type Outcome = typeof A | typeof F | typeof N | 'UNAUTHENTICATED';

// Callers with a live key; a revoked key and no key are UNAUTHENTICATED for every field.
const CALLERS = ['serviceAdmin', 'admin', 'ingest', 'reviewer', 'viewer', 'otherProjectOwnIds', 'otherProjectTheseIds'] as const;
type Caller = (typeof CALLERS)[number];
type Row = readonly [Outcome, Outcome, Outcome, Outcome, Outcome, Outcome, Outcome];

/**
 * Columns: the service-wide admin key; project A's admin, ingest, reviewer and viewer keys on
 * A's ids; project B's admin key on B's ids, then on A's ids. A scoped key naming another
 * project is FORBIDDEN; an object of another project looked up by its own id is NOT_FOUND
 * (so a key cannot tell whether the id exists).
 */
const MATRIX: Record<string, Row> = {
  //                      svc admin  admin  ingest reviewer viewer | B own  B on A
  viewer:                 [A,        A,     A,     A,       A,       A,     A],
  projects:               [A,        A,     F,     A,       A,       A,     A],
  project:                [A,        A,     F,     A,       A,       A,     F],
  flywheelRun:            [A,        A,     F,     A,       A,       A,     N],
  traces:                 [A,        A,     F,     A,       A,       A,     F],
  sliceDistribution:      [A,        A,     F,     A,       A,       A,     F],
  releases:               [A,        A,     F,     A,       A,       A,     F],
  labelTasks:             [A,        A,     F,     A,       A,       A,     F],
  samplingPolicy:         [A,        A,     F,     A,       A,       A,     F],
  labelingSettings:       [A,        A,     F,     A,       A,       A,     F],
  failureTaxonomy:        [A,        A,     F,     A,       A,       A,     F],
  evalSets:               [A,        A,     F,     A,       A,       A,     F],
  evalSetVersion:         [A,        A,     F,     A,       A,       A,     N],
  diffEvalSetVersions:    [A,        A,     F,     A,       A,       A,     N],
  judgeVersions:          [A,        A,     F,     A,       A,       A,     F],
  agreementReports:       [A,        A,     F,     A,       A,       A,     F],
  recalibrations:         [A,        A,     F,     A,       A,       A,     F],
  judgeSettings:          [A,        A,     F,     A,       A,       A,     F],
  flywheelSchedule:       [A,        A,     F,     A,       A,       A,     F],
  correlationReport:      [A,        A,     F,     A,       A,       A,     F],
  correlationHistory:     [A,        A,     F,     A,       A,       A,     F],
  importedAgreement:      [A,        A,     F,     A,       A,       A,     F],
  releaseEvaluation:      [A,        A,     F,     A,       A,       A,     F],
  shadowEvaluation:       [A,        A,     F,     A,       A,       A,     F],

  createProject:          [A,        F,     F,     F,       F,       F,     F],
  createApiKey:           [A,        A,     F,     F,       F,       A,     F],
  revokeApiKey:           [A,        A,     F,     F,       F,       A,     N],
  startFlywheelRun:       [A,        A,     F,     F,       F,       A,     F],
  ingestTraces:           [A,        A,     A,     F,       F,       A,     F],
  recordFeedback:         [A,        A,     A,     F,       F,       A,     F],
  claimTask:              [A,        A,     F,     A,       F,       A,     N],
  submitLabel:            [A,        A,     F,     A,       F,       A,     N],
  skipTask:               [A,        A,     F,     A,       F,       A,     N],
  setSamplingPolicy:      [A,        A,     F,     F,       F,       A,     F],
  setLabelingSettings:    [A,        A,     F,     F,       F,       A,     F],
  setFailureTaxonomy:     [A,        A,     F,     F,       F,       A,     F],
  createEvalSet:          [A,        A,     F,     F,       F,       A,     F],
  retireEvalCase:         [A,        A,     F,     F,       F,       A,     N],
  applyRetirementPolicy:  [A,        A,     F,     F,       F,       A,     N],
  importEvalSet:          [A,        A,     F,     F,       F,       A,     F],
  createJudgeVersion:     [A,        A,     F,     F,       F,       A,     F],
  activateJudgeVersion:   [A,        A,     F,     F,       F,       A,     N],
  setJudgeSettings:       [A,        A,     F,     F,       F,       A,     F],
  setRedaction:           [A,        A,     F,     F,       F,       A,     F],
  importLabels:           [A,        A,     A,     F,       F,       A,     F],
  scheduleFlywheel:       [A,        A,     F,     F,       F,       A,     F],
  triggerNow:             [A,        A,     F,     F,       F,       A,     F],
  pauseSchedule:          [A,        A,     F,     F,       F,       A,     F],
  supplyReleaseAnswers:   [A,        A,     A,     F,       F,       A,     F],
  supplyShadowAnswers:    [A,        A,     A,     F,       F,       A,     F],
  evaluateRelease:        [A,        A,     F,     F,       F,       A,     F],
  startShadowEvaluation:  [A,        A,     F,     F,       F,       A,     F],
  // Last: they end runs (disposable ones when allowed, the main run if a denial leaked).
  cancelFlywheelRun:      [A,        A,     F,     F,       F,       A,     N],
  closeLabeling:          [A,        A,     F,     F,       F,       A,     N],
};

/** HTTP routes other than /graphql, same columns. */
const ROUTES: Record<string, Row> = {
  'POST /v1/traces':                      [A, A, A, F, F, A, F],
  'GET /v1/eval-set-versions/:id/export': [A, A, F, A, A, A, N],
  'POST /v1/releases/answers':            [A, A, A, F, F, A, F],
  'POST /v1/releases/shadow-answers':     [A, A, A, F, F, A, F],
  'GET /reports/:project/correlation.svg': [A, A, F, A, A, A, F],
  'POST /v1/labels':                      [A, A, A, F, F, A, F],
};

const PERIOD = { start: '2025-01-01T00:00:00Z', end: '2025-02-01T00:00:00Z' };
const SAMPLING = { sampleSize: 24, sliceDimension: 'intent', sliceFloor: 1 };
const LABELING = { doubleLabelShare: 0, minDoubleLabelled: 0, deadlineHours: 24 };
const LABEL = { correctness: 4, relevance: 4, clarity: 4, calibration: 4, length: 3, verdict: 'pass' };
const EVAL_SET_JSONL = Array.from({ length: 12 }, (_, i) => JSON.stringify({ caseKey: `case-${i}`, input: `question ${i}`, output: `answer ${i}`, slice: { intent: 'billing' } })).join('\n');
const IMPORTED_LABELS = [
  { itemId: 'q1', answerA: 'm1', answerB: 'm2', raterId: 'r1', raterKind: 'human', winner: 'A' },
  { itemId: 'q1', answerA: 'm1', answerB: 'm2', raterId: 'j1', raterKind: 'judge', winner: 'B' },
].map((row) => JSON.stringify(row)).join('\n');

interface ProjectFixture {
  projectId: string;
  prefix: string;
  keys: { admin: string; ingest: string; reviewer: string; viewer: string };
  mainRun: { id: string; workflowId: string };
  /** Open tasks of the main run; every call that may claim, label or skip takes its own. */
  openTasks: string[];
  /** Runs in their labeling stage, one per allowed cancel or close. */
  disposableRuns: string[];
  evalSetId: string;
  versionId: string;
  caseIds: string[];
  judgeVersionId: string;
}

interface Op {
  document: string;
  /** Variables for a call on `target`'s ids; `allowed` says whether the call is expected to pass. */
  variables?: (target: ProjectFixture, allowed: boolean) => Record<string, unknown> | Promise<Record<string, unknown>>;
  /** An error code that, for an allowed caller, means the call got past authorization (the fixture cannot satisfy what follows). */
  pastAuthorization?: string;
}

let sequence = 0;
const unique = (what: string) => `${what}-${++sequence}`;
const take = (pool: string[], what: string) => {
  const next = pool.shift();
  if (!next) throw new Error(`the fixture ran out of ${what}`);
  return next;
};

describe('authorization: role x operation matrix', () => {
  let database: TestDatabase;
  let temporal: TestTemporal;
  let api: TestApi;
  let serviceAdmin: string;
  /** GraphQL as the service admin, which must succeed. */
  let asAdmin: Testbed['gql'];
  let bed: Testbed;
  let revoked: string;
  let a: ProjectFixture;
  let b: ProjectFixture;

  const OPS: Record<string, Op> = {
    viewer: { document: '{ viewer { id role projectId } }' },
    projects: { document: '{ projects { totalCount edges { node { id } } } }' },
    project: { document: 'query($id: ID!) { project(id: $id) { id flywheelRuns(first: 1) { totalCount } } }', variables: (t) => ({ id: t.projectId }) },
    flywheelRun: { document: 'query($id: ID!) { flywheelRun(id: $id) { id status stage } }', variables: (t) => ({ id: t.mainRun.id }) },
    traces: { document: 'query($p: ID!) { traces(projectId: $p, first: 2) { totalCount edges { node { id } } } }', variables: (t) => ({ p: t.projectId }) },
    sliceDistribution: { document: 'query($p: ID!) { sliceDistribution(projectId: $p) { totalTraces } }', variables: (t) => ({ p: t.projectId }) },
    releases: { document: 'query($p: ID!) { releases(projectId: $p) { name traceCount } }', variables: (t) => ({ p: t.projectId }) },
    labelTasks: { document: 'query($p: ID, $r: ID) { labelTasks(projectId: $p, runId: $r, first: 1) { totalCount } }', variables: (t) => ({ p: t.projectId, r: t.mainRun.id }) },
    samplingPolicy: { document: 'query($p: ID!) { samplingPolicy(projectId: $p) }', variables: (t) => ({ p: t.projectId }) },
    labelingSettings: { document: 'query($p: ID!) { labelingSettings(projectId: $p) }', variables: (t) => ({ p: t.projectId }) },
    failureTaxonomy: { document: 'query($p: ID!) { failureTaxonomy(projectId: $p) }', variables: (t) => ({ p: t.projectId }) },
    evalSets: { document: 'query($p: ID!) { evalSets(projectId: $p) { id } }', variables: (t) => ({ p: t.projectId }) },
    evalSetVersion: { document: 'query($id: ID!) { evalSetVersion(id: $id) { id caseCount } }', variables: (t) => ({ id: t.versionId }) },
    diffEvalSetVersions: { document: 'query($a: ID!, $b: ID!) { diffEvalSetVersions(a: $a, b: $b) { unchanged } }', variables: (t) => ({ a: t.versionId, b: t.versionId }) },
    judgeVersions: { document: 'query($p: ID!) { judgeVersions(projectId: $p) { id } }', variables: (t) => ({ p: t.projectId }) },
    agreementReports: { document: 'query($p: ID!) { agreementReports(projectId: $p) { id } }', variables: (t) => ({ p: t.projectId }) },
    recalibrations: { document: 'query($p: ID!) { recalibrations(projectId: $p) { id } }', variables: (t) => ({ p: t.projectId }) },
    judgeSettings: { document: 'query($p: ID!) { judgeSettings(projectId: $p) }', variables: (t) => ({ p: t.projectId }) },
    flywheelSchedule: { document: 'query($p: ID!) { flywheelSchedule(projectId: $p) { scheduleId } }', variables: (t) => ({ p: t.projectId }) },
    correlationReport: { document: 'query($p: ID!) { correlationReport(projectId: $p) { id } }', variables: (t) => ({ p: t.projectId }) },
    correlationHistory: { document: 'query($p: ID!) { correlationHistory(projectId: $p) { id } }', variables: (t) => ({ p: t.projectId }) },
    importedAgreement: {
      document: 'query($p: ID!) { importedAgreement(projectId: $p, dataset: "matrix", kind: "pairwise", groupA: { kind: human }, groupB: { kind: judge }) { rows } }',
      variables: (t) => ({ p: t.projectId }),
    },

    createProject: { document: 'mutation($n: String!) { createProject(name: $n) { id } }', variables: () => ({ n: unique('matrix-project') }) },
    createApiKey: { document: 'mutation($p: ID) { createApiKey(name: "matrix", role: viewer, projectId: $p) { id key } }', variables: (t) => ({ p: t.projectId }) },
    revokeApiKey: {
      document: 'mutation($id: ID!) { revokeApiKey(id: $id) }',
      variables: async (t) => ({ id: (await createApiKey(database.db, { name: unique('to-revoke'), role: 'viewer', projectId: t.projectId })).id }),
    },
    startFlywheelRun: {
      // A period without traces: the run completes at once.
      document: 'mutation($p: ID!) { startFlywheelRun(projectId: $p, periodStart: "2020-01-01T00:00:00Z", periodEnd: "2020-02-01T00:00:00Z") { id } }',
      variables: (t) => ({ p: t.projectId }),
    },
    cancelFlywheelRun: {
      document: 'mutation($id: ID!) { cancelFlywheelRun(id: $id, reason: "matrix") { id } }',
      variables: (t, allowed) => ({ id: allowed ? take(t.disposableRuns, 'disposable runs') : t.mainRun.id }),
    },
    ingestTraces: {
      document: 'mutation($p: ID!, $t: [JSON!]!) { ingestTraces(projectId: $p, traces: $t) { accepted rejected } }',
      variables: (t) => ({ p: t.projectId, t: [{ id: unique('matrix-trace'), sessionId: 'matrix', timestamp: '2025-03-01T00:00:00Z', input: 'hi', output: 'hello' }] }),
    },
    recordFeedback: {
      document: 'mutation($p: ID!, $traceId: String!) { recordFeedback(projectId: $p, feedback: { traceId: $traceId, thumb: up }) { id } }',
      variables: (t) => ({ p: t.projectId, traceId: `${t.prefix}1` }),
    },
    claimTask: { document: 'mutation($t: ID!) { claimTask(taskId: $t) { id status } }', variables: (t) => ({ t: take(t.openTasks, 'open tasks') }) },
    submitLabel: {
      document: 'mutation($t: ID!, $l: LabelInput!) { submitLabel(taskId: $t, label: $l) { status duplicate } }',
      variables: (t) => ({ t: take(t.openTasks, 'open tasks'), l: LABEL }),
    },
    skipTask: { document: 'mutation($t: ID!) { skipTask(taskId: $t, reason: "matrix") { status } }', variables: (t) => ({ t: take(t.openTasks, 'open tasks') }) },
    closeLabeling: {
      document: 'mutation($r: ID!) { closeLabeling(runId: $r) { id } }',
      variables: (t, allowed) => ({ r: allowed ? take(t.disposableRuns, 'disposable runs') : t.mainRun.id }),
    },
    setSamplingPolicy: { document: 'mutation($p: ID!, $v: JSON!) { setSamplingPolicy(projectId: $p, policy: $v) }', variables: (t) => ({ p: t.projectId, v: SAMPLING }) },
    setLabelingSettings: { document: 'mutation($p: ID!, $v: JSON!) { setLabelingSettings(projectId: $p, settings: $v) }', variables: (t) => ({ p: t.projectId, v: LABELING }) },
    setFailureTaxonomy: {
      document: 'mutation($p: ID!) { setFailureTaxonomy(projectId: $p, categories: ["hallucination", "ignored_context", "out_of_scope", "wrong_tool_call", "refusal", "formatting", "verbosity"]) }',
      variables: (t) => ({ p: t.projectId }),
    },
    createEvalSet: { document: 'mutation($p: ID!, $n: String!) { createEvalSet(projectId: $p, name: $n) { id } }', variables: (t) => ({ p: t.projectId, n: unique('matrix set') }) },
    retireEvalCase: { document: 'mutation($c: ID!) { retireEvalCase(caseId: $c, reason: "matrix") { id } }', variables: (t) => ({ c: take(t.caseIds, 'eval cases') }) },
    applyRetirementPolicy: { document: 'mutation($s: ID!) { applyRetirementPolicy(evalSetId: $s, olderThanMonths: 120) { retired } }', variables: (t) => ({ s: t.evalSetId }) },
    importEvalSet: {
      document: 'mutation($p: ID!, $n: String!, $j: String!) { importEvalSet(projectId: $p, name: $n, jsonl: $j) { version { id } } }',
      variables: (t) => ({ p: t.projectId, n: unique('matrix import'), j: EVAL_SET_JSONL }),
    },
    createJudgeVersion: { document: 'mutation($p: ID!) { createJudgeVersion(projectId: $p, input: { reason: "matrix" }) { id } }', variables: (t) => ({ p: t.projectId }) },
    activateJudgeVersion: { document: 'mutation($id: ID!) { activateJudgeVersion(id: $id) { id status } }', variables: (t) => ({ id: t.judgeVersionId }) },
    setJudgeSettings: { document: 'mutation($p: ID!) { setJudgeSettings(projectId: $p, settings: {}) }', variables: (t) => ({ p: t.projectId }) },
    setRedaction: { document: 'mutation($p: ID!) { setRedaction(projectId: $p, redaction: { enabled: false }) }', variables: (t) => ({ p: t.projectId }) },
    importLabels: {
      document: 'mutation($p: ID!, $j: String!) { importLabels(projectId: $p, dataset: "matrix", kind: "pairwise", jsonl: $j) { received rejected } }',
      variables: (t) => ({ p: t.projectId, j: IMPORTED_LABELS }),
    },
    scheduleFlywheel: { document: 'mutation($p: ID!) { scheduleFlywheel(projectId: $p) { scheduleId } }', variables: (t) => ({ p: t.projectId }) },
    triggerNow: { document: 'mutation($p: ID!) { triggerNow(projectId: $p) { scheduleId } }', variables: (t) => ({ p: t.projectId }) },
    pauseSchedule: { document: 'mutation($p: ID!) { pauseSchedule(projectId: $p, paused: true, note: "matrix") { paused } }', variables: (t) => ({ p: t.projectId }) },
    releaseEvaluation: { document: 'query($p: ID!) { releaseEvaluation(projectId: $p, release: "v1") { id } }', variables: (t) => ({ p: t.projectId }) },
    shadowEvaluation: { document: 'query($p: ID!) { shadowEvaluation(projectId: $p, candidate: "matrix-candidate") { id } }', variables: (t) => ({ p: t.projectId }) },
    supplyReleaseAnswers: {
      document: 'mutation($p: ID!, $a: [CaseAnswerInput!]!) { supplyReleaseAnswers(projectId: $p, release: "matrix-candidate", answers: $a) { received rejected } }',
      variables: (t) => ({ p: t.projectId, a: [{ caseId: t.caseIds.at(-1), output: unique('candidate answer') }] }),
    },
    supplyShadowAnswers: {
      document: 'mutation($p: ID!, $a: [ShadowAnswerInput!]!) { supplyShadowAnswers(projectId: $p, candidate: "matrix-candidate", answers: $a) { received rejected } }',
      variables: (t) => ({ p: t.projectId, a: [{ traceId: `${t.prefix}2`, output: unique('shadow answer') }] }),
    },
    // Only a custom set exists in the fixture: an allowed call gets as far as "no production or regression set version yet".
    evaluateRelease: { document: 'mutation($p: ID!) { evaluateRelease(projectId: $p, release: "v1") { id } }', variables: (t) => ({ p: t.projectId }), pastAuthorization: 'CONFLICT' },
    startShadowEvaluation: { document: 'mutation($p: ID!) { startShadowEvaluation(projectId: $p, candidate: "matrix-candidate") { id } }', variables: (t) => ({ p: t.projectId }) },
  };

  /** A run of the fixture period, waited for until its labeling queue holds its tasks. */
  async function runInLabeling(projectId: string) {
    const run = (await asAdmin('mutation($p: ID!, $s: DateTime, $e: DateTime) { startFlywheelRun(projectId: $p, periodStart: $s, periodEnd: $e) { id workflowId } }', { p: projectId, s: PERIOD.start, e: PERIOD.end }))
      .startFlywheelRun as { id: string; workflowId: string };
    await waitFor(
      async () => ({ stage: (await database.db.flywheelRun.findUniqueOrThrow({ where: { id: run.id } })).stage, tasks: await database.db.labelTask.count({ where: { runId: run.id } }) }),
      (s) => s.stage === 'labeling' && s.tasks >= SAMPLING.sampleSize,
      `run ${run.id} in labeling`,
      60_000,
    );
    return run;
  }

  async function projectFixture(name: string, disposableRuns: number): Promise<ProjectFixture> {
    const project = await database.db.project.create({ data: { name } });
    const prefix = `${name}-`;
    expect((await ingestParsedTraces(database.db, project.id, validateTraceItems(syntheticTraces(150, { prefix, month: '2025-01' })))).rejected).toBe(0);
    await asAdmin('mutation($p: ID!, $v: JSON!, $l: JSON!) { setSamplingPolicy(projectId: $p, policy: $v) setLabelingSettings(projectId: $p, settings: $l) }', { p: project.id, v: SAMPLING, l: LABELING });
    const key = async (role: 'admin' | 'ingest' | 'reviewer' | 'viewer') => (await createApiKey(database.db, { name: `${name} ${role}`, role, projectId: project.id })).plain;
    const keys = { admin: await key('admin'), ingest: await key('ingest'), reviewer: await key('reviewer'), viewer: await key('viewer') };
    const [mainRun, ...disposable] = await Promise.all(Array.from({ length: disposableRuns + 1 }, () => runInLabeling(project.id)));
    const openTasks = (await database.db.labelTask.findMany({ where: { runId: mainRun!.id, status: 'open' }, orderBy: { id: 'asc' }, select: { id: true } })).map((t) => t.id);
    const imported = (await asAdmin('mutation($p: ID!, $j: String!) { importEvalSet(projectId: $p, name: "matrix fixture", jsonl: $j) { evalSet { id } version { id } } }', { p: project.id, j: EVAL_SET_JSONL }))
      .importEvalSet as { evalSet: { id: string }; version: { id: string } };
    const caseIds = (await database.db.evalCase.findMany({ where: { evalSetId: imported.evalSet.id }, orderBy: { caseKey: 'asc' }, select: { id: true } })).map((c) => c.id);
    const judge = (await asAdmin('mutation($p: ID!) { createJudgeVersion(projectId: $p, input: { reason: "matrix fixture" }) { id } }', { p: project.id })).createJudgeVersion as { id: string };
    await asAdmin('mutation($p: ID!, $j: String!) { importLabels(projectId: $p, dataset: "matrix", kind: "pairwise", jsonl: $j) { received } scheduleFlywheel(projectId: $p) { scheduleId } }', { p: project.id, j: IMPORTED_LABELS });
    await asAdmin('mutation($p: ID!, $a: [ShadowAnswerInput!]!) { supplyShadowAnswers(projectId: $p, candidate: "matrix-candidate", answers: $a) { stored } }', { p: project.id, a: [{ traceId: `${prefix}1`, output: 'a candidate answer' }] });
    return {
      projectId: project.id,
      prefix,
      keys,
      mainRun: mainRun!,
      openTasks,
      disposableRuns: disposable.map((r) => r.id),
      evalSetId: imported.evalSet.id,
      versionId: imported.version.id,
      caseIds,
      judgeVersionId: judge.id,
    };
  }

  beforeAll(async () => {
    process.env.FLYWHEEL_RATE_LIMIT_PER_MINUTE = '100000';
    bed = await openTestbed();
    ({ database, temporal, api, admin: serviceAdmin, gql: asAdmin } = bed);
    // Project A: two allowed cancels and two allowed closes; project B: one of each.
    [a, b] = await Promise.all([projectFixture('matrix-a', 4), projectFixture('matrix-b', 2)]);
    const toRevoke = await createApiKey(database.db, { name: 'revoked admin of A', role: 'admin', projectId: a.projectId });
    await database.db.apiKey.update({ where: { id: toRevoke.id }, data: { revokedAt: new Date() } });
    revoked = toRevoke.plain;
  }, 240_000);

  afterAll(async () => {
    for (const fixture of [a, b]) if (fixture) await temporal?.client.schedule.getHandle(scheduleIdFor(fixture.projectId)).delete().catch(() => {});
    await bed?.close();
  });

  /** What a denied call must leave alone (runs that allowed calls end are left out: they finish in the background). */
  async function fingerprint(): Promise<string> {
    const db = database.db;
    const parts = await Promise.all([
      db.project.findMany({ orderBy: { id: 'asc' } }),
      db.apiKey.findMany({ orderBy: { id: 'asc' }, select: { id: true, revokedAt: true } }),
      db.trace.findMany({ orderBy: { id: 'asc' }, select: { id: true, thumb: true, feedbackAt: true, contentHash: true } }),
      db.labelTask.findMany({ where: { runId: { in: [a.mainRun.id, b.mainRun.id] } }, orderBy: { id: 'asc' }, select: { id: true, status: true, reviewerId: true } }),
      db.label.count(),
      db.evalSet.count(),
      db.evalSetVersion.count(),
      db.evalCase.findMany({ orderBy: { id: 'asc' }, select: { id: true, retiredAt: true } }),
      db.judgePromptVersion.findMany({ orderBy: { id: 'asc' }, select: { id: true, status: true } }),
      db.importedJudgment.count(),
      db.flywheelRun.count({ where: { NOT: { workflowId: { startsWith: 'flywheel-scheduled-' } } } }),
    ]);
    return JSON.stringify(parts);
  }

  type Call = { key: string | null; target: () => ProjectFixture; own: () => ProjectFixture };
  const callers = (): Record<Caller | 'revoked' | 'noKey', Call> => ({
    serviceAdmin: { key: serviceAdmin, target: () => a, own: () => a },
    admin: { key: a.keys.admin, target: () => a, own: () => a },
    ingest: { key: a.keys.ingest, target: () => a, own: () => a },
    reviewer: { key: a.keys.reviewer, target: () => a, own: () => a },
    viewer: { key: a.keys.viewer, target: () => a, own: () => a },
    otherProjectOwnIds: { key: b.keys.admin, target: () => b, own: () => b },
    otherProjectTheseIds: { key: b.keys.admin, target: () => a, own: () => b },
    revoked: { key: revoked, target: () => a, own: () => a },
    noKey: { key: null, target: () => a, own: () => a },
  });

  function outcomeOf(field: string, result: GraphqlResult): Outcome | string {
    const code = result.errors?.[0]?.extensions?.code;
    if (result.status === 401 && code === 'UNAUTHENTICATED') return 'UNAUTHENTICATED';
    if (code && code === OPS[field]!.pastAuthorization) return A;
    if (result.errors?.length) return code === F || code === N ? code : `${code ?? 'no code'}: ${result.errors[0]!.message}`;
    if (result.status !== 200 || !result.data || !(field in result.data)) return `status ${result.status} without ${field}`;
    return A;
  }

  it('has a row for every root Query and Mutation field of the schema, and nothing else', () => {
    const schemaFields = [...Object.keys(SCHEMA.getQueryType()!.getFields()), ...Object.keys(SCHEMA.getMutationType()!.getFields())].sort();
    expect(Object.keys(MATRIX).sort()).toEqual(schemaFields);
    expect(Object.keys(OPS).sort()).toEqual(schemaFields);
  });

  const expectedCalls = (row: Row): [Caller | 'revoked' | 'noKey', Outcome][] => [
    ...CALLERS.map((caller, i) => [caller, row[i]!] as [Caller, Outcome]),
    ['revoked', 'UNAUTHENTICATED'],
    ['noKey', 'UNAUTHENTICATED'],
  ];

  // Denied calls first, so a field's allowed calls (some end runs) come after its checks.
  const deniedFirst = (calls: [Caller | 'revoked' | 'noKey', Outcome][]) => [...calls.filter(([, o]) => o !== A), ...calls.filter(([, o]) => o === A)];

  it.each(Object.keys(MATRIX))('%s', async (field) => {
    const op = OPS[field]!;
    const seen: Record<string, Outcome | string> = {};
    const wanted: Record<string, Outcome> = {};
    for (const [caller, expected] of deniedFirst(expectedCalls(MATRIX[field]!))) {
      const call = callers()[caller];
      const variables = (await op.variables?.(call.target(), expected === A)) ?? {};
      const before = expected === A ? null : await fingerprint();
      const result = await api.graphql(op.document, variables, call.key);
      wanted[caller] = expected;
      seen[caller] = outcomeOf(field, result);
      if (expected !== A) {
        expect(result.data?.[field] ?? null, `${caller} got data`).toBeNull();
        expect(await fingerprint(), `${caller}'s denied ${field} changed the database`).toBe(before);
      }
      if (field === 'projects' && expected === A && call.key !== serviceAdmin) {
        const ids = (result.data!.projects as { edges: { node: { id: string } }[] }).edges.map((e) => e.node.id);
        expect(ids, `${caller} lists only its own project`).toEqual([call.own().projectId]);
      }
    }
    expect(seen).toEqual(wanted);
  });

  it.each(Object.keys(ROUTES))('%s', async (route) => {
    const status: Record<Outcome, number> = { allowed: 200, FORBIDDEN: 403, NOT_FOUND: 404, UNAUTHENTICATED: 401 };
    const seen: Record<string, number> = {};
    const wanted: Record<string, number> = {};
    for (const [caller, expected] of deniedFirst(expectedCalls(ROUTES[route]!))) {
      const call = callers()[caller];
      const target = call.target();
      const headers: Record<string, string> = call.key ? { authorization: `Bearer ${call.key}` } : {};
      const before = expected === A ? null : await fingerprint();
      const ndjson = (path: string, line: object) =>
        fetch(`${api.baseUrl}${path}`, { method: 'POST', headers: { ...headers, 'content-type': 'application/x-ndjson' }, body: `${JSON.stringify(line)}\n` });
      const requests: Record<string, () => Promise<Response>> = {
        'POST /v1/traces': () => ndjson(`/v1/traces?projectId=${target.projectId}`, { id: unique('route-trace'), sessionId: 'route', timestamp: '2025-03-02T00:00:00Z', input: 'q', output: 'a' }),
        'GET /v1/eval-set-versions/:id/export': () => fetch(`${api.baseUrl}/v1/eval-set-versions/${target.versionId}/export?format=jsonl`, { headers }),
        'POST /v1/releases/answers': () => ndjson(`/v1/releases/answers?projectId=${target.projectId}&release=matrix-route`, { caseId: target.caseIds.at(-1), output: unique('route answer') }),
        'POST /v1/releases/shadow-answers': () => ndjson(`/v1/releases/shadow-answers?projectId=${target.projectId}&release=matrix-route`, { traceId: `${target.prefix}3`, output: unique('route shadow') }),
        'GET /reports/:project/correlation.svg': () => fetch(`${api.baseUrl}/reports/${target.projectId}/correlation.svg`, { headers }),
        'POST /v1/labels': () => ndjson(`/v1/labels?projectId=${target.projectId}&dataset=matrix-route&kind=pairwise`, { itemId: unique('route-item'), answerA: 'm1', answerB: 'm2', raterId: 'r1', raterKind: 'human', winner: 'A' }),
      };
      const response = await requests[route]!();
      const body = await response.text();
      wanted[caller] = status[expected];
      seen[caller] = response.status;
      if (expected !== A) {
        expect(body, `${caller} got data`).not.toMatch(/case-0|"accepted"|"stored"|"imported"|<svg/);
        expect(await fingerprint(), `${caller}'s denied ${route} changed the database`).toBe(before);
      }
    }
    expect(seen).toEqual(wanted);
  });

  it('serves the reviewer page without a key, but its data only with one', async () => {
    const page = await fetch(`${api.baseUrl}/review`);
    expect(page.status).toBe(200);
    expect(await page.text()).not.toMatch(/efw_|question \d/);
    expect((await api.graphql('{ labelTasks(first: 1) { totalCount } }', {}, null)).status).toBe(401);
    expect((await fetch(`${api.baseUrl}/nowhere`, { headers: { authorization: `Bearer ${serviceAdmin}` } })).status).toBe(404);
  });

  it('left the main runs running with their queues open (no denied cancel or close got through)', async () => {
    for (const fixture of [a, b]) {
      const state = await api.graphql('query($id: ID!) { flywheelRun(id: $id) { status progress { cancelRequested } labelingProgress { closed } } }', { id: fixture.mainRun.id }, serviceAdmin);
      expect(state.data!.flywheelRun).toEqual({ status: 'running', progress: { cancelRequested: false }, labelingProgress: { closed: false } });
    }
  });
});
