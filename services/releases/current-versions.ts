// The eval set versions a release is measured on: the latest of the project's production
// set and of its regression set (custom sets are not part of the offline score).
import type { Db } from '../../db/client';

interface CurrentVersion {
  id: string;
  version: number;
}

export async function currentEvalSetVersions(db: Db, projectId: string): Promise<{ production: CurrentVersion | null; regression: CurrentVersion | null }> {
  const latest = async (kind: 'production' | 'regression') =>
    db.evalSetVersion.findFirst({ where: { evalSet: { projectId, kind } }, orderBy: [{ evalSet: { createdAt: 'asc' } }, { version: 'desc' }], select: { id: true, version: true } });
  const [production, regression] = await Promise.all([latest('production'), latest('regression')]);
  return { production, regression };
}
