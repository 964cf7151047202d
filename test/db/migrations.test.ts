import { mkdtemp, mkdir, writeFile, readFile, cp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MIGRATIONS_DIR, SCHEMA_PATH, applyMigrations, diffDatabaseToSchema, diffMigrationsToSchema } from '../../db/schema-engine';
import { createEmptyDatabase } from '../helpers/database';

describe('migrations', () => {
  let database: { url: string; drop(): Promise<void> };
  beforeAll(async () => {
    database = await createEmptyDatabase('flywheel_migrations');
  });
  afterAll(async () => database.drop());

  it('applies every migration folder to an empty database and records it like prisma migrate deploy', async () => {
    const applied = await applyMigrations(database.url);
    expect(applied.length).toBeGreaterThan(0);
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    const rows = await client.query<{ migration_name: string; finished_at: Date | null }>('SELECT migration_name, finished_at FROM _prisma_migrations ORDER BY migration_name');
    await client.end();
    expect(rows.rows.map((r) => r.migration_name)).toEqual(applied);
    expect(rows.rows.every((r) => r.finished_at !== null)).toBe(true);
  });

  it('is a no-op the second time', async () => {
    expect(await applyMigrations(database.url)).toEqual([]);
  });

  it('yields exactly what schema.prisma describes: no drift from the live database, none from the folder', async () => {
    expect(await diffDatabaseToSchema(database.url)).toBe('');
    expect(await diffMigrationsToSchema(database.url)).toBe('');
  });

  it('notices drift when schema.prisma changes without a migration (the check can fail)', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'schema-drift-'));
    const changed = (await readFile(SCHEMA_PATH, 'utf8')).replace('model Project {\n', 'model Project {\n  description String?\n');
    const schemaCopy = path.join(dir, 'schema.prisma');
    await writeFile(schemaCopy, changed);
    const migrationsCopy = path.join(dir, 'migrations');
    await mkdir(migrationsCopy);
    await cp(MIGRATIONS_DIR, migrationsCopy, { recursive: true });
    const sql = await diffMigrationsToSchema(database.url, migrationsCopy, schemaCopy);
    expect(sql).toMatch(/ALTER TABLE "project" ADD COLUMN\s+"description" TEXT/);
    expect(await diffDatabaseToSchema(database.url, schemaCopy)).toMatch(/"description"/);
  });
});
