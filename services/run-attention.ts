// A run that needs a person (a judge that failed everywhere, a recalibration that found no
// better prompt, drift): each reason is added once to the run's needsAttention, never
// replacing another, so a retried activity or a later stage loses nothing.
import type { Db } from '../db/client';
import type { Prisma } from '../generated/prisma/client';

export function flagRunForAttention(db: Db | Prisma.TransactionClient, runId: string, reason: string): Promise<number> {
  return db.$executeRawUnsafe(
    `UPDATE flywheel_run SET needs_attention = concat_ws('; ', needs_attention, $2::text)
      WHERE id = $1::uuid AND strpos(coalesce(needs_attention, ''), $2::text) = 0`,
    runId,
    reason,
  );
}
