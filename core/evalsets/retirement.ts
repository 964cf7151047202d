// Retirement policy: a case stops representing production when the kind of traffic it
// came from has gone (a retired feature, a dropped locale). Such cases keep scoring
// behaviour nobody sees any more, so they leave the set in a new version (old versions
// still list them, immutably).

export interface RetirementCandidate {
  caseKey: string;
  /** ISO 8601 timestamp of when the case was created. */
  createdAt: string;
  slice: Record<string, string>;
  retired: boolean;
}

export interface RetirementOptions {
  /** Cases created more than this many calendar months before `now` are old. Positive integer. */
  olderThanMonths: number;
  /** The slice dimension whose values are checked against recent production traffic. */
  sliceDimension: string;
  /** Recent production trace counts per value of `sliceDimension`. */
  recentSliceCounts: Record<string, number>;
  /** ISO 8601 timestamp; the caller's clock, so the rule stays pure. */
  now: string;
}

export interface Retirement {
  caseKey: string;
  reason: string;
}

/**
 * Cases to retire: not already retired, created strictly before `now` minus
 * `olderThanMonths` calendar months (UTC; a month-end day clamps, so 31 March − 1 month
 * is 28/29 February), and whose value for `sliceDimension` had no recent production
 * traffic (count absent or <= 0). Cases without that slice tag (or with an empty value)
 * are never retired by this rule: we cannot tell whether their traffic is gone.
 * Returned in input order. Throws RangeError on a bad option or timestamp rather than
 * retiring (or keeping) cases on a misread date.
 */
export function casesToRetire(cases: readonly RetirementCandidate[], options: RetirementOptions): Retirement[] {
  const { olderThanMonths, sliceDimension, recentSliceCounts } = options;
  if (!Number.isInteger(olderThanMonths) || olderThanMonths < 1) {
    throw new RangeError(`olderThanMonths must be a positive integer, got ${olderThanMonths}`);
  }
  if (sliceDimension === '') throw new RangeError('sliceDimension must be a non-empty slice dimension name');
  const now = parseTimestamp(options.now, 'now');
  const cutoff = subtractMonthsUtc(now, olderThanMonths);

  const out: Retirement[] = [];
  for (const c of cases) {
    if (c.retired) continue;
    const value = Object.hasOwn(c.slice, sliceDimension) ? c.slice[sliceDimension] : undefined;
    if (value === undefined || value === '') continue;
    const created = parseTimestamp(c.createdAt, `createdAt of ${c.caseKey}`);
    if (created >= cutoff) continue;
    const recent = Object.hasOwn(recentSliceCounts, value) ? recentSliceCounts[value] : undefined;
    if (recent !== undefined && recent > 0) continue;
    out.push({
      caseKey: c.caseKey,
      reason:
        `created ${new Date(created).toISOString().slice(0, 10)}, more than ${olderThanMonths} month(s) ago, ` +
        `and ${sliceDimension}=${value} was not seen in recent production traffic`,
    });
  }
  return out;
}

function parseTimestamp(s: string, what: string): number {
  const t = Date.parse(s);
  if (Number.isNaN(t)) throw new RangeError(`${what} is not a valid timestamp: ${JSON.stringify(s)}`);
  return t;
}

/** `t` moved back `months` calendar months in UTC, clamping the day to the target month's length. */
export function subtractMonthsUtc(t: number, months: number): number {
  const d = new Date(t);
  const totalMonths = d.getUTCFullYear() * 12 + d.getUTCMonth() - months;
  const year = Math.floor(totalMonths / 12);
  const month = totalMonths - year * 12;
  // setUTCFullYear rather than Date.UTC, which maps years 0..99 to 1900..1999.
  const out = new Date(0);
  out.setUTCFullYear(year, month + 1, 0);
  const day = Math.min(d.getUTCDate(), out.getUTCDate());
  out.setUTCFullYear(year, month, day);
  out.setUTCHours(d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds(), d.getUTCMilliseconds());
  return out.getTime();
}
