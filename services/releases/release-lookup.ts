import type { Db } from '../../db/client';
import { ServiceError, badInput } from '../errors';
import { checkReleaseName } from '../../core/releases/answer-lines';

/** A release of the project by name; NOT_FOUND names how releases come to exist. */
export async function findRelease(db: Db, projectId: string, name: string) {
  const checked = checkReleaseName(name);
  if (!checked.ok) throw badInput(checked.reason);
  const release = await db.release.findUnique({ where: { projectId_name: { projectId, name: checked.name } } });
  if (!release) throw new ServiceError('NOT_FOUND', `release ${checked.name} not found in this project (a release exists once a trace names it or answers are supplied for it)`);
  return release;
}
