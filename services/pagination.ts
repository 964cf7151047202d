import { decodeCursor } from '../core/pagination/cursor';
import { badInput } from './errors';

export const MAX_PAGE_SIZE = 200;

/** Validates `first`/`after` and returns Prisma's cursor arguments (fetching one extra row). */
export function pageArgs(first: number | null | undefined, after: string | null | undefined, defaultSize = 50) {
  const size = first ?? defaultSize;
  if (!Number.isInteger(size) || size < 1 || size > MAX_PAGE_SIZE) throw badInput(`first must be between 1 and ${MAX_PAGE_SIZE}`);
  const cursorId = after ? decodeCursor(after) : null;
  if (after && !cursorId) throw badInput('after is not a valid cursor');
  return { size, prisma: { take: size + 1, ...(cursorId ? { cursor: { id: cursorId }, skip: 1 } : {}) } };
}
