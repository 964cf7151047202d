// Eval sets through the API: read, diff, retire, create, import, export.
import { casesToRetire } from '../../core/evalsets/retirement';
import { diffVersions } from '../../core/evalsets/changelog';
import { parseEvalSetJsonl, toJsonl, toOpenAiEvalsSamples, toPromptfooTests } from '../../core/evalsets/export-formats';
import type { EvalCaseContent, ExportCase } from '../../core/evalsets/types';
import { toConnection } from '../../core/pagination/cursor';
import type { Db } from '../../db/client';
import { Prisma } from '../../generated/prisma/client';
import type { Principal } from '../api-keys';
import { authorize, isVisibleTo } from '../authorization';
import { ServiceError, badInput, notFound } from '../errors';
import { pageArgs } from '../pagination';
import { assertUuid, requireProject } from '../projects';
import { latestVersion, writeVersion } from './version-writer';

export const EXPORT_FORMATS = ['jsonl', 'promptfoo', 'openai-evals'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export async function listEvalSets(db: Db, principal: Principal, projectId: string) {
  await requireProject(db, principal, projectId, 'read');
  return db.evalSet.findMany({ where: { projectId }, orderBy: [{ kind: 'asc' }, { name: 'asc' }] });
}

export async function getVersion(db: Db, principal: Principal, id: string) {
  assertUuid(id, 'version id');
  const version = await db.evalSetVersion.findUnique({ where: { id }, include: { evalSet: true } });
  if (!version || !isVisibleTo(principal, version.evalSet.projectId)) throw notFound('eval set version', id);
  authorize(principal, 'read', version.evalSet.projectId);
  return version;
}

export async function versionCasesPage(db: Db, versionId: string, first?: number | null, after?: string | null) {
  const { size, prisma } = pageArgs(first, after);
  const where = { versions: { some: { versionId } } };
  const [rows, totalCount] = await Promise.all([db.evalCase.findMany({ where, orderBy: [{ caseKey: 'asc' }, { id: 'asc' }], ...prisma }), db.evalCase.count({ where })]);
  return toConnection(rows, size, totalCount);
}

async function casesOf(db: Db, versionId: string) {
  return db.evalCase.findMany({ where: { versions: { some: { versionId } } }, orderBy: { caseKey: 'asc' } });
}

export async function diffEvalSetVersions(db: Db, principal: Principal, a: string, b: string) {
  const [va, vb] = await Promise.all([getVersion(db, principal, a), getVersion(db, principal, b)]);
  if (va.evalSetId !== vb.evalSetId) throw badInput('both versions must belong to the same eval set');
  const [ca, cb] = await Promise.all([casesOf(db, va.id), casesOf(db, vb.id)]);
  const toKeys = (rows: typeof ca) => rows.map((c) => ({ caseKey: c.caseKey, contentHash: c.contentHash, caseId: c.id }));
  return { from: va, to: vb, ...diffVersions(toKeys(ca), toKeys(cb)) };
}

export async function createEvalSet(db: Db, principal: Principal, projectId: string, name: string, description?: string | null) {
  await requireProject(db, principal, projectId, 'operate');
  const trimmed = name.trim();
  if (!/^[A-Za-z0-9][A-Za-z0-9 _.-]{0,79}$/.test(trimmed)) throw badInput('set name must be 1-80 letters, digits, spaces, _ . or -');
  if (trimmed === 'production' || trimmed === 'regression') throw badInput(`"${trimmed}" is reserved for the flywheel's own set`);
  try {
    return await db.evalSet.create({ data: { projectId, name: trimmed, kind: 'custom', description: description ?? null } });
  } catch (error) {
    if (error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2002') throw new ServiceError('CONFLICT', `an eval set named "${trimmed}" already exists`);
    throw error;
  }
}

async function sliceDimensionOf(db: Db, projectId: string): Promise<string | null> {
  const project = await db.project.findUniqueOrThrow({ where: { id: projectId }, select: { samplingPolicy: true } });
  const policy = project.samplingPolicy as { sliceDimension?: string | null };
  return policy.sliceDimension === undefined ? 'intent' : policy.sliceDimension;
}

/** Retiring never deletes: the next version leaves the case out, older versions keep it. */
export async function retireEvalCase(db: Db, principal: Principal, caseId: string, reason: string) {
  assertUuid(caseId, 'case id');
  const evalCase = await db.evalCase.findUnique({ where: { id: caseId }, include: { evalSet: true } });
  if (!evalCase || !isVisibleTo(principal, evalCase.evalSet.projectId)) throw notFound('eval case', caseId);
  authorize(principal, 'operate', evalCase.evalSet.projectId);
  const trimmed = reason.trim();
  if (!trimmed || trimmed.length > 2000) throw badInput('retiring needs a reason of 1 to 2000 characters');
  if (evalCase.retiredAt) throw new ServiceError('CONFLICT', `case ${evalCase.caseKey} is already retired`);
  const sliceDimension = await sliceDimensionOf(db, evalCase.evalSet.projectId);
  const version = await db.$transaction((tx) => writeVersion(tx, evalCase.evalSetId, { upsert: [], retire: [{ caseKey: evalCase.caseKey, reason: trimmed }], origin: `retired by hand: ${trimmed}` }, sliceDimension));
  if (!version) throw new ServiceError('CONFLICT', `case ${evalCase.caseKey} is not in the set's latest version`);
  return version;
}

/** Retires cases older than K months whose slice was not seen in production in the last K months. */
export async function applyRetirementPolicy(db: Db, principal: Principal, evalSetId: string, olderThanMonths: number, now = new Date()) {
  assertUuid(evalSetId, 'eval set id');
  const set = await db.evalSet.findUnique({ where: { id: evalSetId } });
  if (!set || !isVisibleTo(principal, set.projectId)) throw notFound('eval set', evalSetId);
  authorize(principal, 'operate', set.projectId);
  if (!Number.isInteger(olderThanMonths) || olderThanMonths < 1 || olderThanMonths > 120) throw badInput('olderThanMonths must be a whole number from 1 to 120');
  const sliceDimension = await sliceDimensionOf(db, set.projectId);
  if (!sliceDimension) throw badInput('the project samples without a slice dimension, so this policy has nothing to go on');
  const since = new Date(now);
  since.setUTCMonth(since.getUTCMonth() - olderThanMonths);
  const recent = await db.$queryRawUnsafe<{ value: string; n: bigint }[]>(
    `SELECT slice->>$2 AS value, count(*) AS n FROM trace WHERE project_id = $1::uuid AND timestamp >= $3::timestamptz AND slice ? $2 GROUP BY 1`,
    set.projectId,
    sliceDimension,
    since.toISOString(),
  );
  const latest = await latestVersion(db, evalSetId);
  const active = latest ? await db.evalCase.findMany({ where: { versions: { some: { versionId: latest.id } } }, select: { caseKey: true, createdAt: true, slice: true } }) : [];
  const toRetire = casesToRetire(
    active.map((c) => ({ caseKey: c.caseKey, createdAt: c.createdAt.toISOString(), slice: c.slice as Record<string, string>, retired: false })),
    { olderThanMonths, sliceDimension, recentSliceCounts: Object.fromEntries(recent.map((r) => [r.value, Number(r.n)])), now: now.toISOString() },
  );
  if (toRetire.length === 0) return { retired: [], version: null };
  const version = await db.$transaction((tx) => writeVersion(tx, evalSetId, { upsert: [], retire: toRetire, origin: `retirement policy: older than ${olderThanMonths} months, slice no longer seen` }, sliceDimension));
  return { retired: toRetire, version };
}

function toExportCase(row: Awaited<ReturnType<typeof casesOf>>[number]): ExportCase {
  return {
    id: row.id,
    contentHash: row.contentHash,
    caseKey: row.caseKey,
    input: row.input,
    sessionContext: row.sessionContext as unknown as EvalCaseContent['sessionContext'],
    retrievedContext: row.retrievedContext as unknown as EvalCaseContent['retrievedContext'],
    output: row.output,
    expected: row.expected,
    labels: row.labels as unknown as EvalCaseContent['labels'],
    verdict: row.verdict as EvalCaseContent['verdict'],
    failureCategory: row.failureCategory,
    slice: row.slice as Record<string, string>,
    needsAdjudication: row.needsAdjudication,
    sourceTraceId: row.sourceTraceId,
    sourceRunId: row.sourceRunId,
  };
}

export async function exportVersion(db: Db, principal: Principal, versionId: string, format: string): Promise<{ body: string; contentType: string; filename: string }> {
  if (!EXPORT_FORMATS.includes(format as ExportFormat)) throw badInput(`format must be one of ${EXPORT_FORMATS.join(', ')}`);
  const version = await getVersion(db, principal, versionId);
  const cases = (await casesOf(db, version.id)).map(toExportCase);
  const base = `${version.evalSet.name}-v${version.version}`;
  if (format === 'promptfoo') return { body: JSON.stringify(toPromptfooTests(cases), null, 2), contentType: 'application/json', filename: `${base}.promptfoo.json` };
  if (format === 'openai-evals') return { body: toOpenAiEvalsSamples(cases), contentType: 'application/x-ndjson', filename: `${base}.openai-evals.jsonl` };
  return { body: toJsonl(cases), contentType: 'application/x-ndjson', filename: `${base}.jsonl` };
}

/** A JSONL set (this service's own export format) becomes a new custom set, version 1. */
export async function importEvalSet(db: Db, principal: Principal, projectId: string, name: string, jsonl: string) {
  // Authorized before the file is read: a key without the right learns nothing from it.
  await requireProject(db, principal, projectId, 'operate');
  const parsed = parseEvalSetJsonl(jsonl);
  if (parsed.errors.length) throw badInput(`the file has ${parsed.errors.length} invalid line(s); nothing was imported`, { errors: parsed.errors.slice(0, 100) });
  if (parsed.cases.length === 0) throw badInput('the file has no cases');
  const keys = new Set<string>();
  for (const c of parsed.cases) {
    if (keys.has(c.caseKey)) throw badInput(`caseKey ${c.caseKey} appears twice`);
    keys.add(c.caseKey);
  }
  const set = await createEvalSet(db, principal, projectId, name);
  const version = await db.$transaction((tx) => writeVersion(tx, set.id, { upsert: parsed.cases, retire: [], origin: 'imported from JSONL' }, null), { timeout: 120_000 });
  return { set, version };
}
