// Thin resolvers: authenticate (in the context), call a service, return.
import { GraphQLError, GraphQLScalarType, Kind } from 'graphql';
import type { LabelingProgress } from '../core/labeling/labeling-progress';
import type { ApiKeyRole, LabelTaskStatus } from '../generated/prisma/enums';
import { createApiKey, revokeApiKey, API_KEY_ROLES } from '../services/api-keys';
import { authorize } from '../services/authorization';
import { badInput } from '../services/errors';
import { cancelFlywheelRun, getFlywheelRun, queryRunProgress, startFlywheelRun, workflowStatus } from '../services/flywheel-runs';
import { listFlywheelRuns } from '../services/flywheel-run-list';
import { ingestParsedTraces, validateTraceItems } from '../services/ingestion/ingest-traces';
import { applyRetirementPolicy, createEvalSet, diffEvalSetVersions, getVersion, importEvalSet, listEvalSets, retireEvalCase, versionCasesPage } from '../services/evalsets/eval-sets';
import { claimTask, closeLabeling, liveLabelingProgress, listLabelTasks, sessionContext, skipTask, submitLabel } from '../services/labeling';
import { importLabelsFromRequest } from '../services/imports/import-labels';
import { importedAgreement, type RaterFilter } from '../services/imports/imported-agreement';
import { correlationHistory, getCorrelationReport } from '../services/correlation-reports';
import { describeSchedule, pauseSchedule, scheduleFlywheel, triggerNow } from '../services/schedules';
import { getProjectSettings, setFailureTaxonomy, setJudgeSettings, setRedaction, setLabelingSettings, setSamplingPolicy } from '../services/project-settings';
import { listAgreementReports, listRecalibrations } from '../services/judge/judge-reports';
import { activateJudgeVersionFor, createJudgeVersion, listJudgeVersions, type CreateJudgeVersionInput } from '../services/judge/judge-versions';
import { createProject, getProject, listProjects, requireProject } from '../services/projects';
import { supplyAnswerItems } from '../services/releases/answer-uploads';
import { evaluateRelease, getReleaseEvaluation, releaseEvaluationProgress } from '../services/releases/release-evaluations';
import { getShadowEvaluation, shadowEvaluationProgress, startShadowEvaluation } from '../services/releases/shadow-evaluations';
import { listReleases, listTraces, recordFeedback, sliceDistribution, type TraceFilter } from '../services/traces';
import type { ApiContext } from './context';

type Args<T> = T;
interface RunRow { id: string; projectId: string; workflowId: string }
interface TraceRow {
  id: string;
  release: { name: string } | null;
  thumb: string | null;
  rating: number | null;
  feedbackComment: string | null;
  regenerated: boolean;
  copied: boolean;
  escalated: boolean;
  abandoned: boolean;
}
const MAX_GRAPHQL_TRACES = 1000;
interface LabelTaskRow { id: string; sampleItemId: string; traceId: string }

const DateTimeScalar = new GraphQLScalarType({
  name: 'DateTime',
  description: 'ISO 8601 instant',
  serialize: (value) => (value instanceof Date ? value.toISOString() : String(value)),
  parseValue: (value) => {
    const date = new Date(String(value));
    if (Number.isNaN(date.getTime())) throw badInput(`not an ISO 8601 instant: ${String(value).slice(0, 60)}`);
    return date.toISOString();
  },
  parseLiteral: (ast) => {
    if (ast.kind !== Kind.STRING) throw badInput('DateTime must be a string');
    const date = new Date(ast.value);
    if (Number.isNaN(date.getTime())) throw badInput(`not an ISO 8601 instant: ${ast.value.slice(0, 60)}`);
    return date.toISOString();
  },
});

const JsonScalar = new GraphQLScalarType({ name: 'JSON', serialize: (value) => value });

/** GraphQL gives absent optional inputs as null; the feedback schema treats absent as "unchanged". */
function stripNulls(value: unknown): unknown {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return value;
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== null).map(([k, v]) => [k, stripNulls(v)]));
}

type RootResolver = (parent: unknown, args: never, ctx: ApiContext) => unknown;

/** The ids a root field was asked about, under names that read the same in every log line. */
function idsOf(args: Record<string, unknown>): Record<string, unknown> {
  const ids: Record<string, unknown> = {};
  const copy = (from: string, to: string) => {
    if (typeof args[from] === 'string') ids[to] = args[from];
  };
  copy('projectId', 'projectId');
  copy('runId', 'flywheelRunId');
  copy('taskId', 'taskId');
  copy('caseId', 'evalCaseId');
  copy('evalSetId', 'evalSetId');
  copy('id', 'objectId');
  copy('a', 'objectId');
  copy('b', 'otherObjectId');
  const feedback = args.feedback as { traceId?: unknown } | undefined;
  if (typeof feedback?.traceId === 'string') ids.traceId = feedback.traceId;
  return ids;
}

/** One line per root field: which key asked what about which ids, how long it took and how it ended. */
function logged<T extends Record<string, RootResolver>>(kind: 'query' | 'mutation', fields: T): T {
  const wrap = (field: string, resolve: RootResolver) => async (parent: unknown, args: Record<string, unknown>, ctx: ApiContext) => {
    const started = Date.now();
    const line = { operation: `${kind}.${field}`, ...idsOf(args) };
    try {
      const result = await resolve(parent, args as never, ctx);
      ctx.log.info({ ...line, durationMs: Date.now() - started, outcome: 'ok' }, 'graphql field');
      return result;
    } catch (error) {
      const code = error instanceof GraphQLError ? error.extensions.code : undefined;
      if (typeof code === 'string') ctx.log.info({ ...line, durationMs: Date.now() - started, outcome: code, reason: (error as Error).message }, 'graphql field');
      // Masked for the client; the cause is kept here.
      else ctx.log.error({ ...line, durationMs: Date.now() - started, outcome: 'INTERNAL', err: error }, 'graphql field failed unexpectedly');
      throw error;
    }
  };
  return Object.fromEntries(Object.entries(fields).map(([field, resolve]) => [field, wrap(field, resolve)])) as unknown as T;
}

export const resolvers = {
  DateTime: DateTimeScalar,
  JSON: JsonScalar,
  Query: logged('query', {
    viewer: (_: unknown, __: unknown, ctx: ApiContext) => ({ id: ctx.principal.keyId, role: ctx.principal.role, projectId: ctx.principal.projectId }),
    projects: (_: unknown, args: Args<{ first?: number; after?: string }>, ctx: ApiContext) => {
      authorize(ctx.principal, 'read');
      return listProjects(ctx.db, ctx.principal, args.first, args.after);
    },
    project: (_: unknown, args: Args<{ id: string }>, ctx: ApiContext) => getProject(ctx.db, ctx.principal, args.id),
    flywheelRun: (_: unknown, args: Args<{ id: string }>, ctx: ApiContext) => getFlywheelRun(ctx.db, ctx.principal, args.id),
    traces: (_: unknown, args: Args<{ projectId: string; filter?: TraceFilter; first?: number; after?: string }>, ctx: ApiContext) =>
      listTraces(ctx.db, ctx.principal, args.projectId, args.filter, args.first, args.after),
    sliceDistribution: (_: unknown, args: Args<{ projectId: string; since?: string; until?: string }>, ctx: ApiContext) =>
      sliceDistribution(ctx.db, ctx.principal, args.projectId, args.since, args.until),
    releases: (_: unknown, args: Args<{ projectId: string }>, ctx: ApiContext) => listReleases(ctx.db, ctx.principal, args.projectId),
    labelTasks: (_: unknown, args: Args<{ projectId?: string; runId?: string; status?: LabelTaskStatus; first?: number; after?: string }>, ctx: ApiContext) =>
      listLabelTasks(ctx.db, ctx.principal, args),
    samplingPolicy: async (_: unknown, args: Args<{ projectId: string }>, ctx: ApiContext) => (await getProjectSettings(ctx.db, ctx.principal, args.projectId)).sampling,
    labelingSettings: async (_: unknown, args: Args<{ projectId: string }>, ctx: ApiContext) => (await getProjectSettings(ctx.db, ctx.principal, args.projectId)).labeling,
    failureTaxonomy: async (_: unknown, args: Args<{ projectId: string }>, ctx: ApiContext) => (await getProjectSettings(ctx.db, ctx.principal, args.projectId)).failureTaxonomy,
    evalSets: (_: unknown, args: Args<{ projectId: string }>, ctx: ApiContext) => listEvalSets(ctx.db, ctx.principal, args.projectId),
    evalSetVersion: (_: unknown, args: Args<{ id: string }>, ctx: ApiContext) => getVersion(ctx.db, ctx.principal, args.id),
    diffEvalSetVersions: (_: unknown, args: Args<{ a: string; b: string }>, ctx: ApiContext) => diffEvalSetVersions(ctx.db, ctx.principal, args.a, args.b),
    judgeVersions: (_: unknown, args: Args<{ projectId: string }>, ctx: ApiContext) => listJudgeVersions(ctx.db, ctx.principal, args.projectId),
    agreementReports: (_: unknown, args: Args<{ projectId: string; first?: number }>, ctx: ApiContext) => listAgreementReports(ctx.db, ctx.principal, args.projectId, args.first),
    recalibrations: (_: unknown, args: Args<{ projectId: string }>, ctx: ApiContext) => listRecalibrations(ctx.db, ctx.principal, args.projectId),
    judgeSettings: async (_: unknown, args: Args<{ projectId: string }>, ctx: ApiContext) => (await getProjectSettings(ctx.db, ctx.principal, args.projectId)).judge,
    correlationReport: (_: unknown, args: Args<{ projectId: string; runId?: string }>, ctx: ApiContext) => getCorrelationReport(ctx.db, ctx.principal, args.projectId, args.runId),
    correlationHistory: (_: unknown, args: Args<{ projectId: string }>, ctx: ApiContext) => correlationHistory(ctx.db, ctx.principal, args.projectId),
    importedAgreement: (_: unknown, args: Args<{ projectId: string; dataset: string; kind: string; groupA: RaterFilter; groupB: RaterFilter; setup?: 'S1' | 'S2'; byGroup?: boolean }>, ctx: ApiContext) =>
      importedAgreement(ctx.db, ctx.principal, args),
    flywheelSchedule: (_: unknown, args: Args<{ projectId: string }>, ctx: ApiContext) => describeSchedule(ctx.db, ctx.temporal, ctx.principal, args.projectId),
    releaseEvaluation: (_: unknown, args: Args<{ projectId: string; release: string; id?: string }>, ctx: ApiContext) => getReleaseEvaluation(ctx.db, ctx.principal, args),
    shadowEvaluation: (_: unknown, args: Args<{ projectId: string; candidate: string; id?: string }>, ctx: ApiContext) => getShadowEvaluation(ctx.db, ctx.principal, args),
  }),
  Mutation: logged('mutation', {
    createProject: (_: unknown, args: Args<{ name: string }>, ctx: ApiContext) => createProject(ctx.db, ctx.principal, args.name),
    createApiKey: async (_: unknown, args: Args<{ name: string; role: ApiKeyRole; projectId?: string | null }>, ctx: ApiContext) => {
      if (!API_KEY_ROLES.includes(args.role)) throw badInput(`unknown role ${args.role}`);
      if (args.projectId) await getProject(ctx.db, ctx.principal, args.projectId);
      authorize(ctx.principal, 'administer', args.projectId ?? undefined);
      const key = await createApiKey(ctx.db, { name: args.name, role: args.role, projectId: args.projectId ?? null });
      return { id: key.id, role: args.role, projectId: args.projectId ?? null, key: key.plain };
    },
    revokeApiKey: (_: unknown, args: Args<{ id: string }>, ctx: ApiContext) => revokeApiKey(ctx.db, ctx.principal, args.id),
    startFlywheelRun: (_: unknown, args: Args<{ projectId: string; periodStart?: string; periodEnd?: string }>, ctx: ApiContext) =>
      startFlywheelRun(ctx.db, ctx.temporal, ctx.principal, args, ctx.log),
    cancelFlywheelRun: (_: unknown, args: Args<{ id: string; reason?: string }>, ctx: ApiContext) =>
      cancelFlywheelRun(ctx.db, ctx.temporal, ctx.principal, args.id, args.reason, ctx.log),
    ingestTraces: async (_: unknown, args: Args<{ projectId: string; traces: unknown[] }>, ctx: ApiContext) => {
      await requireProject(ctx.db, ctx.principal, args.projectId, 'ingest');
      if (args.traces.length > MAX_GRAPHQL_TRACES) throw badInput(`at most ${MAX_GRAPHQL_TRACES} traces per call; use POST /v1/traces for more`);
      return ingestParsedTraces(ctx.db, args.projectId, validateTraceItems(args.traces));
    },
    recordFeedback: (_: unknown, args: Args<{ projectId: string; feedback: unknown }>, ctx: ApiContext) =>
      recordFeedback(ctx.db, ctx.principal, args.projectId, stripNulls(args.feedback)),
    claimTask: (_: unknown, args: Args<{ taskId: string }>, ctx: ApiContext) => claimTask(ctx.db, ctx.principal, args.taskId),
    submitLabel: (_: unknown, args: Args<{ taskId: string; label: unknown }>, ctx: ApiContext) =>
      submitLabel(ctx.db, ctx.temporal, ctx.principal, args.taskId, stripNulls(args.label), ctx.log),
    skipTask: (_: unknown, args: Args<{ taskId: string; reason: string }>, ctx: ApiContext) => skipTask(ctx.db, ctx.temporal, ctx.principal, args.taskId, args.reason, ctx.log),
    closeLabeling: (_: unknown, args: Args<{ runId: string }>, ctx: ApiContext) => closeLabeling(ctx.db, ctx.temporal, ctx.principal, args.runId, ctx.log),
    setSamplingPolicy: (_: unknown, args: Args<{ projectId: string; policy: unknown }>, ctx: ApiContext) => setSamplingPolicy(ctx.db, ctx.principal, args.projectId, args.policy),
    setLabelingSettings: (_: unknown, args: Args<{ projectId: string; settings: unknown }>, ctx: ApiContext) =>
      setLabelingSettings(ctx.db, ctx.principal, args.projectId, args.settings),
    setFailureTaxonomy: (_: unknown, args: Args<{ projectId: string; categories: string[] }>, ctx: ApiContext) =>
      setFailureTaxonomy(ctx.db, ctx.principal, args.projectId, args.categories),
    createEvalSet: (_: unknown, args: Args<{ projectId: string; name: string; description?: string }>, ctx: ApiContext) =>
      createEvalSet(ctx.db, ctx.principal, args.projectId, args.name, args.description),
    retireEvalCase: (_: unknown, args: Args<{ caseId: string; reason: string }>, ctx: ApiContext) => retireEvalCase(ctx.db, ctx.principal, args.caseId, args.reason),
    applyRetirementPolicy: async (_: unknown, args: Args<{ evalSetId: string; olderThanMonths: number }>, ctx: ApiContext) => {
      const result = await applyRetirementPolicy(ctx.db, ctx.principal, args.evalSetId, args.olderThanMonths);
      return { retired: result.retired.map((r) => r.caseKey), version: result.version };
    },
    createJudgeVersion: (_: unknown, args: Args<{ projectId: string; input: Omit<CreateJudgeVersionInput, 'projectId'> }>, ctx: ApiContext) =>
      createJudgeVersion(ctx.db, ctx.principal, { ...args.input, projectId: args.projectId }),
    activateJudgeVersion: (_: unknown, args: Args<{ id: string }>, ctx: ApiContext) => activateJudgeVersionFor(ctx.db, ctx.principal, args.id),
    setJudgeSettings: (_: unknown, args: Args<{ projectId: string; settings: unknown }>, ctx: ApiContext) => setJudgeSettings(ctx.db, ctx.principal, args.projectId, args.settings),
    importLabels: (_: unknown, args: Args<{ projectId: string; dataset: string; kind: string; preset?: string; mapping?: unknown; jsonl?: string; url?: string }>, ctx: ApiContext) =>
      importLabelsFromRequest(ctx.db, ctx.principal, args),
    setRedaction: (_: unknown, args: Args<{ projectId: string; redaction: unknown }>, ctx: ApiContext) => setRedaction(ctx.db, ctx.principal, args.projectId, args.redaction),
    scheduleFlywheel: (_: unknown, args: Args<{ projectId: string; schedule?: unknown }>, ctx: ApiContext) => scheduleFlywheel(ctx.db, ctx.temporal, ctx.principal, args.projectId, stripNulls(args.schedule)),
    pauseSchedule: (_: unknown, args: Args<{ projectId: string; paused: boolean; note?: string }>, ctx: ApiContext) => pauseSchedule(ctx.db, ctx.temporal, ctx.principal, args.projectId, args.paused, args.note),
    triggerNow: (_: unknown, args: Args<{ projectId: string }>, ctx: ApiContext) => triggerNow(ctx.db, ctx.temporal, ctx.principal, args.projectId),
    supplyReleaseAnswers: (_: unknown, args: Args<{ projectId: string; release: string; answers: unknown[] }>, ctx: ApiContext) =>
      supplyAnswerItems(ctx.db, ctx.principal, { projectId: args.projectId, release: args.release, kind: 'case', items: args.answers }),
    evaluateRelease: (_: unknown, args: Args<{ projectId: string; release: string }>, ctx: ApiContext) => evaluateRelease(ctx.db, ctx.temporal, ctx.principal, args),
    supplyShadowAnswers: (_: unknown, args: Args<{ projectId: string; candidate: string; answers: unknown[] }>, ctx: ApiContext) =>
      supplyAnswerItems(ctx.db, ctx.principal, { projectId: args.projectId, release: args.candidate, kind: 'shadow', items: args.answers }),
    startShadowEvaluation: (_: unknown, args: Args<{ projectId: string; candidate: string }>, ctx: ApiContext) => startShadowEvaluation(ctx.db, ctx.temporal, ctx.principal, args),
    importEvalSet: async (_: unknown, args: Args<{ projectId: string; name: string; jsonl: string }>, ctx: ApiContext) => {
      const { set, version } = await importEvalSet(ctx.db, ctx.principal, args.projectId, args.name, args.jsonl);
      return { evalSet: set, version };
    },
  }),
  ReleaseEvaluation: {
    progress: (row: { workflowId: string; status: string }, _: unknown, ctx: ApiContext) => (row.status === 'running' ? releaseEvaluationProgress(ctx.temporal, row.workflowId) : null),
  },
  ShadowEvaluation: {
    progress: (row: { workflowId: string; status: string }, _: unknown, ctx: ApiContext) => (row.status === 'running' ? shadowEvaluationProgress(ctx.temporal, row.workflowId) : null),
  },
  OfflineScores: {
    // Stored under the statistic's own name (core/correlation), shown in GraphQL's casing.
    passRate: (scores: { pass_rate: unknown }) => scores.pass_rate,
  },
  JudgePromptVersion: {
    parent: (version: { parentId: string | null }, _: unknown, ctx: ApiContext) => (version.parentId ? ctx.loaders.judgeVersionById.load(version.parentId) : null),
    agreementReports: (version: { id: string }, _: unknown, ctx: ApiContext) => ctx.loaders.agreementReportsByJudgeVersion.load(version.id),
  },
  EvalSet: {
    latestVersion: (set: { id: string }, _: unknown, ctx: ApiContext) => ctx.db.evalSetVersion.findFirst({ where: { evalSetId: set.id }, orderBy: { version: 'desc' } }),
    versions: (set: { id: string }, _: unknown, ctx: ApiContext) => ctx.db.evalSetVersion.findMany({ where: { evalSetId: set.id }, orderBy: { version: 'asc' } }),
  },
  EvalSetVersion: {
    evalSet: (version: { evalSetId: string }, _: unknown, ctx: ApiContext) => ctx.loaders.evalSetById.load(version.evalSetId),
    cases: (version: { id: string }, args: Args<{ first?: number; after?: string }>, ctx: ApiContext) => versionCasesPage(ctx.db, version.id, args.first, args.after),
  },
  LabelTask: {
    stratum: async (task: LabelTaskRow, _: unknown, ctx: ApiContext) => (await ctx.loaders.sampleItemById.load(task.sampleItemId)).stratum,
    reason: async (task: LabelTaskRow, _: unknown, ctx: ApiContext) => (await ctx.loaders.sampleItemById.load(task.sampleItemId)).reason,
    trace: (task: LabelTaskRow, _: unknown, ctx: ApiContext) => ctx.loaders.traceById.load(task.traceId),
    session: (task: LabelTaskRow, _: unknown, ctx: ApiContext) => sessionContext(ctx.db, task.traceId),
    label: (task: LabelTaskRow, _: unknown, ctx: ApiContext) => ctx.loaders.labelByTaskId.load(task.id),
  },
  LabelingProgress: {
    perReviewer: (progress: LabelingProgress) => Object.entries(progress.perReviewer).map(([reviewerId, counts]) => ({ reviewerId, ...counts })),
  },
  Trace: {
    release: (trace: TraceRow) => trace.release?.name ?? null,
    feedback: (trace: TraceRow) => ({ thumb: trace.thumb, rating: trace.rating, comment: trace.feedbackComment }),
    events: (trace: TraceRow) => ({ regenerated: trace.regenerated, copied: trace.copied, escalated: trace.escalated, abandoned: trace.abandoned }),
    signals: (trace: TraceRow, _: unknown, ctx: ApiContext) => ctx.loaders.signalsByTraceId.load(trace.id),
  },
  Project: {
    flywheelRuns: (project: { id: string }, args: Args<{ first?: number; after?: string }>, ctx: ApiContext) =>
      listFlywheelRuns(ctx.db, ctx.principal, project.id, args.first, args.after),
  },
  FlywheelRun: {
    project: (run: RunRow, _: unknown, ctx: ApiContext) => ctx.loaders.projectById.load(run.projectId),
    progress: (run: RunRow, _: unknown, ctx: ApiContext) => queryRunProgress(ctx.temporal, run.workflowId),
    workflowStatus: (run: RunRow, _: unknown, ctx: ApiContext) => workflowStatus(ctx.temporal, run.workflowId),
    labelingProgress: (run: RunRow, _: unknown, ctx: ApiContext) => liveLabelingProgress(ctx.temporal, run.workflowId),
    mergeReport: (run: RunRow & { summary: unknown }) => (run.summary as { merge?: unknown } | null)?.merge ?? null,
    judging: (run: RunRow & { summary: unknown }) => (run.summary as { judging?: unknown } | null)?.judging ?? null,
    recalibration: (run: RunRow, _: unknown, ctx: ApiContext) => ctx.db.recalibration.findUnique({ where: { runId: run.id } }),
    correlation: (run: RunRow, _: unknown, ctx: ApiContext) => ctx.db.correlationReport.findUnique({ where: { runId: run.id } }),
  },
};
