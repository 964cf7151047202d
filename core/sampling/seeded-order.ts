// The order in which traces are picked within a sample cell. It must be reproducible
// (re-running a month's sampling picks the same traces) and identical in TypeScript and
// in PostgreSQL, which picks the traces:
//
//   ORDER BY md5($seed || ':' || trace_id::text) COLLATE "C", trace_id COLLATE "C"
//
// A cell much larger than it needs is first thinned to a seeded subset (activities/sampling.ts,
// `prefilterBits`), and that subset is ordered this way; small cells are ordered whole.
//
// md5 is used as a hash, not for security: it is built into PostgreSQL (no extension)
// and node:crypto, and its hex digest sorts the same way in both as long as the SQL
// compares bytes (COLLATE "C"), which is also what JavaScript's `<` does on ASCII.
import { createHash } from 'node:crypto';

/**
 * Sort key of `traceId` under `seed`: hex md5 of `${seed}:${traceId}` (UTF-8), equal to
 * PostgreSQL's `md5(seed || ':' || trace_id)` on a UTF-8 database. The ':' keeps
 * ("ab", "c") and ("a", "bc") apart.
 */
export function sampleSortKey(seed: string, traceId: string): string {
  return createHash('md5').update(`${seed}:${traceId}`, 'utf8').digest('hex');
}

/** Byte-order comparison, like COLLATE "C" (locale-independent, unlike localeCompare). */
const compareCodeUnits = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Trace ids in sample order under `seed`: by {@link sampleSortKey}, ties (practically
 * impossible) by id. Picking the first k of a cell gives the same traces as the SQL above.
 */
export function orderBySampleKey(seed: string, traceIds: readonly string[]): string[] {
  return traceIds
    .map((id) => ({ id, key: sampleSortKey(seed, id) }))
    .sort((a, b) => compareCodeUnits(a.key, b.key) || compareCodeUnits(a.id, b.id))
    .map((x) => x.id);
}
