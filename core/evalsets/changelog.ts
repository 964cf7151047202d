// What changed between two versions of a set, and what a version contains. Versions are
// immutable lists of cases, so a diff is a comparison of (caseKey → contentHash) maps.

export interface VersionCaseRef {
  caseKey: string;
  contentHash: string;
  /** The stored row; same key + same hash is the same row, so the diff does not need it. */
  caseId: string;
}

export interface VersionDiff {
  /** caseKeys in b only, sorted. */
  added: string[];
  /** caseKeys in a only, sorted. */
  retired: string[];
  /** caseKeys in both with different content hashes, sorted. */
  changed: string[];
  /** Number of caseKeys in both with the same content hash. */
  unchanged: number;
}

/** Diff from version `a` (older) to version `b` (newer), by caseKey. */
export function diffVersions(a: readonly VersionCaseRef[], b: readonly VersionCaseRef[]): VersionDiff {
  const before = byKey(a, 'first');
  const after = byKey(b, 'second');
  const added: string[] = [];
  const changed: string[] = [];
  let unchanged = 0;
  for (const [key, hash] of after) {
    const old = before.get(key);
    if (old === undefined) added.push(key);
    else if (old === hash) unchanged++;
    else changed.push(key);
  }
  const retired = [...before.keys()].filter((k) => !after.has(k));
  return { added: added.sort(), retired: retired.sort(), changed: changed.sort(), unchanged };
}

// A version lists each caseKey once; a repeat means corrupt input, and diffing it would
// silently report one of the two rows, so fail loudly instead.
function byKey(refs: readonly VersionCaseRef[], which: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const r of refs) {
    if (m.has(r.caseKey)) throw new RangeError(`caseKey ${r.caseKey} appears twice in the ${which} version`);
    m.set(r.caseKey, r.contentHash);
  }
  return m;
}

/** Bucket for cases with no value for the slice dimension. */
export const UNTAGGED_SLICE = '(untagged)';
/** Bucket for cases whose verdict is null (reviewers disagreed; awaiting adjudication). */
export const UNDECIDED_VERDICT = 'undecided';

export interface CountableCase {
  slice: Record<string, string>;
  failureCategory: string | null;
  verdict: string | null;
}

export interface VersionCounts {
  total: number;
  /** Cases per value of the slice dimension ({@link UNTAGGED_SLICE} when absent); {} when no dimension is given. */
  bySlice: Record<string, number>;
  /** Cases per failure category; cases without a category are not counted here. */
  byCategory: Record<string, number>;
  /** Cases per verdict; null verdicts count as {@link UNDECIDED_VERDICT}. */
  byVerdict: Record<string, number>;
}

/**
 * Per-version summary counts. `sliceDimension` '' means the project has no slice
 * dimension configured, so `bySlice` is empty rather than one big "(untagged)" bucket.
 * Keys come out sorted so the stored JSON is deterministic.
 */
export function countsBy(cases: readonly CountableCase[], sliceDimension: string): VersionCounts {
  const bySlice = new Map<string, number>();
  const byCategory = new Map<string, number>();
  const byVerdict = new Map<string, number>();
  const bump = (m: Map<string, number>, k: string) => m.set(k, (m.get(k) ?? 0) + 1);
  for (const c of cases) {
    if (sliceDimension !== '') {
      // Own properties only: a dimension named "constructor" must not read Object.prototype.
      const value = Object.hasOwn(c.slice, sliceDimension) ? c.slice[sliceDimension] : undefined;
      bump(bySlice, value === undefined || value === '' ? UNTAGGED_SLICE : value);
    }
    if (c.failureCategory !== null) bump(byCategory, c.failureCategory);
    bump(byVerdict, c.verdict ?? UNDECIDED_VERDICT);
  }
  return { total: cases.length, bySlice: sortedRecord(bySlice), byCategory: sortedRecord(byCategory), byVerdict: sortedRecord(byVerdict) };
}

// Object.fromEntries defines own properties, so a key like "__proto__" is kept as data.
function sortedRecord(m: Map<string, number>): Record<string, number> {
  return Object.fromEntries([...m.entries()].sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0)));
}
