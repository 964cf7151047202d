import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { PrismaClient } from '../generated/prisma/client';

export type Db = PrismaClient;

// The pg pool under each client made here: bulk ingestion streams rows with COPY, which
// Prisma cannot send, on the same connections Prisma uses.
const pools = new WeakMap<Db, pg.Pool>();

/** Prisma 7 without an engine binary: queries go through the pg driver adapter. */
export function createDb(databaseUrl: string, poolSize = 10): Db {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: poolSize });
  const db = new PrismaClient({ adapter: new PrismaPg(pool, { disposeExternalPool: true }) });
  pools.set(db, pool);
  return db;
}

/** The pg pool of a client made by {@link createDb}. */
export function poolOf(db: Db): pg.Pool {
  const pool = pools.get(db);
  if (!pool) throw new Error('this Prisma client was not made by createDb: no pg pool to stream rows with');
  return pool;
}
