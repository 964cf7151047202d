import { toConnection } from '../core/pagination/cursor';
import type { Db } from '../db/client';
import type { Principal } from './api-keys';
import { authorize } from './authorization';
import { pageArgs } from './pagination';

/** A project's runs, newest first. */
export async function listFlywheelRuns(db: Db, principal: Principal, projectId: string, first?: number | null, after?: string | null) {
  authorize(principal, 'read', projectId);
  const { size, prisma } = pageArgs(first, after, 20);
  const where = { projectId };
  const [rows, totalCount] = await Promise.all([
    db.flywheelRun.findMany({ where, orderBy: [{ createdAt: 'desc' }, { id: 'desc' }], ...prisma }),
    db.flywheelRun.count({ where }),
  ]);
  return toConnection(rows, size, totalCount);
}
