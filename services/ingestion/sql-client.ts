// The SQL that ingestion and signal derivation run, over either a pg connection (bulk
// ingestion: COPY and no per-statement Prisma overhead) or a Prisma transaction (feedback
// recorded through the API). Results are plain rows as pg returns them.
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ClientBase, Pool, PoolClient } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import type { Db } from '../../db/client';

export interface SqlClient {
  query<T>(sql: string, params?: readonly unknown[]): Promise<T[]>;
}

/** A pg connection: it can also stream rows in with COPY. */
export interface CopySqlClient extends SqlClient {
  /** Runs `COPY ... FROM STDIN` (text format) with these rows, each ending in a newline. */
  copy(sql: string, rows: string): Promise<void>;
}

type PrismaTx = Parameters<Parameters<Db['$transaction']>[0]>[0];

export function prismaSqlClient(tx: PrismaTx): SqlClient {
  return { query: <T>(sql: string, params: readonly unknown[] = []) => tx.$queryRawUnsafe<T[]>(sql, ...params) };
}

export function pgSqlClient(client: ClientBase): CopySqlClient {
  return {
    query: async <T>(sql: string, params: readonly unknown[] = []) => (await client.query(sql, params as unknown[])).rows as T[],
    copy: (sql, rows) => pipeline(Readable.from([rows]), client.query(copyFrom(sql))),
  };
}

/** A COPY text-format field: NULL as \N, and backslash, newline, CR and tab escaped. */
export function copyField(value: string | number | boolean | null): string {
  if (value === null) return '\\N';
  if (typeof value === 'boolean') return value ? 't' : 'f';
  const text = String(value);
  return COPY_SPECIAL.test(text) ? text.replace(COPY_SPECIALS, (c) => COPY_ESCAPES[c]!) : text;
}
const COPY_SPECIAL = /[\\\n\r\t]/;
const COPY_SPECIALS = /[\\\n\r\t]/g;
const COPY_ESCAPES: Record<string, string> = { '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/** Runs `work` in one transaction on a pooled connection: committed whole or not at all. */
export async function inTransaction<T>(pool: Pool, work: (client: PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    // A connection that cannot even roll back is dropped rather than pooled.
    await client.query('ROLLBACK').catch((rollbackError: Error) => (broken = rollbackError));
    throw error;
  } finally {
    client.release(broken);
  }
}
