// Writes a new immutable version of a set: case rows are content-addressed per set
// (unique set + key + hash), so writing the same content twice finds the same rows.
import { caseContentHash, versionContentHash } from '../../core/evalsets/content-hash';
import { countsBy, diffVersions } from '../../core/evalsets/changelog';
import type { EvalCaseContent } from '../../core/evalsets/types';
import type { Db } from '../../db/client';

export type Tx = Parameters<Parameters<Db['$transaction']>[0]>[0];

export interface VersionChange {
  /** Cases to add or replace (matched by caseKey). */
  upsert: EvalCaseContent[];
  /** caseKeys to leave out of the new version. */
  retire: { caseKey: string; reason: string }[];
  skipped?: { caseKey: string; reason: string }[];
  origin: string;
  runId?: string | null;
}

interface CaseRow {
  id: string;
  caseKey: string;
  contentHash: string;
  slice: unknown;
  failureCategory: string | null;
  verdict: string | null;
}

export async function latestVersion(tx: Tx | Db, evalSetId: string) {
  return tx.evalSetVersion.findFirst({ where: { evalSetId }, orderBy: { version: 'desc' } });
}

export async function versionCases(tx: Tx | Db, versionId: string): Promise<CaseRow[]> {
  const rows = await tx.evalSetVersionCase.findMany({
    where: { versionId },
    select: { evalCase: { select: { id: true, caseKey: true, contentHash: true, slice: true, failureCategory: true, verdict: true } } },
  });
  return rows.map((r) => r.evalCase);
}

/** Returns the new version, or null when the change would leave the set as it is. */
export async function writeVersion(tx: Tx, evalSetId: string, change: VersionChange, sliceDimension: string | null) {
  const parent = await latestVersion(tx, evalSetId);
  const before = parent ? await versionCases(tx, parent.id) : [];
  const byKey = new Map(before.map((c) => [c.caseKey, c]));
  for (const { caseKey } of change.retire) byKey.delete(caseKey);
  for (const content of change.upsert) {
    const contentHash = caseContentHash(content);
    const row = await tx.evalCase.upsert({
      where: { evalSetId_caseKey_contentHash: { evalSetId, caseKey: content.caseKey, contentHash } },
      update: {},
      create: {
        evalSetId,
        caseKey: content.caseKey,
        contentHash,
        input: content.input,
        sessionContext: JSON.parse(JSON.stringify(content.sessionContext)),
        retrievedContext: JSON.parse(JSON.stringify(content.retrievedContext)),
        output: content.output,
        expected: content.expected,
        labels: JSON.parse(JSON.stringify(content.labels)),
        verdict: content.verdict,
        failureCategory: content.failureCategory,
        slice: content.slice,
        needsAdjudication: content.needsAdjudication,
        sourceTraceId: content.sourceTraceId,
        sourceRunId: content.sourceRunId,
      },
      select: { id: true, caseKey: true, contentHash: true, slice: true, failureCategory: true, verdict: true },
    });
    byKey.set(content.caseKey, row);
  }
  const after = [...byKey.values()];
  const changelog = diffVersions(
    before.map((c) => ({ caseKey: c.caseKey, contentHash: c.contentHash, caseId: c.id })),
    after.map((c) => ({ caseKey: c.caseKey, contentHash: c.contentHash, caseId: c.id })),
  );
  if (parent && changelog.added.length === 0 && changelog.changed.length === 0 && changelog.retired.length === 0) return null;
  const retiredReasons = Object.fromEntries(change.retire.map((r) => [r.caseKey, r.reason]));
  const version = await tx.evalSetVersion.create({
    data: {
      evalSetId,
      version: (parent?.version ?? 0) + 1,
      parentId: parent?.id ?? null,
      contentHash: versionContentHash(after.map((c) => c.contentHash)),
      caseCount: after.length,
      counts: JSON.parse(JSON.stringify(countsBy(after.map((c) => ({ slice: c.slice as Record<string, string>, failureCategory: c.failureCategory, verdict: c.verdict })), sliceDimension ?? ''))),
      changelog: JSON.parse(JSON.stringify({ ...changelog, retiredReasons, skipped: change.skipped ?? [] })),
      runId: change.runId ?? null,
      origin: change.origin,
    },
  });
  if (after.length) await tx.evalSetVersionCase.createMany({ data: after.map((c) => ({ versionId: version.id, caseId: c.id })) });
  for (const { caseKey, reason } of change.retire) {
    // Marks the current state only; older versions still list the case and read as they were.
    await tx.evalCase.updateMany({ where: { evalSetId, caseKey, retiredAt: null }, data: { retiredAt: new Date(), retiredReason: reason } });
  }
  return version;
}
