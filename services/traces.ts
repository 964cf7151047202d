// Reading traces and recording feedback that arrives after them.
import { toConnection } from '../core/pagination/cursor';
import { SIGNAL_KINDS, type SignalKind } from '../core/signals/derive-signals';
import { parseRecordFeedbackInput } from '../core/traces/feedback-schema';
import type { Db } from '../db/client';
import type { Prisma } from '../generated/prisma/client';
import type { Principal } from './api-keys';
import { badInput, notFound } from './errors';
import { redactText } from '../core/traces/redaction';
import { loadRedaction } from './ingestion/ingest-traces';
import { projectLatencyP90, recomputeSessionSignals } from './ingestion/session-signals';
import { prismaSqlClient } from './ingestion/sql-client';
import { pageArgs } from './pagination';
import { requireProject } from './projects';

export interface TraceFilter {
  since?: string | null;
  until?: string | null;
  release?: string | null;
  sessionId?: string | null;
  slice?: { key: string; value: string }[] | null;
  /** Traces on which every listed signal fired. */
  signals?: string[] | null;
  /** Case-insensitive substring of the input or output. */
  text?: string | null;
}

function traceWhere(projectId: string, filter: TraceFilter | null | undefined): Prisma.TraceWhereInput {
  const where: Prisma.TraceWhereInput = { projectId };
  if (!filter) return where;
  if (filter.since || filter.until) where.timestamp = { ...(filter.since ? { gte: new Date(filter.since) } : {}), ...(filter.until ? { lt: new Date(filter.until) } : {}) };
  if (filter.release) where.release = { name: filter.release };
  if (filter.sessionId) where.sessionId = filter.sessionId;
  const and: Prisma.TraceWhereInput[] = [];
  for (const { key, value } of filter.slice ?? []) {
    if (!key) throw badInput('slice filter keys must not be empty');
    and.push({ slice: { path: [key], equals: value } });
  }
  for (const kind of filter.signals ?? []) {
    if (!SIGNAL_KINDS.includes(kind as SignalKind)) throw badInput(`unknown signal "${kind.slice(0, 40)}"; known: ${SIGNAL_KINDS.join(', ')}`);
    and.push({ signals: { some: { kind } } });
  }
  if (filter.text) {
    if (filter.text.length > 500) throw badInput('text filter is limited to 500 characters');
    // Prisma's `contains` is ILIKE '%text%' without escaping: % and _ in the text would be wildcards.
    const literal = filter.text.replace(/[\\%_]/g, (c) => `\\${c}`);
    and.push({ OR: [{ input: { contains: literal, mode: 'insensitive' } }, { output: { contains: literal, mode: 'insensitive' } }] });
  }
  if (and.length) where.AND = and;
  return where;
}

export async function listTraces(db: Db, principal: Principal, projectId: string, filter: TraceFilter | null | undefined, first?: number | null, after?: string | null) {
  await requireProject(db, principal, projectId, 'read');
  const { size, prisma } = pageArgs(first, after);
  const where = traceWhere(projectId, filter);
  const [rows, totalCount] = await Promise.all([
    db.trace.findMany({ where, orderBy: [{ timestamp: 'desc' }, { id: 'desc' }], include: { release: { select: { name: true } } }, ...prisma }),
    db.trace.count({ where }),
  ]);
  return toConnection(rows, size, totalCount);
}

/** The project's slice dimensions and the production mix of each, in the period. */
export async function sliceDistribution(db: Db, principal: Principal, projectId: string, since?: string | null, until?: string | null) {
  await requireProject(db, principal, projectId, 'read');
  const rows = await db.$queryRawUnsafe<{ key: string; value: string; count: bigint }[]>(
    `SELECT s.key, s.value, count(*) AS count
       FROM trace t, jsonb_each_text(t.slice) AS s(key, value)
      WHERE t.project_id = $1::uuid AND ($2::timestamptz IS NULL OR t.timestamp >= $2::timestamptz) AND ($3::timestamptz IS NULL OR t.timestamp < $3::timestamptz)
      GROUP BY s.key, s.value ORDER BY s.key, count DESC, s.value`,
    projectId,
    since ?? null,
    until ?? null,
  );
  const total = await db.trace.count({ where: traceWhere(projectId, { since, until }) });
  const dimensions = new Map<string, { value: string; count: number; share: number }[]>();
  for (const row of rows) {
    const values = dimensions.get(row.key) ?? [];
    values.push({ value: row.value, count: Number(row.count), share: total ? Number(row.count) / total : 0 });
    dimensions.set(row.key, values);
  }
  return {
    totalTraces: total,
    dimensions: [...dimensions.entries()].map(([key, values]) => {
      const tagged = values.reduce((sum, v) => sum + v.count, 0);
      return { key, values, untagged: total - tagged };
    }),
  };
}

/** Feedback for a trace, keyed by the application's own trace id; re-derives the session's signals. */
export async function recordFeedback(db: Db, principal: Principal, projectId: string, input: unknown) {
  await requireProject(db, principal, projectId, 'ingest');
  const parsed = parseRecordFeedbackInput(input);
  if (!parsed.ok) throw badInput(parsed.reason, { issues: parsed.issues });
  const feedback = parsed.value;
  const trace = await db.trace.findUnique({ where: { projectId_externalId: { projectId, externalId: feedback.traceId } } });
  if (!trace) throw notFound('trace', feedback.traceId);
  const highLatencyMs = await projectLatencyP90(db, projectId);
  const redaction = await loadRedaction(db, projectId);
  const settings = (await db.project.findUniqueOrThrow({ where: { id: projectId }, select: { signalSettings: true } })).signalSettings as {
    rephraseThreshold?: number;
    longSessionTurns?: number;
  };
  return db.$transaction(async (tx) => {
    const events = feedback.events ?? {};
    await tx.trace.update({
      where: { id: trace.id },
      data: {
        ...(feedback.thumb !== undefined ? { thumb: feedback.thumb } : {}),
        ...(feedback.rating !== undefined ? { rating: feedback.rating } : {}),
        ...(feedback.comment !== undefined ? { feedbackComment: redactText(feedback.comment, redaction) } : {}),
        ...(events.regenerated !== undefined ? { regenerated: events.regenerated } : {}),
        ...(events.copied !== undefined ? { copied: events.copied } : {}),
        ...(events.escalated !== undefined ? { escalated: events.escalated } : {}),
        ...(events.abandoned !== undefined ? { abandoned: events.abandoned } : {}),
        feedbackAt: new Date(),
      },
    });
    await recomputeSessionSignals(prismaSqlClient(tx), projectId, [trace.sessionId], { ...settings, highLatencyMs });
    return tx.trace.findUniqueOrThrow({ where: { id: trace.id }, include: { release: { select: { name: true } } } });
  });
}

export async function listReleases(db: Db, principal: Principal, projectId: string) {
  await requireProject(db, principal, projectId, 'read');
  const rows = await db.release.findMany({ where: { projectId }, orderBy: { createdAt: 'asc' } });
  const counts = await db.trace.groupBy({ by: ['releaseId'], where: { projectId }, _count: { _all: true } });
  const byRelease = new Map(counts.map((c) => [c.releaseId, c._count._all]));
  return rows.map((r) => ({ ...r, traceCount: byRelease.get(r.id) ?? 0 }));
}
