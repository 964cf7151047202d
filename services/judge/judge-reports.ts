// Agreement and recalibration history, newest first.
import type { Db } from '../../db/client';
import type { Principal } from '../api-keys';
import { badInput } from '../errors';
import { requireProject } from '../projects';

export async function listAgreementReports(db: Db, principal: Principal, projectId: string, first?: number | null) {
  await requireProject(db, principal, projectId, 'read');
  const take = first ?? 50;
  if (!Number.isInteger(take) || take < 1 || take > 500) throw badInput('first must be between 1 and 500');
  return db.agreementReport.findMany({ where: { projectId }, orderBy: [{ createdAt: 'desc' }, { id: 'asc' }], take });
}

export async function listRecalibrations(db: Db, principal: Principal, projectId: string) {
  await requireProject(db, principal, projectId, 'read');
  return db.recalibration.findMany({ where: { projectId }, orderBy: { createdAt: 'desc' }, take: 100 });
}
