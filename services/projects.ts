import { toConnection } from '../core/pagination/cursor';
import type { Db } from '../db/client';
import { Prisma } from '../generated/prisma/client';
import type { Principal } from './api-keys';
import { authorize, visibleProjectId } from './authorization';
import { ServiceError, badInput, notFound } from './errors';
import { pageArgs } from './pagination';

export async function createProject(db: Db, principal: Principal, name: string) {
  authorize(principal, 'administer');
  const trimmed = name.trim();
  if (trimmed.length < 1 || trimmed.length > 100) throw badInput('project name must be 1 to 100 characters');
  try {
    return await db.project.create({ data: { name: trimmed } });
  } catch (error) {
    if (error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2002') {
      throw new ServiceError('CONFLICT', `a project named "${trimmed}" already exists`);
    }
    throw error;
  }
}

export async function listProjects(db: Db, principal: Principal, first?: number | null, after?: string | null) {
  const { size, prisma } = pageArgs(first, after);
  const where = { id: visibleProjectId(principal) };
  const [rows, totalCount] = await Promise.all([
    db.project.findMany({ where, orderBy: { id: 'asc' }, ...prisma }),
    db.project.count({ where }),
  ]);
  return toConnection(rows, size, totalCount);
}

export async function getProject(db: Db, principal: Principal, id: string) {
  assertUuid(id, 'project id');
  authorize(principal, 'read', id);
  const project = await db.project.findUnique({ where: { id } });
  if (!project) throw notFound('project', id);
  return project;
}

/** For writes: the project must exist and the key must be allowed the action on it. */
export async function requireProject(db: Db, principal: Principal, id: string, action: Parameters<typeof authorize>[1]) {
  assertUuid(id, 'project id');
  authorize(principal, action, id);
  const project = await db.project.findUnique({ where: { id } });
  if (!project) throw notFound('project', id);
  return project;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function assertUuid(value: string, what: string): void {
  if (!UUID.test(value)) throw badInput(`${what} must be a UUID, got "${value.slice(0, 60)}"`);
}
